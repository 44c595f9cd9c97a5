import { randomBytes } from 'node:crypto'
import { Agent } from '@quic-multistream/agent'
import { isQmsError, QmsError } from '@quic-multistream/protocol'
import type { SocketAddress } from '@quic-multistream/transport'
import { certificateSha256, createEndpoint, type QuicConnection, type TlsOptions } from '@quic-multistream/transport'
import { anyAddressFor, parseHostPort, showAddress } from '../address.js'
import { AGENT_ECHO_STREAM, lockstepRoundTrip } from '../agent-echo.js'
import { type Command, numberFlag, requireTarget, stringFlag } from '../command.js'
import { withDeadline } from '../deadline.js'
import { echoRoundTrip } from '../echo.js'
import { ExitCode } from '../exit-codes.js'
import { FixedRegistry } from '../fixed-registry.js'
import { aligned, hexWithColons, ms, summarize } from '../format.js'
import { println } from '../io.js'
import { CLIENT_TLS_FLAGS, clientTls } from '../tls.js'

/** What `qms ping` measured (`--json` prints this). */
export interface PingResult {
  target: string
  mode: 'echo' | 'agent'
  /** SHA-256 of the server's certificate, hex. */
  certificate: string | undefined
  /** QUIC handshake (echo), or handshake + hello + stream open (agent). */
  connectMs: number
  rtt: { count: number; minMs: number; p50Ms: number; maxMs: number }
  /** A second connection resuming the TLS session (echo mode only). */
  resume?: { resumed: boolean; earlyData: boolean; firstReplyMs: number }
}

interface PingPlan {
  target: SocketAddress
  tls: TlsOptions
  count: number
  size: number
  timeoutMs: number
}

/** `qms ping`: handshake time, stream round trips and 0-RTT resumption against `qms serve`. */
export const pingCommand: Command = {
  name: 'ping',
  args: '<host:port>',
  summary: 'Measure the handshake, stream round trips (min/p50/max) and a 0-RTT resumption against `qms serve`.',
  details:
    'Opens a connection, echoes --count small messages, each on a new stream, then reconnects with the session\n' +
    'ticket it got and reports whether the server resumed it and how soon the first reply came. With --agent it\n' +
    'talks to `qms serve --agent <id>` as an agent (hello, token) and echoes over one agent stream.',
  flags: {
    ...CLIENT_TLS_FLAGS,
    count: { type: 'string', short: 'c', value: '<n>', default: '5', description: 'round trips' },
    size: { type: 'string', value: '<bytes>', default: '32', description: 'bytes per round trip' },
    timeout: { type: 'string', value: '<ms>', default: '5000', description: 'handshake and reply deadline' },
    agent: { type: 'string', value: '<id>', description: 'the server is `qms serve --agent <id>`' },
    token: { type: 'string', value: '<secret>', description: 'with --agent: the token the server expects' },
    json: { type: 'boolean', description: 'print the result as JSON' },
  },
  examples: ['qms ping 127.0.0.1:4433 --pin 3a:1f:...:9c', 'qms ping 127.0.0.1:4433 --insecure --count 20'],
  async run({ positionals, flags, io }) {
    const plan: PingPlan = {
      target: parseHostPort(requireTarget(positionals)),
      tls: clientTls(flags),
      count: numberFlag(flags, 'count', 1, 100_000),
      size: numberFlag(flags, 'size', 1, 1 << 20),
      timeoutMs: numberFlag(flags, 'timeout', 1, 600_000),
    }
    const agentId = stringFlag(flags, 'agent')
    const result =
      agentId === undefined ? await pingEcho(plan) : await pingAgent(plan, agentId, stringFlag(flags, 'token'))
    if (flags.json === true) {
      println(io.stdout, JSON.stringify(result))
      return ExitCode.OK
    }
    const verified = plan.tls.insecure ? 'NOT verified' : 'pinned'
    const cert = result.certificate === undefined ? 'none' : hexWithColons(result.certificate)
    println(io.stdout, `qms ping ${result.target} (${result.mode}): certificate ${cert} (${verified})`)
    const { rtt, resume } = result
    const lines: [string, string][] = [
      [result.mode === 'echo' ? 'handshake' : 'connect + hello', ms(result.connectMs)],
      [`rtt (${rtt.count})`, `min ${ms(rtt.minMs)}  p50 ${ms(rtt.p50Ms)}  max ${ms(rtt.maxMs)}`],
    ]
    if (resume) {
      const yes = (b: boolean) => (b ? 'yes' : 'no')
      lines.push([
        '0-RTT resume',
        `resumed ${yes(resume.resumed)}, early data ${yes(resume.earlyData)}, first reply ${ms(resume.firstReplyMs)}`,
      ])
    }
    println(io.stdout, aligned(lines))
    return ExitCode.OK
  },
}

