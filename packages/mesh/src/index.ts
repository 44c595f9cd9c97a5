/**
 * `@quic-multistream/mesh`.
 * @packageDocumentation
 */
export { isQmsError, QmsError } from '@quic-multistream/protocol'
