/**
 * `node:fs` for the browser bundle: only `FileDedupStore` reaches it, and a page has no files, so each function
 * fails with a clear error (an agent in a page keeps its dedup window in memory).
 */
import { QmsError } from '@quic-multistream/protocol'

function unsupported(): never {
  throw new QmsError('ERR_UNSUPPORTED', 'FileDedupStore needs a file system; a page has none')
}

export const closeSync = unsupported
export const fsyncSync = unsupported
export const openSync = unsupported
export const readFileSync = unsupported
export const renameSync = unsupported
export const writeSync = unsupported
