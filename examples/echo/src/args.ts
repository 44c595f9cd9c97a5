import { QmsError } from '@quic-multistream/transport'

/** Parses a whole number in `[min, max]` given for flag `--name`. Throws `ERR_INVALID_ARGUMENT`. */
export function parseInteger(text: string, name: string, min: number, max: number): number {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN
  if (!(value >= min && value <= max)) {
    throw new QmsError('ERR_INVALID_ARGUMENT', `bad --${name} "${text}": expected a whole number from ${min} to ${max}`)
  }
  return value
}

/** Parses a port number; `allowZero` admits 0 ("any free port") for binding. Throws `ERR_INVALID_ARGUMENT`. */
export function parsePort(text: string, allowZero = false): number {
  return parseInteger(text, 'port', allowZero ? 0 : 1, 65_535)
}
