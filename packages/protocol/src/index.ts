/**
 * `@quic-multistream/protocol`: the wire format every other package speaks. An {@link Envelope} carries one typed
 * message ({@link defineMessage}, {@link MessageRegistry}); streams carry envelopes as length-prefixed msgpack frames
 * ({@link encodeFrame}, {@link FrameDecoder}, {@link createCodec}); datagrams carry one bare envelope each
 * ({@link encodeDatagram}, {@link decodeDatagram}). Errors are {@link QmsError}s with stable codes.
 * @packageDocumentation
 */
export { type Codec, type CodecOptions, createCodec } from './codec.js'
export {
  BODYLESS_KINDS,
  createEnvelope,
  ENVELOPE_KINDS,
  type Envelope,
  type EnvelopeError,
  type EnvelopeInit,
  type EnvelopeKind,
  isEnvelopeKind,
  validateEnvelope,
} from './envelope.js'
export { isQmsError, ProtocolErrorCode, QmsError } from './errors.js'
export {
  DEFAULT_MAX_FRAME_SIZE,
  decodeDatagram,
  type EncodeFrameOptions,
  encodeDatagram,
  encodeFrame,
  FRAME_HEADER_SIZE,
  FrameDecoder,
  type FrameDecoderOptions,
  MAX_FRAME_SIZE_LIMIT,
  readEnvelopes,
} from './framing.js'
export { createLogger, type Logger, type LoggerOptions, matchesDebug } from './logger.js'
export {
  type AnyMessageDef,
  defineMessage,
  type Infer,
  type InferInput,
  type Message,
  type MessageDef,
  MessageRegistry,
  type MessageRegistryOptions,
  type TypeName,
} from './message.js'
export { LANES, type Lane, laneToPriority, Priority, priorityToLane, priorityToUrgency } from './priority.js'
