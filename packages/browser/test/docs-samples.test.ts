// The browser guide cannot rot: its code samples compile against the packages, placed in this package so that its
// imports resolve as in a project that depends on @quic-multistream/browser (and zod, for the page samples).
import { checkDocPages, type DocPage } from '@qms/test-utils'
import { describe, expect, it } from 'vitest'

const pages: readonly DocPage[] = [{ doc: 'docs/browser.md', home: 'packages/browser/test', atLeast: 4 }]

describe('browser documentation', () => {
  it('every ```ts block of docs/browser.md compiles against the packages', async () => {
    expect(await checkDocPages(pages)).toEqual([])
  }, 120_000)
})
