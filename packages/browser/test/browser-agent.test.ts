import { Agent, defineRequest } from '@quic-multistream/agent'
import { RemoteRegistry } from '@quic-multistream/mesh'
import { defineMessage } from '@quic-multistream/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { type GatewayAgent, startGatewayAgent } from '../src/gateway.js'
import { type BundlePage, openBundlePage, type Qms } from './support/browser-page.js'

// The same definitions exist in the page (made there from the bundle's exports): agents agree on type names and
// schemas, not on object identity.
const Ask = defineMessage('test.ask', z.object({ text: z.string() }))
const Answer = defineMessage('test.answer', z.object({ text: z.string(), by: z.string() }))
const AskIt = defineRequest(Ask, Answer)
const Order = defineMessage('test.order', z.object({ n: z.number() }))
const News = defineMessage('test.news', z.object({ headline: z.string() }))

/** What the page keeps between evaluations. */
interface PageState {
  agent: import('@quic-multistream/agent').Agent
  orders: number[]
  news: string[]
}

const TOKEN = 'browser-test-token'
let gateway: GatewayAgent
let node: Agent
let browser: BundlePage
const orders: number[] = []
const news: Array<{ headline: string; from: string }> = []

beforeAll(async () => {
  gateway = await startGatewayAgent({ id: 'gateway', token: TOKEN })
  gateway.agent.handle(AskIt, async (body, ctx) =>
    Answer.of({ text: body.text.toUpperCase(), by: `gateway<-${ctx.from}` }),
  )
  gateway.agent.on(Order, async (body) => {
    orders.push(body.n)
  })
  gateway.agent.subscribe('alerts.>', News, (body, ctx) => {
    news.push({ headline: body.headline, from: ctx.from })
  })
  // A second Node agent in the same mesh (it joins the gateway's registry), to show pages see the whole mesh.
  node = await Agent.start({
    id: 'worker',
    token: TOKEN,
    tls: { pinSha256: [gateway.certificateHash] },
    registry: new RemoteRegistry({ address: gateway.address, id: 'gateway' }),
  })
  browser = await openBundlePage()
  await browser.page.evaluate(
    async ({ url, hash, token }) => {
      const { Agent, BrowserAgent, defineMessage, defineRequest, z } = (globalThis as unknown as { qms: Qms }).qms
      // The spelling of the Node API: Agent.connect is BrowserAgent.connect.
      if (Agent.connect !== BrowserAgent.connect) throw new Error('Agent.connect is not BrowserAgent.connect')
      const Ask = defineMessage('test.ask', z.object({ text: z.string() }))
      const Answer = defineMessage('test.answer', z.object({ text: z.string(), by: z.string() }))
      const Order = defineMessage('test.order', z.object({ n: z.number() }))
      const News = defineMessage('test.news', z.object({ headline: z.string() }))
      const agent = await Agent.connect(url, {
        id: 'page-1',
        token,
        gateway: 'gateway',
        serverCertificateHashes: [hash],
      })
      const state: PageState = { agent, orders: [], news: [] }
      agent.handle(defineRequest(Ask, Answer), async (body, ctx) =>
        Answer.of({ text: body.text.split('').reverse().join(''), by: `page<-${ctx.from}` }),
      )
      agent.on(Order, async (body) => {
        state.orders.push(body.n)
      })
      await agent.subscribe('news.>', News, (body) => {
        state.news.push(body.headline)
      }).ready
      ;(globalThis as unknown as { state: PageState }).state = state
    },
    { url: gateway.url, hash: gateway.certificateHash, token: TOKEN },
  )
}, 60_000)

afterAll(async () => {
  await browser?.page
    .evaluate(() => (globalThis as unknown as { state?: PageState }).state?.agent.stop())
    .catch(() => {})
  await browser?.close()
  await node?.stop()
  await gateway?.close()
})

