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

/** Overrides for {@link createLogger}; tests use them instead of mutating `process.env`. */
export interface LoggerOptions {
  /** A `DEBUG`-style pattern list to use instead of the `DEBUG` environment variable. */
  debug?: string
  /** Where finished lines go (each ends with `\n`). Default: `process.stderr`. */
  write?: (line: string) => void
}

interface CompiledPatterns {
  include: RegExp[]
  exclude: RegExp[]
}

function compile(raw: string): CompiledPatterns {
  const include: RegExp[] = []
  const exclude: RegExp[] = []
  for (const p of raw.split(/[\s,]+/)) {
    if (!p) continue
    const negated = p.startsWith('-')
    const body = negated ? p.slice(1) : p
    if (!body) continue
    const re = new RegExp(`^${body.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`)
    ;(negated ? exclude : include).push(re)
  }
  return { include, exclude }
}

function test(patterns: CompiledPatterns, namespace: string): boolean {
  // As in `debug`, an exclusion (`-qms:transport:*`) wins over any inclusion.
  if (patterns.exclude.some((p) => p.test(namespace))) return false
  return patterns.include.some((p) => p.test(namespace))
}

/**
 * Whether a `DEBUG` value enables `namespace`: names separated by commas or spaces, `*` matches any run of
 * characters, and a leading `-` excludes (exclusions win). `matchesDebug('qms:*,-qms:mesh', 'qms:mesh')` is false.
 */
export function matchesDebug(pattern: string, namespace: string): boolean {
  return test(compile(pattern), namespace)
}

const fromEnv = compile(typeof process !== 'undefined' ? (process.env.DEBUG ?? '') : '')

function show(a: unknown): string {
  return typeof a === 'string' ? a : a instanceof Error ? `${a.name}: ${a.message}` : safeJson(a)
}

/**
 * `debug`-style formatting: `%s`, `%d`, `%i`, `%f`, `%j`, `%o`, `%O` each take the next argument, `%%` is a percent
 * sign; arguments left over are appended, space-separated.
 */
function format(message: string, args: unknown[]): string {
  let next = 0
  const text = message.replace(/%([sdifjoO%])/g, (whole, spec: string) => {
    if (spec === '%') return '%'
    if (next >= args.length) return whole
    const a = args[next++]
    if (spec === 'd' || spec === 'i' || spec === 'f') {
      const n = Number(a)
      return String(spec === 'i' ? Math.trunc(n) : n)
    }
    return show(a)
  })
  const rest = args.slice(next)
  return rest.length ? `${text} ${rest.map(show).join(' ')}` : text
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))
  } catch {
    return String(v)
  }
}

function writeStderr(line: string): void {
  process.stderr.write(line)
}

/** Creates a logger for `namespace` (e.g. `qms:transport`). Calls are no-ops unless `DEBUG` matches. */
export function createLogger(namespace: string, options: LoggerOptions = {}): Logger {
  const enabled = test(options.debug === undefined ? fromEnv : compile(options.debug), namespace)
  const write = options.write ?? writeStderr
  const log = ((message: string, ...args: unknown[]) => {
    if (!enabled) return
    write(`${new Date().toISOString()} ${namespace} ${format(message, args)}\n`)
  }) as Logger
  Object.defineProperty(log, 'enabled', { value: enabled })
  log.extend = (suffix: string) => createLogger(`${namespace}:${suffix}`, options)
  return log
}
