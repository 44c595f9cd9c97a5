import { describe, expect, it } from 'vitest'
import { JobBoard, type JobResultBody } from '../src/index.js'

const result = (jobId: number, worker: string): JobResultBody => ({
  jobId,
  worker,
  distance: 1,
  pathLength: 2,
  chunks: 1,
  computeMs: 0,
})

describe('JobBoard', () => {
  it('hands a failed job out again first, and counts it reassigned when another worker takes it', () => {
    const board = new JobBoard(3)
    expect(board.take('w1')).toEqual({ jobId: 0, previous: undefined })
    expect(board.take('w2')).toEqual({ jobId: 1, previous: undefined })
    expect(board.runningOn('w1')).toEqual([0])
    expect(board.requeue(0, 'w1')).toBe('queued')
    expect(board.runningOn('w1')).toEqual([])
    expect(board.take('w2')).toEqual({ jobId: 0, previous: 'w1' })
    expect(board.reassigned).toBe(1)
    expect(board.inFlight).toBe(2)
    expect(board.queued).toBe(1)
  })

  it('credits a job once and drops a later result for it', () => {
    const board = new JobBoard(1)
    board.take('w1')
    board.requeue(0, 'w1')
    board.take('w2')
    expect(board.complete(0, 'w2', result(0, 'w2'))).toBe(true)
    expect(board.complete(0, 'w1', result(0, 'w1'))).toBe(false)
    expect(board.duplicates).toBe(1)
    expect(board.finished).toBe(true)
    expect(board.outcomes()).toEqual([{ jobId: 0, creditedTo: ['w2'], triedOn: ['w1', 'w2'], result: result(0, 'w2') }])
  })

  it('loses a job after its last allowed attempt, and every queued job when no worker is left', async () => {
    const board = new JobBoard(2, 2)
    board.take('w1')
    board.requeue(0, 'w1')
    const changed = board.changed()
    board.take('w2')
    expect(board.requeue(0, 'w2')).toBe('lost')
    await changed
    board.abandonQueued()
    expect(board.lost).toBe(2)
    expect(board.finished).toBe(true)
    expect(board.outcomes().every((o) => o.creditedTo.length === 0)).toBe(true)
  })
})
