/**
 * `@quic-multistream/protocol`: the wire format every other package speaks.
 * @packageDocumentation
 */
export { isQmsError, ProtocolErrorCode, QmsError } from './errors.js'
export { createLogger, type Logger } from './logger.js'
export { Priority, LANES, type Lane, laneToPriority, priorityToLane, priorityToUrgency } from './priority.js'
