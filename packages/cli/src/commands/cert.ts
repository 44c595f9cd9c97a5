import { access, mkdir, writeFile } from 'node:fs/promises'
import { isIP } from 'node:net'
import { join } from 'node:path'
import { generateDevCertificate } from '@quic-multistream/transport'
import { type Command, numberFlag, stringFlag } from '../command.js'
import { ExitCode } from '../exit-codes.js'
import { aligned, hexWithColons, pinBase64 } from '../format.js'
import { println } from '../io.js'
import { UsageError } from '../usage-error.js'

/** `qms cert`: a development certificate and its SHA-256 for pinning. */
export const certCommand: Command = {
  name: 'cert',
  summary: 'Write a development certificate (ECDSA P-256, self-signed) and print its SHA-256 for pinning.',
  details:
    'Writes cert.pem and key.pem. The certificate names --name plus 127.0.0.1 and ::1. Clients pin it with\n' +
    '`qms ping <host:port> --pin <sha256>`; browsers accept such pins for certificates valid 14 days or less.',
  flags: {
    out: { type: 'string', short: 'o', value: '<dir>', default: '.', description: 'directory to write into' },
    name: { type: 'string', short: 'n', value: '<host>', default: 'localhost', description: 'DNS name or IP' },
    days: { type: 'string', value: '<n>', default: '13', description: 'validity in days, at most 14' },
    force: { type: 'boolean', short: 'f', description: 'overwrite existing files' },
    json: { type: 'boolean', description: 'print the result as JSON' },
  },
  examples: ['qms cert --out certs --name myhost.local'],
  async run({ flags, io }) {
    const dir = stringFlag(flags, 'out') ?? '.'
    const name = stringFlag(flags, 'name') ?? 'localhost'
    const days = numberFlag(flags, 'days', 1, 14)
    const ips = ['127.0.0.1', '::1']
    const isAddress = isIP(name) !== 0
    const cert = await generateDevCertificate({
      hostnames: isAddress ? [] : [name],
      ips: isAddress && !ips.includes(name) ? [name, ...ips] : ips,
      commonName: name,
      days,
    }).catch((e: unknown) => {
      throw new UsageError((e as Error).message, { cause: e })
    })
    const certFile = join(dir, 'cert.pem')
    const keyFile = join(dir, 'key.pem')
    if (flags.force !== true) {
      for (const file of [certFile, keyFile]) {
        if (await exists(file)) throw new UsageError(`${file} already exists (use --force to overwrite it)`)
      }
    }
    await mkdir(dir, { recursive: true })
    await writeFile(certFile, cert.cert)
    await writeFile(keyFile, cert.key, { mode: 0o600 })
    const result = {
      cert: certFile,
      key: keyFile,
      name,
      notAfter: cert.notAfter.toISOString(),
      sha256: cert.sha256,
      sha256Colons: hexWithColons(cert.sha256),
      sha256Base64: pinBase64(cert.sha256),
    }
    if (flags.json === true) {
      println(io.stdout, JSON.stringify(result))
      return ExitCode.OK
    }
    println(
      io.stdout,
      aligned([
        ['certificate', `${certFile} (ECDSA P-256, ${name}, valid until ${result.notAfter})`],
        ['private key', keyFile],
        ['sha256 hex', result.sha256Colons],
        ['sha256 base64', result.sha256Base64],
      ]),
    )
    println(io.stdout, `\nserve it:  qms serve --cert ${certFile} --key ${keyFile}`)
    println(io.stdout, `pin it:    qms ping <host:port> --pin ${result.sha256Colons}`)
    return ExitCode.OK
  },
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  )
}
