import { nanoid } from 'nanoid'
import { ProtocolErrorCode, QmsError } from './errors.js'
import { Priority } from './priority.js'

/** Every kind of envelope on the wire, in no particular order. */
export const ENVELOPE_KINDS = [
  'send',
  'critical',
  'ack',
  'request',
  'reply',
  'error',
  'publish',
  'subscribe',
  'unsubscribe',
  'stream-open',
  'cancel',
  'ping',
  'pong',
  'hello',
] as const

/** What an envelope is for: one of {@link ENVELOPE_KINDS}. */
export type EnvelopeKind = (typeof ENVELOPE_KINDS)[number]

/**
 * Kinds whose `body` may be absent (`undefined`): control messages whose meaning is carried by `kind`, `corr`,
 * `topic` or `error`. Every other kind carries a typed message and must have a body (`null` counts as one).
 */
export const BODYLESS_KINDS: ReadonlySet<EnvelopeKind> = new Set<EnvelopeKind>([
  'ack',
  'ping',
  'pong',
  'cancel',
  'subscribe',
  'unsubscribe',
  'error',
])

/** The failure an `error` envelope reports. */
export interface EnvelopeError {
  /** A stable `ERR_...` code (see {@link QmsError}). */
  code: string
  message: string
}

/** One wire message. Every frame and datagram carries exactly one. */
export interface Envelope {
  /** Wire format version; always 1. */
  v: 1
  /** Unique id (nanoid). */
  id: string
  kind: EnvelopeKind
  /** Message type name, the key of a {@link MessageDef} (may be empty for control kinds like `ping`). */
  type: string
  /** Sender's agent id. */
  from: string
  /** Recipient's agent id. */
  to: string
  /** Pub/sub topic of `publish`, `subscribe` and `unsubscribe`. */
  topic?: string
  /** Queue group a `publish` was routed to (one member of the group receives it). */
  queue?: string
  /** Correlation id: the id of the request this `reply`, `error`, `ack` or `cancel` refers to. */
  corr?: string
  /** 0 (background) to 255 (critical); see {@link Priority}. */
  priority: number
  /** Creation time, ms since the epoch. */
  ts: number
  /** Time after which the recipient should drop the message instead of acting on it, ms since the epoch. */
  deadline?: number
  /** The typed payload; its shape is given by `type`'s schema. */
  body: unknown
  /** Set on `error` envelopes. */
  error?: EnvelopeError
}

/** What {@link createEnvelope} needs: everything but the fields it can fill in itself. */
export type EnvelopeInit = Omit<Envelope, 'v' | 'id' | 'ts' | 'priority'> &
  Partial<Pick<Envelope, 'id' | 'ts' | 'priority'>>

/**
 * Builds an envelope, filling `v`, `id` (a fresh nanoid), `ts` (now) and `priority` ({@link Priority.NORMAL}) unless
 * given. Optional fields that are `undefined` are left out, so every envelope of a given shape has the same keys in
 * the same order (which keeps encoded frames small and V8's hidden classes stable).
 */
export function createEnvelope(fields: EnvelopeInit): Envelope {
  const env: Envelope = {
    v: 1,
    id: fields.id ?? nanoid(),
    kind: fields.kind,
    type: fields.type,
    from: fields.from,
    to: fields.to,
    priority: fields.priority ?? Priority.NORMAL,
    ts: fields.ts ?? Date.now(),
    body: fields.body,
  }
  if (fields.topic !== undefined) env.topic = fields.topic
  if (fields.queue !== undefined) env.queue = fields.queue
  if (fields.corr !== undefined) env.corr = fields.corr
  if (fields.deadline !== undefined) env.deadline = fields.deadline
  if (fields.error !== undefined) env.error = { code: fields.error.code, message: fields.error.message }
  return env
}

const kinds: ReadonlySet<string> = new Set(ENVELOPE_KINDS)

/** True when `x` is one of {@link ENVELOPE_KINDS}. */
export function isEnvelopeKind(x: unknown): x is EnvelopeKind {
  return typeof x === 'string' && kinds.has(x)
}

function invalid(field: string, expectation: string): QmsError {
  return new QmsError(ProtocolErrorCode.ENVELOPE_INVALID, `envelope field "${field}" ${expectation}`, {
    details: { field },
  })
}

/**
 * Checks that `x` has the structure of an {@link Envelope} and returns it (the same object, not a copy). Runs on every
 * received message, so it is a handful of `typeof` checks rather than a schema. Unknown extra fields are tolerated so
 * that a later minor revision can add optional ones.
 *
 * @throws QmsError `ERR_ENVELOPE_INVALID` with `details.field` naming the first offending field.
 */
export function validateEnvelope(x: unknown): Envelope {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) {
    throw new QmsError(ProtocolErrorCode.ENVELOPE_INVALID, 'envelope must be an object', { details: { field: '' } })
  }
  const e = x as Record<string, unknown>
  if (e.v !== 1) throw invalid('v', 'must be 1 (the only wire version)')
  if (typeof e.id !== 'string' || e.id.length === 0) throw invalid('id', 'must be a non-empty string')
  if (!isEnvelopeKind(e.kind)) throw invalid('kind', `must be one of ${ENVELOPE_KINDS.join(', ')}`)
  if (typeof e.type !== 'string') throw invalid('type', 'must be a string')
  if (typeof e.from !== 'string') throw invalid('from', 'must be a string')
  if (typeof e.to !== 'string') throw invalid('to', 'must be a string')
  if (e.topic !== undefined && typeof e.topic !== 'string') throw invalid('topic', 'must be a string when present')
  if (e.queue !== undefined && typeof e.queue !== 'string') throw invalid('queue', 'must be a string when present')
  if (e.corr !== undefined && typeof e.corr !== 'string') throw invalid('corr', 'must be a string when present')
  // `(p & 255) === p` rejects non-numbers, NaN, fractions and anything outside 0-255 in one comparison.
  const p = e.priority
  if (typeof p !== 'number' || (p & 255) !== p) throw invalid('priority', 'must be an integer from 0 to 255')
  if (typeof e.ts !== 'number' || !Number.isFinite(e.ts)) throw invalid('ts', 'must be a finite number')
  if (e.deadline !== undefined && (typeof e.deadline !== 'number' || !Number.isFinite(e.deadline))) {
    throw invalid('deadline', 'must be a finite number when present')
  }
  if (e.body === undefined && !BODYLESS_KINDS.has(e.kind)) throw invalid('body', `is required on "${e.kind}"`)
  const err = e.error
  if (err !== undefined) {
    if (typeof err !== 'object' || err === null) throw invalid('error', 'must be an object when present')
    const { code, message } = err as Record<string, unknown>
    if (typeof code !== 'string' || typeof message !== 'string') {
      throw invalid('error', 'must have string "code" and "message"')
    }
  } else if (e.kind === 'error') {
    throw invalid('error', 'is required on "error"')
  }
  return x as Envelope
}
