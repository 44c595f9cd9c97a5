import { describe, expect, it } from 'vitest'
import { type EditOperation, editDistance, lcs } from '../src/index.js'

/** Replays an edit script on `a`: what it produces must be `b`. */
function apply<T>(a: ArrayLike<T>, b: ArrayLike<T>, script: readonly EditOperation[]): T[] {
  const out: T[] = []
  for (const step of script) {
    if (step.op === 'match') out.push(a[step.i]!)
    else if (step.op === 'substitute' || step.op === 'insert') out.push(b[step.j]!)
  }
  return out
}

describe('lcs', () => {
  it('finds the length and one alignment of a small pair, as computed by hand', () => {
    // a = "ABC", b = "ACB". L[i][j] = LCS of a[0..i) and b[0..j):
    //        ""  A  C  B
    //   ""    0  0  0  0
    //   A     0  1  1  1
    //   B     0  1  1  2
    //   C     0  1  2  2
    // Back from (3,3): C != B and up (2) >= left (2): up to (2,3); B == B with L[2][3] = L[1][2] + 1: pair [1,2];
    // at (1,2): A != C, up 0 < left 1: left to (1,1); A == A: pair [0,0]. The alignment spells "AB".
    expect(lcs('ABC', 'ACB')).toEqual({
      length: 2,
      pairs: [
        [0, 0],
        [1, 2],
      ],
    })
  })

  it('finds a longest common subsequence of the textbook pair', () => {
    // ABCBDAB / BDCABA: the LCS length is 4 (BCBA, BDAB and BCAB all qualify).
    const a = 'ABCBDAB'
    const b = 'BDCABA'
    const r = lcs(a, b)
    expect(r.length).toBe(4)
    const picked = r.pairs!.map(([i, j]) => {
      expect(a[i]).toBe(b[j])
      return a[i]
    })
    expect(['BCBA', 'BDAB', 'BCAB']).toContain(picked.join(''))
    expect(lcs(a, b, { alignment: false })).toEqual({ length: 4 })
  })

  it('compares arrays of any items, with a custom equality when given', () => {
    expect(lcs([1, 2, 3, 4], [2, 4, 5]).length).toBe(2)
    expect(lcs([true, false], [false, true]).length).toBe(1)
    const byId = (x: { id: number }, y: { id: number }) => x.id === y.id
    expect(lcs([{ id: 1 }, { id: 2 }], [{ id: 2 }], { equals: byId })).toEqual({ length: 1, pairs: [[1, 0]] })
  })

  it('has nothing in common with an empty sequence', () => {
    expect(lcs([], [1, 2])).toEqual({ length: 0, pairs: [] })
  })
})

describe('editDistance', () => {
  it('turns kitten into sitting in three edits, with the script computed by hand', () => {
    // E(kitten, sitting) = 3: k->s, e->i, +g. Walking back from (6,7): n != g and E[6][7] = E[6][6] + 1 only
    // (E[5][6] + 1 = 4, E[5][7] + 1 = 5), so the last step inserts g; then n = n (E[5][5] = 2), e -> i
    // (E[4][4] = 1), t = t, t = t, i = i, and k -> s (E[0][0] = 0).
    const r = editDistance('kitten', 'sitting')
    expect(r.distance).toBe(3)
    expect(r.script).toEqual([
      { op: 'substitute', i: 0, j: 0 },
      { op: 'match', i: 1, j: 1 },
      { op: 'match', i: 2, j: 2 },
      { op: 'match', i: 3, j: 3 },
      { op: 'substitute', i: 4, j: 4 },
      { op: 'match', i: 5, j: 5 },
      { op: 'insert', i: 6, j: 6 },
    ])
    expect(apply('kitten', 'sitting', r.script!).join('')).toBe('sitting')
  })

  it('deletes what the target lacks', () => {
    // E(abc, ac): b must go. E[2][1] = E[1][1] + 1 = 1 ("ab" -> "a"), so the walk from (3,2) matches c, deletes b,
    // matches a.
    expect(editDistance('abc', 'ac')).toEqual({
      distance: 1,
      script: [
        { op: 'match', i: 0, j: 0 },
        { op: 'delete', i: 1, j: 1 },
        { op: 'match', i: 2, j: 1 },
      ],
    })
  })

  it('counts every item of the other sequence against an empty one', () => {
    expect(editDistance([], [1, 2, 3]).distance).toBe(3)
    expect(editDistance([1, 2], [], { script: false })).toEqual({ distance: 2 })
  })

  it('compares arrays of items with a custom equality', () => {
    const caseless = (x: string, y: string) => x.toLowerCase() === y.toLowerCase()
    expect(editDistance(['A', 'b'], ['a', 'B'], { equals: caseless }).distance).toBe(0)
    expect(editDistance(['A', 'b'], ['a', 'B']).distance).toBe(2)
  })
})
