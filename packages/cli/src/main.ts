import { isQmsError } from '@quic-multistream/protocol'
import { type Command, commandHelp, EXIT_CODES_HELP, parseCommandLine } from './command.js'
import { benchCommand } from './commands/bench.js'
import { certCommand } from './commands/cert.js'
import { pingCommand } from './commands/ping.js'
import { serveCommand } from './commands/serve.js'
import { ExitCode, exitCodeFor } from './exit-codes.js'
import { type CliIO, println, processIO } from './io.js'

/** Every `qms` command, in the order `qms --help` lists them. */
export const COMMANDS: readonly Command[] = [certCommand, serveCommand, pingCommand, benchCommand]

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length))
  return [
    'usage: qms <command> [options]',
    '',
    'quic-multistream from the command line: certificates, an echo server, ping and a quick benchmark over QUIC.',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `qms <command> --help` for its options.',
    EXIT_CODES_HELP,
    '',
  ].join('\n')
}

/** What to try next, by exit code. */
const HINTS: Partial<Record<number, string>> = {
  [ExitCode.USAGE]: ' (see qms $0 --help)',
  [ExitCode.UNREACHABLE]: ' (is a server running there, and is UDP let through?)',
  [ExitCode.TLS]: ' (check --pin: qms serve prints the pin of its certificate)',
}

const wantsHelp = (argv: readonly string[]) => argv.includes('--help') || argv.includes('-h')

/**
 * Runs `qms` with `argv` (without the node and script paths) and resolves with the exit code; never throws and
 * never exits the process. Failures print one line, `qms <command>: <message>`, on `io.stderr`.
 */
export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined
    ;(name === undefined ? io.stderr : io.stdout).write(topic ? commandHelp(topic) : overview())
    return name === undefined ? ExitCode.USAGE : ExitCode.OK
  }
  const command = COMMANDS.find((c) => c.name === name)
  if (command === undefined) {
    println(io.stderr, `qms: unknown command "${name}" (commands: ${COMMANDS.map((c) => c.name).join(', ')})`)
    return ExitCode.USAGE
  }
  if (wantsHelp(rest)) {
    io.stdout.write(commandHelp(command))
    return ExitCode.OK
  }
  try {
    return await command.run({ ...parseCommandLine(command, [...rest]), io })
  } catch (e) {
    const code = exitCodeFor(e)
    const hint = HINTS[code] ?? ''
    println(io.stderr, `qms ${command.name}: ${describe(e)}${hint.replace('$0', command.name)}`)
    return code
  }
}

/** One line for an error: its message, and the underlying cause when it says something the message does not. */
function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e)
  const cause = e.cause instanceof Error && !e.message.includes(e.cause.message) ? `: ${e.cause.message}` : ''
  const code = isQmsError(e) && e.code !== 'ERR_USAGE' ? ` [${e.code}]` : ''
  return `${e.message}${cause}${code}`.replace(/\s*\n\s*/g, ' ')
}
