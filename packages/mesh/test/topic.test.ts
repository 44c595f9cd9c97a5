import { assertPattern, assertTopic, topicMatches } from '@quic-multistream/mesh'
import { describe, expect, it } from 'vitest'

describe('topics', () => {
  it.each([
    ['tasks.*.done', 'tasks.42.done', true],
    ['tasks.*.done', 'tasks.42.failed', false],
    ['tasks.*.done', 'tasks.42.done.late', false],
    ['tasks.>', 'tasks.42', true],
    ['tasks.>', 'tasks.42.done', true],
    ['tasks.>', 'tasks', false],
    ['>', 'anything.at.all', true],
    ['a.b', 'a.b', true],
    ['a.b', 'a', false],
    ['a.*', 'a', false],
  ])('%s matches %s: %s', (pattern, topic, expected) => {
    expect(topicMatches(pattern, topic)).toBe(expected)
  })

  it('rejects wildcards in topics and misplaced wildcards in patterns', () => {
    expect(() => assertTopic('tasks.*')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
    expect(() => assertTopic('tasks..x')).toThrow()
    expect(() => assertPattern('tasks.>.done')).toThrow()
    expect(() => assertPattern('ta*sks')).toThrow()
    expect(() => assertPattern('tasks.*.>')).not.toThrow()
  })
})
