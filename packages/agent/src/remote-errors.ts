import { createEnvelope, type Envelope, isQmsError, QmsError } from '@quic-multistream/protocol'
import { AGENT_ERROR_TYPE, AgentErrorCode, HANDLER_ERROR_TYPE } from './errors.js'
import { nextMessageId } from './message-ids.js'

/** An `error` envelope answering `to` (an envelope we received). */
export function errorEnvelope(
  selfId: string,
  to: Envelope,
  source: 'handler' | 'agent',
  code: string,
  message: string,
): Envelope {
  return createEnvelope({
    id: nextMessageId(),
    kind: 'error',
    type: source === 'handler' ? HANDLER_ERROR_TYPE : AGENT_ERROR_TYPE,
    from: selfId,
    to: to.from,
    corr: to.id,
    priority: to.priority,
    body: undefined,
    error: { code, message },
  })
}

/** The code and message to report for something a handler threw. */
export function describeFailure(err: unknown): { code: string; message: string } {
  if (isQmsError(err)) return { code: err.code, message: err.message }
  if (err instanceof Error) return { code: AgentErrorCode.HANDLER, message: err.message }
  return { code: AgentErrorCode.HANDLER, message: String(err) }
}

/**
 * The error a caller sees for an `error` envelope: `ERR_REMOTE` (with the remote code and message in `details`) when
 * the peer's handler failed, else the peer agent's own code (`ERR_NO_RESPONDERS`, `ERR_SCHEMA`...).
 */
export function errorFromEnvelope(env: Envelope, peer: string): QmsError {
  const code = env.error?.code ?? AgentErrorCode.REMOTE
  const message = env.error?.message ?? 'remote error'
  if (env.type === HANDLER_ERROR_TYPE) {
    return new QmsError(AgentErrorCode.REMOTE, `handler on "${peer}" failed: ${code}: ${message}`, {
      details: { peer, remoteCode: code, remoteMessage: message },
    })
  }
  return new QmsError(code, `"${peer}" refused: ${message}`, { details: { peer, remote: true } })
}
