import { describe, expect, it } from 'vitest'
import { createLogger, matchesDebug } from '../src/index.js'

describe('matchesDebug', () => {
  it.each([
    ['qms:*', 'qms:transport', true],
    ['qms:*', 'qms:transport:conn', true],
    ['qms:*', 'other:transport', false],
    ['qms:transport', 'qms:transport', true],
    ['qms:transport', 'qms:transport:conn', false],
    ['qms:transport*', 'qms:transport:conn', true],
    ['qms:mesh,qms:agent', 'qms:agent', true],
    ['qms:mesh qms:agent', 'qms:agent', true],
    ['qms:mesh, qms:agent', 'qms:transport', false],
    ['*', 'anything', true],
    ['', 'qms:transport', false],
    ['qms:*,-qms:mesh', 'qms:mesh', false],
    ['qms:*,-qms:mesh', 'qms:agent', true],
    ['-qms:mesh,qms:*', 'qms:mesh', false],
    ['-qms:mesh', 'qms:agent', false],
    ['qms.x', 'qmsax', false],
    ['qms:(a)', 'qms:(a)', true],
  ])('DEBUG=%j enables %j: %s', (pattern, ns, expected) => {
    expect(matchesDebug(pattern, ns)).toBe(expected)
  })
})

describe('createLogger', () => {
  function capture(debug: string, ns = 'qms:test') {
    const lines: string[] = []
    const log = createLogger(ns, { debug, write: (l) => lines.push(l) })
    return { log, lines }
  }

  it('writes nothing when the namespace is not enabled', () => {
    const { log, lines } = capture('qms:other')
    log('hello %s', 'x')
    expect(log.enabled).toBe(false)
    expect(lines).toEqual([])
  })

  it('writes a timestamped line with the namespace when enabled', () => {
    const { log, lines } = capture('qms:*')
    log('connected', 'to', { port: 4433 })
    expect(log.enabled).toBe(true)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\S+Z qms:test connected to \{"port":4433\}\n$/)
  })

  it('formats errors by name and message and bigints as digits', () => {
    const { log, lines } = capture('qms:test')
    log('failed', new RangeError('out of range'), { n: 10n })
    expect(lines[0]).toContain('failed RangeError: out of range {"n":"10"}')
  })

  it('substitutes printf-style placeholders in order and appends the arguments left over', () => {
    const { log, lines } = capture('qms:test')
    log('peer %s at %s sent %d frames (%j), 100%%', 'a1', '127.0.0.1:4433', '7', { lane: 'high' }, 'extra')
    expect(lines[0]).toContain('qms:test peer a1 at 127.0.0.1:4433 sent 7 frames ({"lane":"high"}), 100% extra\n')
  })

  it('leaves a placeholder without an argument as written', () => {
    const { log, lines } = capture('qms:test')
    log('closed %s (%s)', 'conn-1')
    expect(lines[0]).toContain('closed conn-1 (%s)\n')
  })

  it('survives arguments JSON cannot represent', () => {
    const { log, lines } = capture('qms:test')
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    log('cycle', cyclic)
    expect(lines[0]).toContain('cycle [object Object]')
  })

  it('extends into child namespaces that follow the same pattern and sink', () => {
    const { log, lines } = capture('qms:test:*,-qms:test:quiet')
    expect(log.enabled).toBe(false)
    const child = log.extend('conn')
    const quiet = log.extend('quiet')
    child('up')
    quiet('hidden')
    expect(child.enabled).toBe(true)
    expect(quiet.enabled).toBe(false)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(' qms:test:conn up')
  })
})
