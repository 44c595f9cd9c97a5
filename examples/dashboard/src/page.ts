/**
 * The dashboard page: joins the mesh as a browser agent through the dashboard's gateway, subscribes to the
 * telemetry topics (as relayed by the gateway, see `PAGE_PREFIX`) and draws what arrives. Bundled by the dashboard server (`/dashboard.js`); its settings come from
 * `/config.json`, which the server fills in (WebTransport URL, certificate hash, gateway id, token).
 */
import { BrowserAgent } from '@quic-multistream/browser'
import { LineChart } from './chart.js'
import type { DashboardConfig } from './config.js'
import {
  AgentTelemetry,
  type AgentTelemetryBody,
  ConnectionTelemetry,
  type ConnectionTelemetryBody,
  PAGE_PATTERN,
} from './telemetry.js'

interface AgentView {
  last: AgentTelemetryBody
  previous?: AgentTelemetryBody
  connections?: ConnectionTelemetryBody
  previousConnections?: ConnectionTelemetryBody
}

const agents = new Map<string, AgentView>()
let reports = 0

const $ = (id: string) => document.getElementById(id) as HTMLElement
const setText = (id: string, text: string) => {
  $(id).textContent = text
}

const number = new Intl.NumberFormat('en', { maximumFractionDigits: 1 })
const bytes = (n: number) =>
  n >= 1 << 20 ? `${number.format(n / (1 << 20))} MiB` : n >= 1024 ? `${number.format(n / 1024)} KiB` : `${n} B`

/** Per-second rate between two cumulative readings. */
function rate(now: number, before: number | undefined, ms: number): number {
  return before === undefined || ms <= 0 ? 0 : Math.max(0, ((now - before) * 1000) / ms)
}

function laneRates(v: AgentView): Map<string, number> {
  const out = new Map<string, number>()
  const ms = v.previous ? v.last.at - v.previous.at : 0
  for (const l of v.last.lanes) {
    const before = v.previous?.lanes.find((p) => p.lane === l.lane)
    out.set(l.lane, rate(l.sent + l.received, before ? before.sent + before.received : undefined, ms))
  }
  return out
}

/**
 * The alpn of a page's WebTransport session as its gateway reports it. Its RTT is left out of the figures: quiche
 * 0.18 stamps each packet with its pacer's release time, which a gateway only pushing to a page (whose packets are
 * all pure ACKs) does not move forward while its initial congestion window lasts, so the RTT it derives from such a
 * session grows by about a second per second on loopback. Native connections are not affected.
 */
const WEBTRANSPORT_ALPN = 'webtransport'

function connectionTotals(v: AgentView): { rtt: number[]; bytes: number; bytesPerS: number } {
  const now = v.connections?.connections ?? []
  const before = v.previousConnections
  const ms = before && v.connections ? v.connections.at - before.at : 0
  let total = 0
  let perS = 0
  for (const c of now) {
    total += c.bytesSent + c.bytesReceived
    const old = before?.connections.find((p) => p.id === c.id)
    perS += rate(c.bytesSent + c.bytesReceived, old ? old.bytesSent + old.bytesReceived : undefined, ms)
  }
  return { rtt: now.filter((c) => c.alpn !== WEBTRANSPORT_ALPN).map((c) => c.rttMs), bytes: total, bytesPerS: perS }
}

function render(charts: { rate: LineChart; rtt: LineChart; bytes: LineChart }, peerCount: number): void {
  let msgs = 0
  let errors = 0
  let connections = 0
  let totalBytes = 0
  let bytesPerS = 0
  const rtts: number[] = []
  const rows: string[] = []
  for (const [id, v] of [...agents].sort(([a], [b]) => a.localeCompare(b))) {
    const lanes = laneRates(v)
    const laneSum = [...lanes.values()].reduce((a, b) => a + b, 0)
    const conn = connectionTotals(v)
    const agentErrors = Object.values(v.last.errors).reduce((a, b) => a + b, 0)
    msgs += laneSum
    errors += agentErrors
    connections += v.last.connections
    totalBytes += conn.bytes
    bytesPerS += conn.bytesPerS
    rtts.push(...conn.rtt)
    const rtt = conn.rtt.length ? `${number.format(Math.max(...conn.rtt))} ms` : '–'
    const laneCells = ['critical', 'high', 'normal', 'low', 'background']
      .map((l) => `<td>${number.format(lanes.get(l) ?? 0)}</td>`)
      .join('')
    rows.push(
      `<tr><td>${escapeHtml(id)}</td><td>${escapeHtml(v.last.role ?? '')}</td>${laneCells}` +
        `<td>${v.last.connections}</td><td>${rtt}</td><td>${bytes(conn.bytes)}</td><td>${agentErrors}</td></tr>`,
    )
  }
  const avgRtt = rtts.length ? rtts.reduce((a, b) => a + b, 0) / rtts.length : 0
  setText('agents', String(peerCount))
  setText('reporting', String(agents.size))
  setText('connections', String(connections))
  setText('msg-rate', number.format(msgs))
  setText('rtt', `${number.format(avgRtt)} ms`)
  setText('bytes', bytes(totalBytes))
  setText('errors', String(errors))
  setText('reports', String(reports))
  $('agent-rows').innerHTML = rows.join('')
  charts.rate.push(msgs)
  charts.rtt.push(avgRtt)
  charts.bytes.push(bytesPerS)
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

async function main(): Promise<void> {
  const config = (await (await fetch('/config.json')).json()) as DashboardConfig
  setText('status', `connecting to ${config.url}…`)
  const agent = await BrowserAgent.connect(config.url, {
    id: `${config.pagePrefix}-${Math.random().toString(36).slice(2, 8)}`,
    gateway: config.gateway,
    serverCertificateHashes: [config.certificateHash],
    ...(config.token === undefined ? {} : { token: config.token }),
  })
  setText('status', `joined the mesh as ${agent.id} via ${config.gateway}`)
  const onAgent = (body: AgentTelemetryBody) => {
    reports++
    const v = agents.get(body.id)
    agents.set(body.id, { ...v, last: body, ...(v ? { previous: v.last } : {}) })
  }
  const onConnections = (body: ConnectionTelemetryBody) => {
    const v = agents.get(body.id)
    if (!v) return
    v.previousConnections = v.connections
    v.connections = body
  }
  await Promise.all([
    agent.subscribe(PAGE_PATTERN, AgentTelemetry, onAgent).ready,
    agent.subscribe(PAGE_PATTERN, ConnectionTelemetry, onConnections).ready,
  ])
  const charts = {
    rate: new LineChart($('chart-rate') as HTMLCanvasElement, {
      color: '#4fc3f7',
      format: (v) => `${number.format(v)}/s`,
    }),
    rtt: new LineChart($('chart-rtt') as HTMLCanvasElement, {
      color: '#ffb74d',
      format: (v) => `${number.format(v)} ms`,
    }),
    bytes: new LineChart($('chart-bytes') as HTMLCanvasElement, { color: '#81c784', format: (v) => `${bytes(v)}/s` }),
  }
  setInterval(() => render(charts, agent.peers().length), config.refreshMs)
  window.addEventListener('pagehide', () => void agent.stop())
}

main().catch((e: unknown) => {
  setText('status', `failed: ${e instanceof Error ? e.message : String(e)}`)
  $('status').classList.add('error')
})
