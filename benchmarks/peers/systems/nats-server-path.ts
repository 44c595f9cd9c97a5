// Where the suite finds nats-server (Debian's `nats-server` package installs it in /usr/sbin).
import { existsSync } from 'node:fs'

export const NATS_SERVER_PATHS = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']

/** The installed nats-server, if any. */
export function natsServerPath(): string | undefined {
  return NATS_SERVER_PATHS.find((p) => existsSync(p))
}
