import { createEnvelope, type Envelope, Priority } from '@quic-multistream/protocol'

/**
 * Envelope types of the embedded registry protocol. A client opens one stream to the hosting agent and sends
 * `request` envelopes on it (`subscribe` for the watch); the host answers with `reply`/`error` envelopes (`corr` =
 * the request id) and pushes `publish` envelopes of type {@link RegistryType.EVENT} on the same stream.
 */
export const RegistryType = {
  PREFIX: 'qms.registry.',
  REGISTER: 'qms.registry.register',
  UNREGISTER: 'qms.registry.unregister',
  HEARTBEAT: 'qms.registry.heartbeat',
  LOOKUP: 'qms.registry.lookup',
  LIST: 'qms.registry.list',
  WATCH: 'qms.registry.watch',
  EVENT: 'qms.registry.event',
} as const

/** A registry protocol envelope at the priority registry traffic uses (high: membership matters to routing). */
export function registryEnvelope(
  fields: Pick<Envelope, 'kind' | 'type' | 'from' | 'to' | 'body'> & Partial<Pick<Envelope, 'corr' | 'error'>>,
): Envelope {
  return createEnvelope({ ...fields, priority: Priority.HIGH })
}
