// Server process of the peer suite (forked by client.ts with the system id as its argument): starts the system's
// server half, counts what arrives, and answers the client over IPC. Exits when told to, when its parent goes away,
// or after a hard deadline, so a broken run never leaves it behind.
import { processRssBytes } from '../lib/cpu-load.js'
import type { StartedServer } from './system.js'
import { findSystem } from './systems/index.js'
import type { Counters, ServerCommand, ServerMessage } from './wire.js'

const HARD_DEADLINE_MS = 300_000
/** How often a stalled counter is noticed (lossy systems never reach their target). */
const STALL_CHECK_MS = 25

interface Waiter {
  counter: keyof Counters
  atLeast: number
  quietMs: number
  last: number
  lastChange: number
}

const counters: Counters = { msgs: 0, bytes: 0, deliveries: 0 }
const waiters: Waiter[] = []
let started: StartedServer | undefined

function send(m: ServerMessage): void {
  process.send?.(m)
}

function settle(i: number): void {
  waiters.splice(i, 1)
  send({ type: 'counters', counters: { ...counters } })
}

function count(counter: keyof Counters, n = 1): void {
  counters[counter] += n
  const value = counters[counter]
  for (let i = waiters.length - 1; i >= 0; i--) {
    const w = waiters[i]!
    if (w.counter === counter && value >= w.atLeast) settle(i)
  }
}

const stallTimer = setInterval(() => {
  const now = performance.now()
  for (let i = waiters.length - 1; i >= 0; i--) {
    const w = waiters[i]!
    const value = counters[w.counter]
    if (value !== w.last) {
      w.last = value
      w.lastChange = now
    } else if (now - w.lastChange >= w.quietMs) settle(i)
  }
}, STALL_CHECK_MS)
stallTimer.unref()

async function shutdown(code: number): Promise<never> {
  setTimeout(() => process.exit(code), 3_000).unref()
  await started?.stop().catch(() => {})
  process.exit(code)
}

/** This process's resident memory after a full GC (the process runs with --expose-gc). */
function ownMemory(): number {
  ;(globalThis as { gc?: () => void }).gc?.()
  return process.memoryUsage().rss
}

async function onCommand(m: ServerCommand): Promise<void> {
  if (m.type === 'exit') return void (await shutdown(0))
  if (m.type === 'counters') return send({ type: 'counters', counters: { ...counters } })
  if (m.type === 'memory') {
    const pid = started?.memoryPid
    return send({ type: 'memory', rss: pid === undefined ? ownMemory() : processRssBytes(pid) })
  }
  if (m.type === 'call') {
    try {
      if (!started?.call) throw new Error(`no call "${m.name}" on this server`)
      send({ type: 'called', result: await started.call(m.name, m.arg) })
    } catch (e) {
      send({ type: 'failed', error: e instanceof Error ? e.message : String(e) })
    }
    return
  }
  if (m.type === 'wait') {
    if (counters[m.counter] >= m.atLeast) return send({ type: 'counters', counters: { ...counters } })
    const now = performance.now()
    waiters.push({ ...m, last: counters[m.counter], lastChange: now })
  }
}

async function main(): Promise<void> {
  setTimeout(() => {
    console.error('peers server: hard deadline reached, exiting')
    process.exit(2)
  }, HARD_DEADLINE_MS).unref()
  process.on('disconnect', () => void shutdown(0))
  process.on('message', (m: ServerCommand) => void onCommand(m))
  const id = process.argv[2] ?? ''
  const system = await findSystem(id).load()
  started = await system.startServer({ count })
  send({ type: 'ready', info: started.info, pids: [process.pid, ...(started.pids ?? [])] })
}

main().catch((e: unknown) => {
  console.error('peers server failed:', e)
  process.exit(1)
})
