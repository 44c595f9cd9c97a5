import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freeUdpPort, otherCert } from '@qms/test-utils'
import { COMMANDS, ExitCode, main } from '@quic-multistream/cli'
import { certificateSha256, normalizePin } from '@quic-multistream/transport'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { captureIO, type InProcessServer, qms, serveInProcess } from './helpers.js'

describe('qms help and usage errors', () => {
  it.each(COMMANDS.map((c) => c.name))('qms %s --help prints usage, options and exit codes', async (name) => {
    const run = await qms(name, '--help')
    expect(run.code).toBe(ExitCode.OK)
    expect(run.stdout).toMatch(new RegExp(`^usage: qms ${name}`))
    expect(run.stdout).toContain('--help')
    expect(run.stdout).toContain('exit codes: 0 ok, 1 usage')
  })

  it('lists the commands with --help, and exits 1 without a command', async () => {
    const help = await qms('--help')
    expect(help.code).toBe(ExitCode.OK)
    for (const c of COMMANDS) expect(help.stdout).toContain(`  ${c.name} `)
    expect((await qms()).code).toBe(ExitCode.USAGE)
  })

  it.each([
    [['ping', 'nonsense', '--insecure'], /bad address "nonsense"/],
    [['ping', '127.0.0.1:70000', '--insecure'], /bad address/],
    [['ping', '127.0.0.1:4433'], /--pin <sha256>.* or --insecure/],
    [['ping', '127.0.0.1:4433', '--pin', 'abc'], /pin must be a SHA-256/],
    [['ping', '127.0.0.1:4433', '--insecure', '--count', 'many'], /bad --count "many"/],
    [['bench', '--insecure'], /missing the server address/],
    [['serve', '--listen', 'localhost'], /bad address "localhost"/],
    [['serve', '--cert', 'only-cert.pem'], /--cert and --key go together/],
    [['ping', '127.0.0.1:4433', '--insecure', '--bogus'], /Unknown option '--bogus'/],
    [['frobnicate'], /unknown command "frobnicate"/],
  ])('qms %j exits 1 with one clear line', async (argv, message) => {
    const run = await qms(...argv)
    expect(run.code).toBe(ExitCode.USAGE)
    expect(run.stderr).toMatch(message)
    expect(run.stderr.trim().split('\n')).toHaveLength(1)
    expect(run.stderr).not.toMatch(/\n\s+at /)
  })
})

describe('qms cert', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qms-cert-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('writes cert.pem and key.pem whose SHA-256 is the printed pin, in hex and base64', async () => {
    const run = await qms('cert', '--out', dir, '--name', 'qms.test', '--days', '7')
    expect(run.code).toBe(ExitCode.OK)
    const cert = await readFile(join(dir, 'cert.pem'), 'utf8')
    expect(await readFile(join(dir, 'key.pem'), 'utf8')).toContain('PRIVATE KEY')
    expect(((await stat(join(dir, 'key.pem'))).mode & 0o777).toString(8)).toBe('600')
    const hex = /sha256 hex\s+(\S+)/.exec(run.stdout)?.[1]
    const base64 = /sha256 base64\s+(\S+)/.exec(run.stdout)?.[1]
    expect(hex).toMatch(/^([0-9a-f]{2}:){31}[0-9a-f]{2}$/)
    expect(normalizePin(hex!)).toBe(certificateSha256(cert))
    expect(normalizePin(base64!)).toBe(certificateSha256(cert))
  })

  it('refuses to overwrite without --force', async () => {
    const run = await qms('cert', '--out', dir)
    expect(run.code).toBe(ExitCode.USAGE)
    expect(run.stderr).toMatch(/already exists \(use --force/)
    expect((await qms('cert', '--out', dir, '--force', '--json')).code).toBe(ExitCode.OK)
  })
})

