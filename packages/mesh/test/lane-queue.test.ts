import { isQmsError, LaneQueue } from '@quic-multistream/mesh'
import { describe, expect, it } from 'vitest'

/** A write function that completes only when the test says so. */
function gatedWriter() {
  const writes: number[][] = []
  let release: (() => void)[] = []
  const write = (bytes: Uint8Array) => {
    writes.push([...bytes])
    return new Promise<void>((r) => release.push(r))
  }
  const open = () => {
    const r = release
    release = []
    for (const f of r) f()
  }
  return { writes, write, open }
}

const settle = () => new Promise((r) => setImmediate(r))

describe('LaneQueue', () => {
  it('sends frames queued during a write together in the next write, in order', async () => {
    const w = gatedWriter()
    const q = new LaneQueue(w.write, 10)
    const p1 = q.enqueue(() => new Uint8Array([1]))
    await settle()
    const rest = [2, 3, 4].map((n) => q.enqueue(() => new Uint8Array([n])))
    expect(q.size).toBe(4)
    w.open()
    await p1
    await settle()
    w.open()
    await Promise.all(rest)
    expect(w.writes).toEqual([[1], [2, 3, 4]])
    expect(q.stats()).toMatchObject({ written: 4, queued: 0 })
  })

  it('lets senders that reach it in the same round of microtasks share one write', async () => {
    const w = gatedWriter()
    const q = new LaneQueue(w.write, 10)
    const sends = [1, 2, 3].map((n) => Promise.resolve().then(() => q.enqueue(() => new Uint8Array([n]))))
    await settle()
    w.open()
    await Promise.all(sends)
    expect(w.writes).toEqual([[1, 2, 3]])
  })

  it('makes a sender wait while the lane is full and lets it in when there is room', async () => {
    const w = gatedWriter()
    const q = new LaneQueue(w.write, 2)
    const a = q.enqueue(() => new Uint8Array([1]))
    const b = q.enqueue(() => new Uint8Array([2]))
    let admitted = false
    const c = q.enqueue(() => {
      admitted = true
      return new Uint8Array([3])
    })
    await settle()
    expect(admitted).toBe(false)
    w.open()
    await a
    await settle()
    expect(admitted).toBe(true)
    const rest = Promise.all([b, c])
    while (w.writes.flat().length < 3) {
      w.open()
      await settle()
    }
    w.open()
    await rest
    expect(w.writes.flat()).toEqual([1, 2, 3])
  })

  it('copies each frame as it is queued, so an encoder may reuse one scratch buffer for every frame', async () => {
    const w = gatedWriter()
    const q = new LaneQueue(w.write, 10)
    const scratch = new Uint8Array(3)
    const encode = (n: number) => () => {
      scratch.fill(n)
      return scratch.subarray(0, 2)
    }
    const first = q.enqueue(encode(1))
    await settle()
    const later = [2, 3].map((n) => q.enqueue(encode(n)))
    w.open()
    await first
    await settle()
    w.open()
    await Promise.all(later)
    expect(w.writes).toEqual([
      [1, 1],
      [2, 2, 3, 3],
    ])
  })

  it('fails fast with ERR_QUEUE_FULL when asked to', async () => {
    const w = gatedWriter()
    const q = new LaneQueue(w.write, 1)
    void q.enqueue(() => new Uint8Array([1]))
    const err = await q.enqueue(() => new Uint8Array([2]), { failFast: true }).catch((e: unknown) => e)
    expect(isQmsError(err, 'ERR_QUEUE_FULL')).toBe(true)
    expect(q.stats().rejectedFull).toBe(1)
  })

  it('stops waiting for room with ERR_ABORTED when the caller aborts', async () => {
    const w = gatedWriter()
    const q = new LaneQueue(w.write, 1)
    void q.enqueue(() => new Uint8Array([1]))
    const ac = new AbortController()
    const waiting = q.enqueue(() => new Uint8Array([2]), { signal: ac.signal })
    ac.abort()
    await expect(waiting).rejects.toMatchObject({ code: 'ERR_ABORTED' })
    expect(q.size).toBe(1)
  })

  it('rejects queued frames with the write error and refuses new ones', async () => {
    const q = new LaneQueue(() => Promise.reject(new Error('stream reset')), 4)
    await expect(q.enqueue(() => new Uint8Array([1]))).rejects.toThrow('stream reset')
    await expect(q.enqueue(() => new Uint8Array([2]))).rejects.toThrow('stream reset')
  })
})