describe('a browser agent and Node agents over WebTransport', () => {
  it('requests a Node agent and gets its typed reply', async () => {
    const reply = await browser.page.evaluate(async () => {
      const { defineMessage, defineRequest, z } = (globalThis as unknown as { qms: Qms }).qms
      const { agent } = (globalThis as unknown as { state: PageState }).state
      const AskIt = defineRequest(
        defineMessage('test.ask', z.object({ text: z.string() })),
        defineMessage('test.answer', z.object({ text: z.string(), by: z.string() })),
      )
      return agent.request('gateway', AskIt, { text: 'hello' }, { timeout: 5_000 })
    })
    expect(reply).toEqual({ text: 'HELLO', by: 'gateway<-page-1' })
  })

  it('lets the Node agent request the page back over the connection the page opened', async () => {
    const reply = await gateway.agent.request('page-1', AskIt, { text: 'stressed' }, { timeout: 5_000 })
    expect(reply).toEqual({ text: 'desserts', by: 'page<-gateway' })
  })

  it('acknowledges sendCritical from the page once the Node handler ran', async () => {
    await browser.page.evaluate(async () => {
      const { defineMessage, z } = (globalThis as unknown as { qms: Qms }).qms
      const { agent } = (globalThis as unknown as { state: PageState }).state
      const Order = defineMessage('test.order', z.object({ n: z.number() }))
      for (const n of [1, 2, 3]) await agent.sendCritical('gateway', Order, { n }, { timeout: 5_000 })
    })
    expect(orders).toEqual([1, 2, 3])
  })

  it('acknowledges sendCritical to the page once its handler ran', async () => {
    await gateway.agent.sendCritical('page-1', Order, { n: 42 }, { timeout: 5_000 })
    const seen = await browser.page.evaluate(() => (globalThis as unknown as { state: PageState }).state.orders)
    expect(seen).toEqual([42])
  })

  it('delivers what Node publishes to the page subscription', async () => {
    const delivered = await gateway.agent.publish('news.today', News, { headline: 'pages join the mesh' })
    expect(delivered).toBe(1)
    await expect
      .poll(() => browser.page.evaluate(() => (globalThis as unknown as { state: PageState }).state.news))
      .toEqual(['pages join the mesh'])
  })

  it('delivers what the page publishes to a Node subscription', async () => {
    // The page learns of the gateway's subscription through the registry's pushed changes: publish until it has.
    await expect
      .poll(() =>
        browser.page.evaluate(async () => {
          const { defineMessage, z } = (globalThis as unknown as { qms: Qms }).qms
          const { agent } = (globalThis as unknown as { state: PageState }).state
          const News = defineMessage('test.news', z.object({ headline: z.string() }))
          return agent.publish('alerts.fire', News, { headline: 'from the page' })
        }),
      )
      .toBeGreaterThan(0)
    await expect.poll(() => news.length).toBeGreaterThan(0)
    expect(news[0]).toEqual({ headline: 'from the page', from: 'page-1' })
  })

  it('sees the Node agents of the mesh in its registry view', async () => {
    const ids = await browser.page.evaluate(() =>
      (globalThis as unknown as { state: PageState }).state.agent.peers().map((p) => p.id),
    )
    expect(ids.sort()).toEqual(['gateway', 'page-1', 'worker'])
  })

  it('fails with a stable error code when it calls a Node agent that serves no WebTransport', async () => {
    const failed = await browser.page.evaluate(async () => {
      const { defineMessage, defineRequest, z } = (globalThis as unknown as { qms: Qms }).qms
      const { agent } = (globalThis as unknown as { state: PageState }).state
      const AskIt = defineRequest(
        defineMessage('test.ask', z.object({ text: z.string() })),
        defineMessage('test.answer', z.object({ text: z.string(), by: z.string() })),
      )
      try {
        await agent.request('worker', AskIt, { text: 'x' }, { timeout: 3_000 })
        return undefined
      } catch (e) {
        return (e as { code?: string }).code
      }
    })
    // The worker serves no WebTransport, so the page cannot dial it: the call fails with a stable code, not a hang.
    expect(failed).toMatch(/^ERR_/)
  })
})
