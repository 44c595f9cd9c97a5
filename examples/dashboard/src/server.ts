import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import type { Agent } from '@quic-multistream/agent'
import { buildBrowserBundle, QmsError, startGatewayAgent } from '@quic-multistream/browser'
import type { QuicConnection } from '@quic-multistream/transport'
import type { DashboardConfig } from './config.js'
import { startTelemetryReporter } from './reporter.js'
import { AgentTelemetry, ConnectionTelemetry, pageTopic, TELEMETRY_PATTERN } from './telemetry.js'

/** Options of {@link startDashboard}. */
export interface DashboardOptions {
  /**
   * Serve pages through this agent instead of starting one. It must host the mesh's `RegistryServer` and accept
   * WebTransport (`gatewayTransport()` from `@quic-multistream/browser` as its `transport`); give `webTransport`
   * with it. It is not stopped by `close()`.
   */
  agent?: Agent
  /** Where pages reach `agent`: its WebTransport URL and certificate hash. Required with `agent`. */
  webTransport?: { url: string; certificateHash: string; connections?: () => Iterable<QuicConnection> }
  /** Id of the gateway agent started when no `agent` is given. Default `dashboard`. */
  id?: string
  /** The mesh's shared token (given to pages through `/config.json`, served on 127.0.0.1 only). */
  token?: string
  /** HTTP port of the page. Default 0 (any free port). */
  port?: number
  /** Interval of the gateway's own telemetry and of the page's redraw. Default 1,000 ms. */
  intervalMs?: number
  /** Label of the gateway's own telemetry (e.g. `coordinator` when it is the mesh's coordinator). Default `dashboard`. */
  role?: string
}

/** A running dashboard. */
export interface Dashboard {
  /** The page, e.g. `http://127.0.0.1:43123/`. */
  url: string
  /** The gateway agent pages join through. */
  agent: Agent
  /** The gateway's `host:port`: Node agents join its registry with `new RemoteRegistry({ address, id })`. */
  address: string
  /** Hex SHA-256 of the gateway's certificate (Node agents pin it with `tls.pinSha256`). */
  certificateHash: string
  /**
   * Agent reports (`AgentTelemetry`) the gateway has received and relayed to pages so far, by reporting agent id (the
   * gateway's own included): which agents are reporting, whether or not a page is open.
   */
  reports(): ReadonlyMap<string, number>
  /** Stops the page server, the reporter, and the gateway agent if the dashboard started it. */
  close(): Promise<void>
}

const here = (name: string) => fileURLToPath(new URL(name, import.meta.url))

/**
 * Serves the dashboard over node:http on 127.0.0.1: the page, its bundle (built here with esbuild), and
 * `/config.json` with the gateway's WebTransport URL and certificate hash, so the page needs no settings. Without
 * `agent`, starts a gateway agent that hosts a registry for the mesh to join. Either way the gateway publishes its
 * own telemetry, so the page shows live numbers from the start.
 */
export async function startDashboard(options: DashboardOptions = {}): Promise<Dashboard> {
  if (options.agent && !options.webTransport) {
    throw new QmsError(
      'ERR_INVALID_ARGUMENT',
      'startDashboard({ agent }) needs webTransport: { url, certificateHash } of that agent',
    )
  }
  const intervalMs = options.intervalMs ?? 1_000
  const started = options.agent
    ? undefined
    : await startGatewayAgent({ id: options.id ?? 'dashboard', ...(options.token ? { token: options.token } : {}) })
  const agent = options.agent ?? started!.agent
  const wt = options.webTransport ?? {
    url: started!.url,
    certificateHash: started!.certificateHash,
    connections: () => started!.endpoint.connections,
  }
  const reports = new Map<string, number>()
  const relay = relayTelemetry(agent, (id) => reports.set(id, (reports.get(id) ?? 0) + 1))
  const stopReporting = startTelemetryReporter(agent, {
    intervalMs,
    role: options.role ?? 'dashboard',
    ...(wt.connections ? { connections: wt.connections } : {}),
  })
  try {
    const config: DashboardConfig = {
      url: wt.url,
      certificateHash: wt.certificateHash,
      gateway: agent.id,
      pagePrefix: 'dashboard-page',
      refreshMs: intervalMs,
      ...(options.token === undefined ? {} : { token: options.token }),
    }
    const [html, bundle] = await Promise.all([
      readFile(here('./index.html'), 'utf8'),
      buildBrowserBundle({ entry: here(`./page${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`) }),
    ])
    const files: Record<string, { type: string; body: string }> = {
      '/': { type: 'text/html; charset=utf-8', body: html },
      '/index.html': { type: 'text/html; charset=utf-8', body: html },
      '/dashboard.js': { type: 'text/javascript; charset=utf-8', body: bundle.code },
      '/config.json': { type: 'application/json', body: JSON.stringify(config) },
    }
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const file = files[(req.url ?? '/').split('?')[0]!]
      if (!file || req.method !== 'GET') {
        res.writeHead(404).end()
        return
      }
      res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(file.body)
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
    })
    const { port } = server.address() as AddressInfo
    return {
      url: `http://127.0.0.1:${port}/`,
      agent,
      address: started?.address ?? agent.address,
      certificateHash: wt.certificateHash,
      reports: () => reports,
      async close() {
        stopReporting()
        await relay().catch(() => {})
        await new Promise<void>((resolve) => {
          server.closeAllConnections()
          server.close(() => resolve())
        })
        await started?.close()
      },
    }
  } catch (e) {
    stopReporting()
    await relay().catch(() => {})
    await started?.close()
    throw e
  }
}

/**
 * Republishes every telemetry message the gateway receives under the page topics (see `PAGE_PREFIX`), which only
 * the gateway publishes: that is how telemetry from anywhere in the mesh reaches pages. Returns the unsubscriber.
 */
function relayTelemetry(agent: Agent, onReport: (id: string) => void): () => Promise<void> {
  const send = { priority: 'background' } as const
  const subscriptions = [
    agent.subscribe(TELEMETRY_PATTERN, AgentTelemetry, async (body, ctx) => {
      onReport(body.id)
      await agent.publish(pageTopic(ctx.topic), AgentTelemetry, body, send).catch(() => 0)
    }),
    agent.subscribe(TELEMETRY_PATTERN, ConnectionTelemetry, async (body, ctx) => {
      await agent.publish(pageTopic(ctx.topic), ConnectionTelemetry, body, send).catch(() => 0)
    }),
  ]
  return async () => {
    await Promise.all(subscriptions.map((s) => s.unsubscribe()))
  }
}
