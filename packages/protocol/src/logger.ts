/**
 * One small logger for every package. Off by default; enabled per namespace with `DEBUG=qms:*` (or
 * `DEBUG=qms:transport,qms:mesh`), the convention of the `debug` package, without depending on it.
 * Output goes to stderr so it never mixes with a program's own stdout.
 */
export interface Logger {
  readonly enabled: boolean
  (message: string, ...args: unknown[]): void
  /** A child logger, `qms:transport` -> `qms:transport:conn`. */
  extend(suffix: string): Logger
}

function patternsFromEnv(): RegExp[] {
  const raw = typeof process !== 'undefined' ? (process.env.DEBUG ?? '') : ''
  return raw
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((p) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`))
}

const patterns = patternsFromEnv()

function format(args: unknown[]): string {
  return args
    .map((a) => (typeof a === 'string' ? a : a instanceof Error ? `${a.name}: ${a.message}` : safeJson(a)))
    .join(' ')
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))
  } catch {
    return String(v)
  }
}

/** Creates a logger for `namespace` (e.g. `qms:transport`). Calls are no-ops unless `DEBUG` matches. */
export function createLogger(namespace: string): Logger {
  const enabled = patterns.some((p) => p.test(namespace))
  const log = ((message: string, ...args: unknown[]) => {
    if (!enabled) return
    process.stderr.write(
      `${new Date().toISOString()} ${namespace} ${message}${args.length ? ` ${format(args)}` : ''}\n`,
    )
  }) as Logger
  Object.defineProperty(log, 'enabled', { value: enabled })
  log.extend = (suffix: string) => createLogger(`${namespace}:${suffix}`)
  return log
}
