import { defineMessage, type Infer } from '@quic-multistream/protocol'
import { z } from 'zod'

/** A sensor reading, published on `sensors.<site>.<kind>`. */
export const Reading = defineMessage(
  'demo.reading',
  z.object({ site: z.string(), kind: z.string(), value: z.number(), seq: z.number().int().nonnegative() }),
)

/** An alert, published on `alerts.<site>.<level>`. */
export const Alert = defineMessage(
  'demo.alert',
  z.object({ site: z.string(), level: z.enum(['info', 'critical']), text: z.string(), seq: z.number().int() }),
)

/** Body of {@link Reading}. */
export type ReadingBody = Infer<typeof Reading>
/** Body of {@link Alert}. */
export type AlertBody = Infer<typeof Alert>
