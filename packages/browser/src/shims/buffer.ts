/**
 * The two `Buffer` calls of the protocol's frame codec (a scratch buffer for msgpackr), as plain `Uint8Array`s: the
 * browser build of msgpackr works on those. Scoped to that one module by the bundler, so msgpackr itself keeps
 * detecting that there is no Node `Buffer`.
 */
export const Buffer = {
  allocUnsafeSlow: (size: number): Uint8Array => new Uint8Array(size),
  from: (buffer: ArrayBufferLike, offset?: number, length?: number): Uint8Array =>
    new Uint8Array(buffer, offset, length),
}
