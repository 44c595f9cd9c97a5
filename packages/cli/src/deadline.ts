import { QmsError } from '@quic-multistream/protocol'

/** Races `promise` against a deadline; past it, rejects with `ERR_TIMEOUT` naming `what`. */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new QmsError('ERR_TIMEOUT', `${what} took longer than ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, expired])
  } finally {
    clearTimeout(timer)
  }
}
