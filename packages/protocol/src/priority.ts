/**
 * Message and stream priority: 0 (least urgent) to 255 (most urgent). The five named levels are the lanes of the
 * mesh; the transport maps them onto RFC 9218 urgencies (0 most urgent .. 7 least) so that they change what QUIC
 * sends first.
 */
export const Priority = {
  CRITICAL: 255,
  HIGH: 192,
  NORMAL: 128,
  LOW: 64,
  BACKGROUND: 0,
} as const

/** The lane names, most urgent first. */
export const LANES = ['critical', 'high', 'normal', 'low', 'background'] as const
/** One of the five priority lanes. */
export type Lane = (typeof LANES)[number]

const laneValue: Record<Lane, number> = {
  critical: Priority.CRITICAL,
  high: Priority.HIGH,
  normal: Priority.NORMAL,
  low: Priority.LOW,
  background: Priority.BACKGROUND,
}

/** Numeric priority of a lane name. */
export function laneToPriority(lane: Lane): number {
  return laneValue[lane]
}

/** The lane a numeric priority falls into (each lane owns the band down to the next level). */
export function priorityToLane(priority: number): Lane {
  if (priority >= Priority.CRITICAL) return 'critical'
  if (priority >= Priority.HIGH) return 'high'
  if (priority >= Priority.NORMAL) return 'normal'
  if (priority >= Priority.LOW) return 'low'
  return 'background'
}

/**
 * RFC 9218 urgency for a priority: 255 -> 0, 192 -> 1, 128 -> 3 (the RFC's default), 64 -> 5, 0 -> 7.
 * Bands of 32 keep every named level distinct while letting any 0-255 value map somewhere sensible.
 */
export function priorityToUrgency(priority: number): number {
  const p = Math.max(0, Math.min(255, Math.trunc(priority)))
  return 7 - Math.floor(p / 32)
}
