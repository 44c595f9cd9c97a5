import { parseArgs } from 'node:util'
import type { CliIO } from './io.js'
import { UsageError } from './usage-error.js'

/** One flag of a command. */
export interface FlagSpec {
  type: 'string' | 'boolean'
  short?: string
  /** Shown in `--help`, e.g. `<dir>`. */
  value?: string
  default?: string
  description: string
}

/** What a command receives once its arguments parsed. */
export interface CommandInput {
  positionals: string[]
  flags: Record<string, string | boolean | undefined>
  io: CliIO
}

/** A `qms` subcommand: its help text is generated from this description. */
export interface Command {
  name: string
  /** One line for `qms --help`. */
  summary: string
  /** Positional arguments, e.g. `<host:port>`. */
  args?: string
  /** Paragraphs after the usage line. */
  details?: string
  flags: Record<string, FlagSpec>
  /** Example lines. */
  examples?: string[]
  run(input: CommandInput): Promise<number>
}

/** Parses `argv` for `command`; throws {@link UsageError} with a readable message. */
export function parseCommandLine(command: Command, argv: string[]): Omit<CommandInput, 'io'> {
  const options = Object.fromEntries(
    Object.entries(command.flags).map(([name, f]) => [
      name,
      { type: f.type, ...(f.short ? { short: f.short } : {}), ...(f.default ? { default: f.default } : {}) },
    ]),
  )
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true })
    const expected = command.args === undefined ? 0 : command.args.split(' ').length
    if (positionals.length > expected) throw new UsageError(`unexpected argument "${positionals[expected]}"`)
    return { positionals, flags: values as CommandInput['flags'] }
  } catch (e) {
    if (e instanceof UsageError) throw e
    // parseArgs messages quote the flag but add advice about `--` that does not apply here.
    throw new UsageError((e as Error).message.replace(/\. To specify .*$/s, '').replace(/\.$/, ''))
  }
}

/** The `--help` text of a command. */
export function commandHelp(command: Command): string {
  const flags = Object.entries(command.flags).map(([name, f]) => {
    const left = `${f.short ? `-${f.short}, ` : '    '}--${name}${f.value ? ` ${f.value}` : ''}`
    return [left, `${f.description}${f.default !== undefined ? ` (default ${f.default})` : ''}`] as const
  })
  flags.push(['-h, --help', 'show this help'])
  const width = Math.max(...flags.map(([l]) => l.length))
  const lines = [`usage: qms ${command.name}${command.args ? ` ${command.args}` : ''} [options]`, '', command.summary]
  if (command.details) lines.push('', command.details)
  lines.push('', 'options:', ...flags.map(([l, r]) => `  ${l.padEnd(width)}  ${r}`))
  if (command.examples?.length) lines.push('', 'examples:', ...command.examples.map((e) => `  ${e}`))
  lines.push('', EXIT_CODES_HELP)
  return `${lines.join('\n')}\n`
}

/** The exit code table shown by every `--help`. */
export const EXIT_CODES_HELP =
  'exit codes: 0 ok, 1 usage (bad flag, address, pin or file), 2 unreachable or timed out, 3 TLS/certificate failure, 4 other failure'

/** Parses a number flag within `[min, max]`; `integer` rejects fractions. */
export function numberFlag(
  flags: CommandInput['flags'],
  name: string,
  min: number,
  max: number,
  integer = true,
): number {
  const text = String(flags[name])
  const value = (integer ? /^\d+$/ : /^\d+(\.\d+)?$/).test(text) ? Number(text) : Number.NaN
  if (!(value >= min && value <= max)) {
    const kind = integer ? 'a whole number' : 'a number'
    throw new UsageError(`bad --${name} "${text}": expected ${kind} from ${min} to ${max}`)
  }
  return value
}

/** A string flag's value, if given. */
export function stringFlag(flags: CommandInput['flags'], name: string): string | undefined {
  const v = flags[name]
  return typeof v === 'string' ? v : undefined
}

/** The single positional `<host:port>` of a client command. */
export function requireTarget(positionals: readonly string[]): string {
  const target = positionals[0]
  if (target === undefined) throw new UsageError('missing the server address <host:port>')
  return target
}
