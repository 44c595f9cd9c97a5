import { QmsError } from '@quic-multistream/protocol'

/** A command line `qms` cannot act on (code `ERR_USAGE`); exits with code 1 and a pointer to `--help`. */
export class UsageError extends QmsError {
  constructor(message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super('ERR_USAGE', message, options)
    this.name = 'UsageError'
  }
}