describe('qms ping and bench against qms serve (real UDP)', () => {
  let server: InProcessServer
  beforeAll(async () => {
    server = await serveInProcess()
  })
  afterAll(async () => {
    expect(await server.stop()).toBe(ExitCode.OK)
    expect(server.output()).toMatch(/stopped after \d+ connections/)
  })

  it('measures the handshake and round trips, and resumes the second connection with 0-RTT', async () => {
    const run = await qms('ping', server.address, '--pin', server.pin, '--count', '3')
    expect(run.stderr).toBe('')
    expect(run.code).toBe(ExitCode.OK)
    expect(run.stdout).toMatch(/handshake\s+\d+\.\d+ ms/)
    expect(run.stdout).toMatch(/rtt \(3\)\s+min \d+\.\d+ ms {2}p50 \d+\.\d+ ms {2}max/)
    expect(run.stdout).toMatch(/0-RTT resume\s+resumed yes, early data yes/)
  })

  it('reports the same in --json', async () => {
    const run = await qms('ping', server.address, '--insecure', '--json')
    expect(run.code).toBe(ExitCode.OK)
    const result = JSON.parse(run.stdout)
    expect(result).toMatchObject({ mode: 'echo', rtt: { count: 5 }, resume: { resumed: true } })
    expect(normalizePin(server.pin)).toBe(result.certificate)
  })

  it('exits 3 when the certificate does not match the pin', async () => {
    const run = await qms('ping', server.address, '--pin', (await otherCert()).sha256)
    expect(run.code).toBe(ExitCode.TLS)
    expect(run.stderr).toMatch(/^qms ping: .*matches no pinned hash.*check --pin/)
  })

  it('exits 2 when nothing answers on the port', async () => {
    const port = await freeUdpPort()
    const run = await qms('ping', `127.0.0.1:${port}`, '--insecure', '--timeout', '500')
    expect(run.code).toBe(ExitCode.UNREACHABLE)
    expect(run.stderr).toMatch(/^qms ping: no QUIC handshake with 127\.0\.0\.1:\d+ within 500 ms.*is a server running/)
  })

  it('bench prints request rate, latency percentiles and bulk throughput', async () => {
    const run = await qms('bench', server.address, '--pin', server.pin, '--seconds', '0.3', '--concurrency', '4')
    expect(run.code).toBe(ExitCode.OK)
    expect(run.stdout).toMatch(/requests\s+[\d,]+ req\/s \([\d,]+ in \d+\.\d+ s, 1024 B each way, 4 in flight\)/)
    expect(run.stdout).toMatch(/latency\s+min .* p50 .* p99 .* max /)
    expect(run.stdout).toMatch(/bulk\s+\d+\.\d MB\/s echoed/)
    // Not a terminal: no progress bar redraws.
    expect(run.stderr).toBe('')
  })

  it('bench draws a progress bar on a terminal and clears it before the results', async () => {
    const io = captureIO()
    io.stderr.isTTY = true
    const code = await main(['bench', server.address, '--insecure', '--seconds', '0.3', '--concurrency', '2'], io)
    expect(code).toBe(ExitCode.OK)
    const clearLine = '\r\x1b[2K'
    const drawn = io.err.join('').replaceAll(clearLine, '\n')
    expect(drawn).toMatch(/\nrequests +\[[#.]{30}\] +\d+%/)
    expect(drawn).toMatch(/\nbulk +\[[#.]{30}\] +\d+% +[\d.]+ MB\/s/)
    expect(io.err.join('').endsWith(clearLine)).toBe(true)
  })

  it('bench --json reports non-zero work in both phases', async () => {
    const run = await qms('bench', server.address, '--insecure', '--seconds', '0.2', '--size', '100', '--json')
    expect(run.code).toBe(ExitCode.OK)
    const result = JSON.parse(run.stdout)
    expect(result.requests.count).toBeGreaterThan(0)
    expect(result.requests.size).toBe(100)
    expect(result.bulk.bytes).toBeGreaterThan(0)
  })
})

describe('qms serve --agent', () => {
  it('answers qms ping --agent over an agent stream, with the token', async () => {
    const server = await serveInProcess('--agent', 'echo-agent', '--token', 't0k', '--metrics', '127.0.0.1:0')
    try {
      expect(server.output()).toMatch(/agent "echo-agent" listening/)
      const metricsUrl = /metrics at (\S+)/.exec(server.output())?.[1]
      const ok = await qms('ping', server.address, '--pin', server.pin, '--agent', 'echo-agent', '--token', 't0k')
      expect(ok.stderr).toBe('')
      expect(ok.code).toBe(ExitCode.OK)
      expect(ok.stdout).toMatch(/connect \+ hello\s+\d+\.\d+ ms/)
      expect(ok.stdout).toMatch(/rtt \(5\)/)
      const metrics = await (await fetch(metricsUrl!)).text()
      expect(metrics).toContain('qms_agent_streams_accepted_total{agent="echo-agent"} 1')
      const wrongToken = await qms('ping', server.address, '--insecure', '--agent', 'echo-agent', '--token', 'nope')
      expect(wrongToken.code).toBe(ExitCode.FAILED)
      expect(wrongToken.stderr).toMatch(/authentication failed.*ERR_AUTH/)
      const raw = await qms('ping', server.address, '--insecure', '--timeout', '2000')
      expect(raw.code).toBe(ExitCode.FAILED)
      expect(raw.stderr).toMatch(/add --agent <id>/)
    } finally {
      expect(await server.stop()).toBe(ExitCode.OK)
    }
  })
})
