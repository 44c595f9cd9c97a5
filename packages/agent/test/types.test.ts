import type { Agent, PublishContext, ReceivedMessage, RequestContext } from '@quic-multistream/agent'
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest'
import { type Cluster, createCluster, Event, Found, Result, RunTask, Task, transports } from './harness.js'

// The `expectTypeOf` and `@ts-expect-error` lines are checked by `npm run typecheck` (`tsc -p tsconfig.test.json`);
// the calls around them also run, so a broken runtime path fails here too.
describe.each(transports)('compile-time contracts over %s', (kind) => {
  let cluster: Cluster
  afterEach(async () => {
    await cluster.close()
  })

  it('types the reply of a request from its definition', async () => {
    cluster = createCluster(kind)
    const a = await cluster.agent('a')
    const b = await cluster.agent('b')
    b.handle(RunTask, (task, ctx) => {
      expectTypeOf(task).toEqualTypeOf<{ id: string; n: number }>()
      expectTypeOf(ctx).toEqualTypeOf<RequestContext>()
      return Result.of({ id: task.id, doubled: task.n * 2 })
    })
    const paired = await a.request('b', RunTask, { id: 't', n: 1 })
    expectTypeOf(paired).toEqualTypeOf<{ id: string; doubled: number }>()
    const named = await a.request('b', Task, { id: 't', n: 2 }, { reply: Result })
    expectTypeOf(named).toEqualTypeOf<{ id: string; doubled: number }>()
    expect([paired, named]).toEqual([
      { id: 't', doubled: 2 },
      { id: 't', doubled: 4 },
    ])
  })

  it('gives one-way and subscription handlers typed bodies and contexts', async () => {
    cluster = createCluster(kind)
    const a = await cluster.agent('a')
    a.on(Event, (event) => {
      expectTypeOf(event.seq).toBeNumber()
    })
    a.subscribe('tasks.>', (message, ctx) => {
      expectTypeOf(message).toEqualTypeOf<ReceivedMessage>()
      expectTypeOf(ctx).toEqualTypeOf<PublishContext>()
    })
    const typed = a.subscribe('events', Event, (event) => {
      expectTypeOf(event).toEqualTypeOf<{ seq: number }>()
    })
    await typed.ready
    expect(a.peers().find((p) => p.id === 'a')?.capabilities).toEqual(['event'])
  })
})

/** Never called: each line must fail to compile. */
export function misuse(agent: Agent): void {
  // @ts-expect-error: `n` must be a number
  void agent.request('b', RunTask, { id: 't', n: 'one' })
  // @ts-expect-error: a plain definition needs { reply }
  void agent.request('b', Task, { id: 't', n: 1 })
  // @ts-expect-error: the handler of RunTask must return a Result message
  agent.handle(RunTask, () => Found.of({ value: 'x' }))
  // @ts-expect-error: a bare body is not a message
  agent.handle(RunTask, () => ({ id: 'x', doubled: 1 }))
  // @ts-expect-error: the event body is { seq: number }
  void agent.send('b', Event, { seq: '1' })
  // @ts-expect-error: the critical body is checked the same way
  void agent.sendCritical('b', Event, {})
  // @ts-expect-error: the notify body too
  void agent.notify('b', Event, { sequence: 1 })
}
