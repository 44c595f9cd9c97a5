import { describe, expect, it } from 'vitest'
import { DedupWindow } from '../src/dedup-window.js'

describe('DedupWindow', () => {
  it('remembers an id inside its time to live and forgets it after', () => {
    const w = new DedupWindow<string>({ ttlMs: 60_000 })
    w.add('fresh', 'a')
    w.add('old', 'b', Date.now() - 60_001)
    expect(w.get('fresh')).toBe('a')
    expect(w.get('old')).toBeUndefined()
  })

  it('keeps at most `max` ids, dropping the oldest first', () => {
    const w = new DedupWindow<number>({ max: 3 })
    for (let i = 0; i < 5; i++) w.add(`k${i}`, i)
    expect(w.size).toBe(3)
    expect([0, 1, 2, 3, 4].map((i) => w.get(`k${i}`))).toEqual([undefined, undefined, 2, 3, 4])
  })

  it('keeps the newest value of an id added twice, and its later place in line', () => {
    const w = new DedupWindow<string>({ max: 2 })
    w.add('a', 'first')
    w.add('b', 'b')
    w.add('a', 'second')
    w.add('c', 'c')
    expect(w.get('a')).toBe('second')
    expect(w.get('b')).toBeUndefined()
    expect(w.get('c')).toBe('c')
  })

  it('stays exact over many more ids than it keeps', () => {
    const w = new DedupWindow<number>({ max: 100 })
    for (let i = 0; i < 10_000; i++) w.add(`k${i}`, i)
    expect(w.size).toBe(100)
    expect(w.get('k9899')).toBeUndefined()
    expect(w.get('k9900')).toBe(9900)
    expect(w.get('k9999')).toBe(9999)
  })
})
