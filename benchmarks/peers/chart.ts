// An SVG chart of the Agent's ratios against each peer: one bar per pattern and peer on a logarithmic axis centred
// on 1x (right and green: the Agent is better; left and red: the peer is), with the goals of issue #7 marked.
import { GOALS, PATTERN_INFO } from './ratios.js'
import type { SuiteReport } from './suite.js'
import type { PatternId } from './wire.js'

const WIDTH = 960
const LABEL_W = 300
const ROW_H = 18
const HEAD_H = 22
const TOP = 56
/** The axis spans 1/32x .. 32x. */
const LOG2_SPAN = 5

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** The chart as an SVG document. */
export function renderChart(report: SuiteReport): string {
  const plotW = WIDTH - LABEL_W - 80
  const x = (ratio: number) => {
    const l = Math.max(-LOG2_SPAN, Math.min(LOG2_SPAN, Math.log2(ratio)))
    return LABEL_W + ((l + LOG2_SPAN) / (2 * LOG2_SPAN)) * plotW
  }
  const labelOf = (id: string) => report.systems.find((s) => s.id === id)?.label ?? id
  const parts: string[] = []
  let y = TOP
  for (const pattern of Object.keys(report.ratios) as PatternId[]) {
    const row = report.ratios[pattern]!
    const peers = Object.keys(row)
    if (peers.length === 0) continue
    parts.push(`<text x="8" y="${y + 15}" font-weight="bold">${escapeXml(PATTERN_INFO[pattern].label)}</text>`)
    y += HEAD_H
    for (const peer of peers) {
      const r = row[peer]!
      const x0 = x(1)
      const x1 = x(r)
      const fill = r >= 1 ? '#3a9d5d' : '#c8553d'
      parts.push(`<text x="24" y="${y + 13}">vs ${escapeXml(labelOf(peer))}</text>`)
      parts.push(
        `<rect x="${Math.min(x0, x1)}" y="${y + 3}" width="${Math.max(1, Math.abs(x1 - x0))}" height="${ROW_H - 6}" fill="${fill}"/>`,
      )
      parts.push(`<text x="${Math.max(x0, x1) + 4}" y="${y + 13}">${r.toFixed(2)}x</text>`)
      for (const g of GOALS.filter((g) => g.pattern === pattern && g.peer === peer)) {
        const gx = x(g.target)
        parts.push(
          `<line x1="${gx}" x2="${gx}" y1="${y}" y2="${y + ROW_H}" stroke="#000" stroke-width="2"><title>goal ${g.target}x</title></line>`,
        )
      }
      y += ROW_H
    }
  }
  const ticks = [1 / 32, 1 / 8, 1 / 2, 1, 2, 8, 32]
    .map((t) => {
      const tx = x(t)
      const label = t >= 1 ? `${t}x` : `1/${1 / t}x`
      return `<line x1="${tx}" x2="${tx}" y1="${TOP - 6}" y2="${y}" stroke="${t === 1 ? '#555' : '#ddd'}"/><text x="${tx}" y="${TOP - 10}" text-anchor="middle">${label}</text>`
    })
    .join('')
  const m = report.machine
  const title = `quic-multistream Agent vs peers (${m.cpus} cores, Node ${m.node}, ${report.timestamp.slice(0, 16)}); black ticks: goals`
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y + 16}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="8" y="20" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    ticks,
    ...parts,
    '</svg>',
    '',
  ].join('\n')
}
