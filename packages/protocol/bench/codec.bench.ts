// Codec throughput and size: envelopes with ~1 KiB bodies through encodeFrame + FrameDecoder, plain frames versus
// per-stream structures. Encoder and decoder are separate instances that share no state: structures reach the
// decoder only inside the frames, as they would across two processes. Prints one JSON line per metric.
import { Packr } from 'msgpackr'
import { type Codec, createCodec, createEnvelope, type Envelope, type FrameDecoder } from '../src/index.js'

const RUNS = 7
const RUN_MS = 100
const BENCH = 'protocol.codec'

function emit(metric: string, value: number, unit: string): void {
  console.log(JSON.stringify({ bench: BENCH, metric, value: Math.round(value * 10) / 10, unit }))
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

interface Case {
  metric: string
  /** Returns a fresh operation; called once per timed run. */
  setup: () => (i: number) => void
  rates: number[]
}

const cases: Case[] = []

function timed(metric: string, setup: () => (i: number) => void): void {
  cases.push({ metric, setup, rates: [] })
}

/** One run of about `RUN_MS`: operations per second. */
function run(c: Case): number {
  const op = c.setup()
  let n = 0
  const start = performance.now()
  let elapsed = 0
  while (elapsed < RUN_MS) {
    for (let k = 0; k < 256; k++) op(n++)
    elapsed = performance.now() - start
  }
  return (n * 1000) / elapsed
}

// Two kinds of 1 KiB body: one mostly a long string, one made of many small objects of the same shape.
const bodies = {
  text: { taskId: 'task-000123', op: 'summarize', text: 'lorem ipsum '.repeat(80).slice(0, 940), attempt: 1 },
  records: {
    items: Array.from({ length: 12 }, (_, i) => ({
      id: `item-${i}`,
      score: i * 1.5,
      tags: ['alpha', 'beta'],
      ok: i % 2 === 0,
      owner: 'agent-7',
    })),
  },
}

function envelopes(body: unknown): Envelope[] {
  return Array.from({ length: 64 }, (_, i) =>
    createEnvelope({
      kind: 'request',
      type: 'task.run',
      from: 'agent-alpha',
      to: 'agent-beta',
      deadline: Date.now() + 30_000,
      body,
      ts: Date.now() + i,
    }),
  )
}

const bodyBytes = new Packr({ useRecords: false })

for (const [shape, body] of Object.entries(bodies)) {
  const envs = envelopes(body)
  const plainBody = bodyBytes.pack(body).length
  for (const structures of [false, true]) {
    const mode = structures ? 'structures' : 'plain'
    const codec = (): Codec => createCodec({ structures })

    // Sizes: the steady state, after the first frame of a stream has defined its structures.
    const sizer = codec()
    sizer.encodeFrame(envs[0]!)
    const frameBytes = sizer.encodeFrame(envs[1]!).length
    emit(`frame-bytes.${mode}.${shape}`, frameBytes, 'B')
    emit(`overhead.${mode}.${shape}`, frameBytes - plainBody, 'B')

    timed(`roundtrip.${mode}.${shape}`, () => {
      const c = codec()
      const d = c.decoder()
      return (i) => {
        if (d.push(c.encodeFrame(envs[i & 63]!)).length !== 1) throw new Error('lost a frame')
      }
    })

    if (shape !== 'text') continue
    timed(`encode.${mode}.${shape}`, () => {
      const c = codec()
      return (i) => {
        c.encodeFrame(envs[i & 63]!)
      }
    })
    // Decoding replays one recorded stream from its start, so every structure is defined before it is used.
    const recorder = codec()
    const stream = Array.from({ length: 8192 }, (_, i) => recorder.encodeFrame(envs[i & 63]!))
    timed(`decode.${mode}.${shape}`, () => {
      let d: FrameDecoder = recorder.decoder()
      return (i) => {
        const k = i % stream.length
        if (k === 0) d = recorder.decoder()
        if (d.push(stream[k]!).length !== 1) throw new Error('lost a frame')
      }
    })
  }
}

// Runs are interleaved across cases so that load from other processes spreads evenly over what is compared.
for (const c of cases) {
  const warm = c.setup()
  for (let i = 0; i < 20_000; i++) warm(i)
}
for (let r = 0; r < RUNS; r++) for (const c of cases) c.rates.push(run(c))
for (const c of cases) emit(c.metric, median(c.rates), 'env/s')
