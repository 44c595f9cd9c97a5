import { Agent } from '@quic-multistream/agent'
import { createEndpoint } from '@quic-multistream/transport'
import { parseHostPort, showAddress } from '../address.js'
import { AGENT_ECHO_STREAM, echoAgentStream } from '../agent-echo.js'
import { type Command, stringFlag } from '../command.js'
import { serveEcho } from '../echo.js'
import { ExitCode } from '../exit-codes.js'
import { FixedRegistry } from '../fixed-registry.js'
import { hexWithColons } from '../format.js'
import { type CliIO, println } from '../io.js'
import { serverCertificate } from '../tls.js'

/** `qms serve`: an echo endpoint, or an agent that echoes a named stream. */
export const serveCommand: Command = {
  name: 'serve',
  summary: 'Run a QUIC echo endpoint (streams and datagrams), or with --agent an agent endpoint, until SIGINT/SIGTERM.',
  details:
    'Without --cert/--key it makes a development certificate. It prints its address and the certificate pin; point\n' +
    '`qms ping` and `qms bench` at it. With --agent <id> it is an agent (hello, token, lanes) whose "qms.echo" stream\n' +
    'echoes bytes: ping it with `qms ping <address> --agent <id>`.',
  flags: {
    listen: {
      type: 'string',
      short: 'l',
      value: '<host:port>',
      default: '127.0.0.1:4433',
      description: 'address to listen on (port 0: any free port)',
    },
    cert: { type: 'string', value: '<file>', description: 'PEM certificate (with --key)' },
    key: { type: 'string', value: '<file>', description: 'PEM private key (with --cert)' },
    agent: { type: 'string', value: '<id>', description: 'serve as an agent with this id instead of raw echo' },
    token: { type: 'string', value: '<secret>', description: 'with --agent: the token peers must present' },
    metrics: {
      type: 'string',
      value: '<host:port>',
      description: 'with --agent: serve Prometheus metrics there (port 0: any free port)',
    },
  },
  examples: ['qms serve', 'qms serve --listen 0.0.0.0:4433 --cert cert.pem --key key.pem', 'qms serve --agent echo'],
  async run({ flags, io }) {
    const listen = parseHostPort(stringFlag(flags, 'listen') ?? '127.0.0.1:4433', true)
    const certificate = await serverCertificate(flags)
    const tls = { cert: certificate.cert, key: certificate.key }
    const id = stringFlag(flags, 'agent')
    let address: string
    let stop: () => Promise<string>
    if (id === undefined) {
      const endpoint = await createEndpoint({ ...listen, tls })
      const tally = serveEcho(endpoint)
      address = showAddress(endpoint.address)
      println(io.stdout, `echo endpoint listening on ${address} (QUIC, ALPN qms/1)`)
      stop = async () => {
        await endpoint.close({ code: 0, reason: 'server shutting down' })
        return `${tally.connections} connections, ${tally.streams} streams (${tally.bytes} bytes echoed), ${tally.datagrams} datagrams`
      }
    } else {
      const token = stringFlag(flags, 'token')
      const metricsAt = stringFlag(flags, 'metrics')
      const agent = await Agent.start({
        id,
        listen: showAddress(listen),
        registry: new FixedRegistry(),
        tls,
        ...(token === undefined ? {} : { token }),
        ...(metricsAt === undefined ? {} : { metrics: parseHostPort(metricsAt, true) }),
      })
      agent.onStream(AGENT_ECHO_STREAM, echoAgentStream)
      address = agent.address
      println(
        io.stdout,
        `agent "${id}" listening on ${address} (QUIC, ALPN qms/1), echoing stream "${AGENT_ECHO_STREAM}"`,
      )
      if (agent.metricsUrl) println(io.stdout, `metrics at ${agent.metricsUrl}`)
      stop = async () => {
        const stats = agent.stats()
        await agent.stop()
        return `${stats.pool.accepted} connections, ${stats.streams.accepted} streams`
      }
    }
    const pin = hexWithColons(certificate.sha256)
    println(io.stdout, `certificate sha256 ${pin} (${certificate.origin})`)
    const agentFlag = id === undefined ? '' : ` --agent ${id}`
    // Printed last: whoever waits for this line may signal us as soon as it appears.
    println(io.stdout, `ping with: qms ping ${address} --pin ${pin}${agentFlag}`)
    const reason = await stopRequested(io)
    println(io.stdout, `${reason}: stopping`)
    println(io.stdout, `stopped after ${await stop()}`)
    return ExitCode.OK
  },
}

/** Resolves with what asked us to stop: SIGINT, SIGTERM, or the caller's abort signal. */
function stopRequested(io: CliIO): Promise<string> {
  return new Promise((resolve) => {
    const done = (reason: string) => {
      process.off('SIGINT', onInt)
      process.off('SIGTERM', onTerm)
      io.signal?.removeEventListener('abort', onAbort)
      resolve(reason)
    }
    const onInt = () => done('SIGINT')
    const onTerm = () => done('SIGTERM')
    const onAbort = () => done('stop requested')
    process.once('SIGINT', onInt)
    process.once('SIGTERM', onTerm)
    if (io.signal?.aborted) done('stop requested')
    else io.signal?.addEventListener('abort', onAbort, { once: true })
  })
}
