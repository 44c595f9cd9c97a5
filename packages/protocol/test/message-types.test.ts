// Type-level tests: the `expectTypeOf` and `@ts-expect-error` lines below are checked by the TypeScript compiler,
// which the last test runs over this file (and the package's other tests and benches, which `tsc -b` does not see).
// A `@ts-expect-error` whose line compiles (say, because a body type degraded to `any`) is itself a compile error,
// so these assertions cannot pass vacuously.
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import {
  type AnyMessageDef,
  defineMessage,
  type Infer,
  type InferInput,
  type Message,
  type MessageDef,
  MessageRegistry,
  type TypeName,
} from '../src/index.js'

const Task = defineMessage('task.run', z.object({ id: z.string(), steps: z.number() }))
const Result = defineMessage('task.result', z.object({ ok: z.boolean() }))
const Parsed = defineMessage('parsed', z.object({ when: z.string().transform((s) => new Date(s)) }))

// The shapes an upper layer builds on: `agent.request(peer, Task, body)` and `agent.handle(Task, async (body) => ...)`.
declare function request<D extends AnyMessageDef>(peer: string, def: D, body: InferInput<D>): Promise<unknown>
declare function handle<D extends AnyMessageDef, R extends AnyMessageDef>(
  def: D,
  fn: (body: Infer<D>) => Promise<Message<TypeName<R>, InferInput<R>>>,
): void

// Never called: it only has to compile (or, on the marked lines, fail to).
function compileTimeChecks(): void {
  request('peer', Task, { id: 't', steps: 1 })
  // @ts-expect-error steps must be a number
  request('peer', Task, { id: 't', steps: '1' })
  // @ts-expect-error steps is required
  request('peer', Task, { id: 't' })
  // @ts-expect-error a Result body is not a Task body
  request('peer', Task, { ok: true })

  handle(Task, async (body) => {
    expectTypeOf(body).toEqualTypeOf<{ id: string; steps: number }>()
    return Result.of({ ok: body.steps > 0 })
  })
  handle(Task, async (body) => {
    // @ts-expect-error there is no such field on a Task body
    body.missing
    return Result.of({ ok: true })
  })
  // @ts-expect-error a result body must match the result schema
  Result.of({ ok: 'yes' })

  // Senders pass the schema input, handlers get the output.
  request('peer', Parsed, { when: '2024-01-01' })
  // @ts-expect-error the wire form of `when` is a string, not a Date
  request('peer', Parsed, { when: new Date() })
  handle(Parsed, async (body) => {
    expectTypeOf(body.when).toEqualTypeOf<Date>()
    return Result.of({ ok: true })
  })
}

describe('message typing', () => {
  it('infers type names as literals and bodies from the schema', () => {
    expectTypeOf(Task.type).toEqualTypeOf<'task.run'>()
    expectTypeOf<Infer<typeof Task>>().toEqualTypeOf<{ id: string; steps: number }>()
    expectTypeOf<InferInput<typeof Parsed>>().toEqualTypeOf<{ when: string }>()
    expectTypeOf<Infer<typeof Parsed>>().toEqualTypeOf<{ when: Date }>()
    expectTypeOf(Task.of).parameter(0).toEqualTypeOf<{ id: string; steps: number }>()
    expectTypeOf(Task.parse).returns.toEqualTypeOf<{ id: string; steps: number }>()
    expectTypeOf(Task).toExtend<MessageDef<'task.run', { id: string; steps: number }>>()
    expectTypeOf(Task).toExtend<AnyMessageDef>()
    expect(typeof compileTimeChecks).toBe('function')
  })

  it('narrows a message with is()', () => {
    const msg: unknown = { type: 'task.run', body: { id: 'a', steps: 1 } }
    if (Task.is(msg)) {
      expectTypeOf(msg.body).toEqualTypeOf<{ id: string; steps: number }>()
      expect(msg.body.steps).toBe(1)
    } else {
      expect.unreachable('a valid task message was not recognised')
    }
  })

  it('accepts definitions of any body type in one registry', () => {
    const reg = new MessageRegistry([Task, Result, Parsed])
    expect(reg.types()).toHaveLength(3)
  })

  it('holds under the TypeScript compiler (wrong bodies are compile errors)', () => {
    const self = fileURLToPath(import.meta.url)
    const dirs = [new URL('.', import.meta.url), new URL('../bench/', import.meta.url)].map((u) => fileURLToPath(u))
    const files = dirs.flatMap((d) =>
      readdirSync(d)
        .filter((f) => f.endsWith('.ts'))
        .map((f) => d + f),
    )
    expect(files).toContain(self)
    const base = ts.getParsedCommandLineOfConfigFile(
      fileURLToPath(new URL('../../../tsconfig.base.json', import.meta.url)),
      {},
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
    )
    expect(base).toBeDefined()
    const options = { ...base!.options, noEmit: true, composite: false, declaration: false, declarationMap: false }
    const program = ts.createProgram(files, options)
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`)
    expect(diagnostics).toEqual([])
  }, 60_000)
})
