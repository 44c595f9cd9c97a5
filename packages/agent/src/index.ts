/**
 * `@quic-multistream/agent`.
 * @packageDocumentation
 */
export { isQmsError, QmsError } from '@quic-multistream/protocol'
