import type { AgentStream } from '@quic-multistream/agent'

/** Name of the stream a `qms serve --agent` endpoint echoes. */
export const AGENT_ECHO_STREAM = 'qms.echo'

/** Echoes the bytes of an agent stream back to its opener until they finish it. */
export async function echoAgentStream(stream: AgentStream): Promise<void> {
  try {
    for await (const chunk of stream.bytes()) await stream.writeBytes(chunk)
    await stream.end()
  } catch {
    stream.reset()
  }
}

/**
 * Sends `payload` on an open echo stream and waits until as many bytes came back: one round trip, in milliseconds.
 * `incoming` is the stream's byte iterator, shared by successive calls.
 */
export async function lockstepRoundTrip(
  stream: AgentStream,
  incoming: AsyncIterator<Uint8Array>,
  payload: Uint8Array,
): Promise<number> {
  const started = performance.now()
  await stream.writeBytes(payload)
  let received = 0
  while (received < payload.length) {
    const r = await incoming.next()
    if (r.done) throw new Error('the agent closed the echo stream')
    received += r.value.length
  }
  return performance.now() - started
}
