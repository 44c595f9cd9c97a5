/**
 * `@quic-multistream/example-pubsub`: publishers and subscribers over QUIC with wildcard topics (`*` one token,
 * `>` the rest), a typed subscription and a queue group, joined through an embedded registry.
 * @packageDocumentation
 */
export {
  expectedTargets,
  PUBLICATIONS,
  type Publication,
  type PubSubResult,
  runPubSubDemo,
  SUBSCRIBERS,
  type SubscriberSpec,
} from './demo.js'
export { Alert, type AlertBody, Reading, type ReadingBody } from './messages.js'
