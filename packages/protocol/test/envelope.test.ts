import { describe, expect, it } from 'vitest'
import {
  BODYLESS_KINDS,
  createEnvelope,
  ENVELOPE_KINDS,
  type Envelope,
  isEnvelopeKind,
  isQmsError,
  Priority,
  QmsError,
  validateEnvelope,
} from '../src/index.js'

function valid(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    v: 1,
    id: 'abc',
    kind: 'send',
    type: 'demo.note',
    from: 'a',
    to: 'b',
    priority: 128,
    ts: 1_700_000_000_000,
    body: { text: 'hi' },
    ...overrides,
  }
}

function invalidField(x: unknown): string {
  try {
    validateEnvelope(x)
  } catch (e) {
    expect(isQmsError(e, 'ERR_ENVELOPE_INVALID')).toBe(true)
    return String((e as QmsError).details?.field)
  }
  throw new Error('validateEnvelope accepted an invalid envelope')
}

describe('createEnvelope', () => {
  it('fills version, a nanoid id, the current time and normal priority', () => {
    const before = Date.now()
    const env = createEnvelope({ kind: 'send', type: 't', from: 'a', to: 'b', body: 1 })
    expect(env.v).toBe(1)
    expect(env.id).toMatch(/^[A-Za-z0-9_-]{21}$/)
    expect(env.ts).toBeGreaterThanOrEqual(before)
    expect(env.ts).toBeLessThanOrEqual(Date.now())
    expect(env.priority).toBe(Priority.NORMAL)
  })

  it('gives every envelope a distinct id', () => {
    const ids = new Set(
      Array.from({ length: 1000 }, () => createEnvelope({ kind: 'ping', type: '', from: 'a', to: 'b', body: null }).id),
    )
    expect(ids.size).toBe(1000)
  })

  it('keeps explicitly given id, ts and priority', () => {
    const env = createEnvelope({ kind: 'send', type: 't', from: 'a', to: 'b', body: 1, id: 'x', ts: 5, priority: 3 })
    expect([env.id, env.ts, env.priority]).toEqual(['x', 5, 3])
  })

  it('leaves out optional fields that are undefined, so shapes stay uniform', () => {
    const env = createEnvelope({
      kind: 'send',
      type: 't',
      from: 'a',
      to: 'b',
      body: 1,
      topic: undefined,
      corr: undefined,
      deadline: undefined,
      error: undefined,
    })
    expect(Object.keys(env)).toEqual(['v', 'id', 'kind', 'type', 'from', 'to', 'priority', 'ts', 'body'])
  })

  it('carries topic, corr, deadline and error when given', () => {
    const env = createEnvelope({
      kind: 'error',
      type: 't',
      from: 'a',
      to: 'b',
      body: undefined,
      topic: 'news',
      corr: 'req-1',
      deadline: 99,
      error: { code: 'ERR_X', message: 'boom' },
    })
    expect(env).toMatchObject({ topic: 'news', corr: 'req-1', deadline: 99, error: { code: 'ERR_X', message: 'boom' } })
    expect(validateEnvelope(env)).toBe(env)
  })
})

describe('validateEnvelope', () => {
  it.each(ENVELOPE_KINDS)('accepts a well-formed "%s" envelope and returns the same object', (kind) => {
    const env = valid({ kind, ...(kind === 'error' ? { error: { code: 'ERR_X', message: 'm' } } : {}) })
    expect(validateEnvelope(env)).toBe(env)
  })

  it('knows exactly the fourteen kinds', () => {
    expect(ENVELOPE_KINDS).toHaveLength(14)
    expect(isEnvelopeKind('stream-open')).toBe(true)
    expect(isEnvelopeKind('stream_open')).toBe(false)
    expect(isEnvelopeKind(3)).toBe(false)
  })

  it.each(['ping', 'pong', 'ack'] as const)('lets "%s" go without a body (undefined or null)', (kind) => {
    expect(() => validateEnvelope(valid({ kind, body: undefined }))).not.toThrow()
    expect(() => validateEnvelope(valid({ kind, body: null }))).not.toThrow()
  })

  it('requires a body on kinds that carry a typed message, but accepts null', () => {
    for (const kind of ENVELOPE_KINDS.filter((k) => !BODYLESS_KINDS.has(k))) {
      expect(invalidField(valid({ kind, body: undefined }))).toBe('body')
      expect(() => validateEnvelope(valid({ kind, body: null }))).not.toThrow()
    }
  })

  it('requires the error field on "error" envelopes', () => {
    expect(invalidField(valid({ kind: 'error', body: undefined }))).toBe('error')
  })

  it('tolerates optional fields explicitly set to undefined', () => {
    const env = valid({ topic: undefined, corr: undefined, deadline: undefined, error: undefined })
    expect(validateEnvelope(env)).toBe(env)
  })

  it('tolerates unknown extra fields', () => {
    expect(() => validateEnvelope(valid({ future: 1 }))).not.toThrow()
  })

  it.each([
    ['v', { v: 2 }],
    ['v', { v: '1' }],
    ['id', { id: '' }],
    ['id', { id: 7 }],
    ['kind', { kind: 'shout' }],
    ['type', { type: null }],
    ['from', { from: undefined }],
    ['to', { to: 1 }],
    ['topic', { topic: 5 }],
    ['queue', { queue: 3 }],
    ['corr', { corr: {} }],
    ['priority', { priority: 256 }],
    ['priority', { priority: -1 }],
    ['priority', { priority: 1.5 }],
    ['priority', { priority: Number.NaN }],
    ['priority', { priority: '128' }],
    ['ts', { ts: Number.POSITIVE_INFINITY }],
    ['ts', { ts: '1700000000000' }],
    ['deadline', { deadline: 'soon' }],
    ['error', { error: 'boom' }],
    ['error', { error: { code: 'ERR_X' } }],
    ['error', { error: null }],
  ])('rejects a bad "%s" (%j) with ERR_ENVELOPE_INVALID naming the field', (field, patch) => {
    expect(invalidField(valid(patch))).toBe(field)
  })

  it('accepts the priority bounds 0 and 255', () => {
    expect(() => validateEnvelope(valid({ priority: 0 }))).not.toThrow()
    expect(() => validateEnvelope(valid({ priority: 255 }))).not.toThrow()
  })

  it.each([null, undefined, 42, 'env', [1, 'id']])('rejects the non-object %j', (x) => {
    expect(() => validateEnvelope(x)).toThrow(QmsError)
  })

  it('narrows unknown input to Envelope', () => {
    const x: unknown = valid()
    const env: Envelope = validateEnvelope(x)
    expect(env.kind).toBe('send')
  })
})
