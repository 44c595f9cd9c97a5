import { afterEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { defineMessage, isQmsError, MessageRegistry, type QmsError } from '../src/index.js'

const Task = defineMessage('task.run', z.object({ id: z.string(), steps: z.number().int().min(1) }))
const Note = defineMessage('note', z.string())
// Input and output differ: the wire carries a string, the handler gets its length; `tries` defaults.
const Sized = defineMessage(
  'sized',
  z.object({ text: z.string().transform((s) => s.length), tries: z.number().default(3) }),
)

function thrown(fn: () => unknown): QmsError {
  try {
    fn()
  } catch (e) {
    if (isQmsError(e)) return e
    throw e
  }
  throw new Error('expected a QmsError')
}

describe('defineMessage', () => {
  it('exposes the type name and schema', () => {
    expect(Task.type).toBe('task.run')
    expect(Task.schema.safeParse({ id: 'a', steps: 1 }).success).toBe(true)
  })

  it('of() pairs a valid body with the type name, unchanged', () => {
    const body = { id: 't1', steps: 2 }
    const msg = Task.of(body)
    expect(msg).toEqual({ type: 'task.run', body })
    expect(msg.body).toBe(body)
  })

  it('of() rejects an invalid body with ERR_SCHEMA', () => {
    const bad = { id: 't1', steps: 0 } as unknown as { id: string; steps: number }
    expect(thrown(() => Task.of(bad)).code).toBe('ERR_SCHEMA')
  })

  it('parse() returns the schema output, applying transforms and defaults', () => {
    expect(Sized.parse({ text: 'hello' })).toEqual({ text: 5, tries: 3 })
  })

  it('parse() reports zod issues with paths in details and the ZodError as cause', () => {
    const err = thrown(() => Task.parse({ id: 5, steps: 'x' }))
    expect(err.code).toBe('ERR_SCHEMA')
    expect(err.details?.type).toBe('task.run')
    const issues = err.details?.issues as { path: PropertyKey[] }[]
    expect(issues.map((i) => i.path)).toEqual([['id'], ['steps']])
    expect(err.cause).toBeInstanceOf(z.ZodError)
    expect(err.message).toContain('task.run')
    expect(err.message).toContain('id:')
  })

  it('is() recognises only messages of its type with a valid body', () => {
    expect(Task.is({ type: 'task.run', body: { id: 'a', steps: 1 } })).toBe(true)
    expect(Task.is({ type: 'task.run', body: { id: 'a' } })).toBe(false)
    expect(Task.is({ type: 'note', body: { id: 'a', steps: 1 } })).toBe(false)
    expect(Task.is(null)).toBe(false)
    expect(Task.is('task.run')).toBe(false)
  })
})

describe('MessageRegistry', () => {
  afterEach(() => {
    vi.unstubAllEnvs()
  })

  it('registers definitions given to the constructor and added later', () => {
    const reg = new MessageRegistry([Task])
    expect(reg.add(Note)).toBe(reg)
    expect(reg.types()).toEqual(['task.run', 'note'])
    expect(reg.has('note')).toBe(true)
    expect(reg.has('nope')).toBe(false)
    expect(reg.get('task.run')).toBe(Task)
    expect(reg.get('nope')).toBeUndefined()
  })

  it('ignores adding the same definition twice', () => {
    const reg = new MessageRegistry([Task, Task])
    expect(reg.types()).toEqual(['task.run'])
  })

  it('rejects a different definition under a taken name with ERR_DUPLICATE_TYPE', () => {
    const reg = new MessageRegistry([Task])
    const Impostor = defineMessage('task.run', z.number())
    const err = thrown(() => reg.add(Impostor))
    expect(err.code).toBe('ERR_DUPLICATE_TYPE')
    expect(err.details?.type).toBe('task.run')
    expect(reg.get('task.run')).toBe(Task)
  })

  it('decodeBody validates and returns the parsed body', () => {
    const reg = new MessageRegistry([Task, Sized])
    expect(reg.decodeBody('task.run', { id: 'a', steps: 1 })).toEqual({ id: 'a', steps: 1 })
    expect(reg.decodeBody('sized', { text: 'abc' })).toEqual({ text: 3, tries: 3 })
  })

  it('decodeBody rejects unregistered types with ERR_UNKNOWN_TYPE', () => {
    const err = thrown(() => new MessageRegistry([Task]).decodeBody('nope', {}))
    expect(err.code).toBe('ERR_UNKNOWN_TYPE')
    expect(err.details?.type).toBe('nope')
  })

  it('decodeBody rejects a body that breaks the schema with ERR_SCHEMA', () => {
    expect(thrown(() => new MessageRegistry([Task]).decodeBody('task.run', { id: 'a' })).code).toBe('ERR_SCHEMA')
  })

  it('encodeBody, when validating, checks the body and returns it untransformed', () => {
    const reg = new MessageRegistry([Task, Sized], { validateOnEncode: true })
    const body = { text: 'abc' }
    expect(reg.encodeBody('sized', body)).toBe(body)
    expect(thrown(() => reg.encodeBody('task.run', { id: 1 })).code).toBe('ERR_SCHEMA')
    expect(thrown(() => reg.encodeBody('nope', {})).code).toBe('ERR_UNKNOWN_TYPE')
  })

  it('encodeBody, when not validating, passes any body through', () => {
    const reg = new MessageRegistry([Task], { validateOnEncode: false })
    const body = { id: 1 }
    expect(reg.encodeBody('task.run', body)).toBe(body)
    expect(reg.encodeBody('nope', body)).toBe(body)
  })

  it('validates on encode by default outside production', () => {
    vi.stubEnv('NODE_ENV', 'development')
    expect(new MessageRegistry().validateOnEncode).toBe(true)
    vi.stubEnv('NODE_ENV', 'production')
    expect(new MessageRegistry().validateOnEncode).toBe(false)
  })
})