async function pingEcho(plan: PingPlan): Promise<PingResult> {
  const { target, timeoutMs } = plan
  const endpoint = await createEndpoint({ host: anyAddressFor(target.host), tls: plan.tls })
  const payload = randomBytes(plan.size)
  const roundTrip = (conn: QuicConnection) =>
    withDeadline(echoRoundTrip(conn, payload), timeoutMs, `the echo from ${showAddress(target)}`).catch(
      (e: unknown) => {
        // An agent endpoint closes a connection whose first stream is not an agent hello.
        if (!isQmsError(e, 'ERR_CONNECTION_CLOSED')) throw e
        throw new QmsError(
          'ERR_NOT_ECHO',
          'the server closed the connection instead of echoing (an agent endpoint? add --agent <id>)',
          { cause: e },
        )
      },
    )
  try {
    let started = performance.now()
    const conn = await endpoint.connect({ ...target, timeoutMs })
    const connectMs = performance.now() - started
    const rtts: number[] = []
    for (let i = 0; i < plan.count; i++) rtts.push(await roundTrip(conn))
    const certificate = conn.peerCertificate && certificateSha256(conn.peerCertificate)
    await conn.close(0, 'ping done')
    // The session ticket from the first connection lets this one send its stream in 0-RTT.
    started = performance.now()
    const again = await endpoint.connect({ ...target, timeoutMs })
    await roundTrip(again)
    const firstReplyMs = performance.now() - started
    const resume = { resumed: again.resumed, earlyData: again.earlyData, firstReplyMs }
    await again.close(0, 'ping done')
    const { minMs, p50Ms, maxMs } = summarize(rtts)
    return {
      target: showAddress(target),
      mode: 'echo',
      certificate,
      connectMs,
      rtt: { count: rtts.length, minMs, p50Ms, maxMs },
      resume,
    }
  } finally {
    await endpoint.close({ timeoutMs: 500 })
  }
}

async function pingAgent(plan: PingPlan, peer: string, token: string | undefined): Promise<PingResult> {
  const { target, timeoutMs } = plan
  const agent = await Agent.start({
    id: `qms-ping-${randomBytes(4).toString('hex')}`,
    listen: showAddress({ host: anyAddressFor(target.host), port: 0 }),
    registry: new FixedRegistry({ [peer]: showAddress(target) }),
    tls: plan.tls,
    ...(token === undefined ? {} : { token }),
    pool: { dialTimeoutMs: timeoutMs, dialAttempts: 1 },
    drainTimeoutMs: 500,
  })
  try {
    const started = performance.now()
    const stream = await agent.openStream(peer, AGENT_ECHO_STREAM, { timeout: timeoutMs })
    const connectMs = performance.now() - started
    const incoming = stream.bytes()[Symbol.asyncIterator]()
    const payload = randomBytes(plan.size)
    const rtts: number[] = []
    for (let i = 0; i < plan.count; i++) {
      rtts.push(await withDeadline(lockstepRoundTrip(stream, incoming, payload), timeoutMs, `the echo from "${peer}"`))
    }
    await stream.end()
    const { minMs, p50Ms, maxMs } = summarize(rtts)
    const pin = plan.tls.pinSha256?.[0]
    return {
      target: showAddress(target),
      mode: 'agent',
      certificate: pin,
      connectMs,
      rtt: { count: rtts.length, minMs, p50Ms, maxMs },
    }
  } finally {
    await agent.stop()
  }
}
