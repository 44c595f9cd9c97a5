// The transport and protocol pages' code samples compile against the packages (see test-utils/doc-samples.ts), and
// the sample machinery itself finds blocks and reports errors where they are in the markdown.
import { checkDocPages, checkDocSamples, type DocPage, extractDocSamples, placeDocSamples } from '@qms/test-utils'
import { describe, expect, it } from 'vitest'

const pages: readonly DocPage[] = [
  { doc: 'docs/transport.md', home: 'packages/transport/test', atLeast: 10 },
  { doc: 'docs/protocol.md', home: 'packages/protocol/test', atLeast: 5 },
  { doc: 'packages/transport/README.md', home: 'packages/transport/test', atLeast: 1 },
  { doc: 'packages/protocol/README.md', home: 'packages/protocol/test', atLeast: 1 },
]

describe('documentation code samples', () => {
  it('extracts ```ts blocks with their markdown line and flags, and skips other languages and nocheck blocks', () => {
    const md = [
      '# t',
      '```ts id=a',
      'const a = 1',
      '```',
      '```sh',
      'ls',
      '```',
      '```ts nocheck',
      'oops(',
      '```',
      '```ts',
    ]
    expect(() => extractDocSamples(md.join('\n'))).toThrow(/unclosed code block at line 11/)
    expect(extractDocSamples(md.slice(0, -1).join('\n'))).toEqual([
      { lang: 'ts', line: 3, code: 'const a = 1', flags: ['id=a'] },
    ])
  })

  it('reports a sample that misuses the API, at its line in the markdown', async () => {
    const md = [
      'text',
      '```ts',
      "import { createEndpoint } from '@quic-multistream/transport'",
      'await createEndpoint({ idleTimeout: 5 })',
      '```',
    ].join('\n')
    const errors = await checkDocSamples(placeDocSamples('docs/example.md', 'packages/transport/test', md))
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(/^docs\/example\.md:4:\d+ .*idleTimeout/)
  }, 60_000)

  it('fails a page that yields fewer samples than it should, so changed fences cannot pass by checking nothing', async () => {
    const empty = { doc: 'LICENSE', home: 'packages/transport/test', atLeast: 1 }
    expect(await checkDocPages([empty])).toEqual(['LICENSE: 0 samples found, expected at least 1'])
  }, 60_000)

  it('every ```ts block of the transport and protocol pages and readmes compiles against the packages', async () => {
    expect(await checkDocPages(pages)).toEqual([])
  }, 120_000)
})
