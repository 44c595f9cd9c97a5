import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
import { createLogger, type Envelope, QmsError, validateEnvelope } from '@quic-multistream/protocol'
import { DedupWindow } from './dedup-window.js'
import { AgentErrorCode } from './errors.js'
import type { CriticalRecord } from './inbound.js'

const log = createLogger('qms:agent:dedup')

/** A critical message whose handler has finished, as a {@link DedupStore} keeps it. */
export interface DedupRecord {
  /** The sender's agent id. */
  from: string
  /** The message's envelope id (a redelivery carries the same one). */
  id: string
  /** When the handler finished, ms since the epoch: the record is kept for `dedup.ttlMs` from then. */
  at: number
  /** What the sender is answered with: the `ack`, or the `error` envelope the handler's failure produced. */
  answer: Envelope
}

/** The bounds of the agent's dedup window, handed to its store when the agent starts. */
export interface DedupLimits {
  /** Records older than this (ms) are of no more use. */
  ttlMs: number
  /** At most this many of the newest records are of use. */
  max: number
}

/**
 * Durable memory of handled critical messages (`AgentOptions.dedup.store`): an agent that crashed and was restarted
 * with the same store answers a redelivery of a message it had already handled with the stored outcome instead of
 * running the handler again. Without a store that memory lives in the process and dies with it.
 *
 * The agent calls {@link save} synchronously when a handler finishes and before the acknowledgement leaves. A crash
 * between the handler's side effects and that record still makes the handler run again for the redelivery, so
 * handlers that need a strict exactly-once effect must be idempotent (for example keyed by `ctx.id`); the store
 * narrows that window to the moment between the two, it cannot close it.
 */
export interface DedupStore {
  /** Called once, when the agent starts: the records still inside the window, oldest first. */
  load(limits: DedupLimits): DedupRecord[]
  /**
   * Records a handled message. Must not return before the record would survive a crash of this process; throwing
   * is reported (`ERR_DEDUP_STORE` in `stats().errors`) and the message is acknowledged anyway, its record then
   * kept in memory only.
   */
  save(record: DedupRecord): void
  /** Called when the agent stops. */
  close(): void
}

/** Options of a {@link FileDedupStore}. */
export interface FileDedupStoreOptions {
  /**
   * `fsync` after every record, so records also survive power loss and operating-system crashes, at the cost of a
   * disk flush per critical message. Default false: a record is in the kernel once {@link FileDedupStore.save}
   * returns, which is enough to survive the process being killed (`kill -9`, out of memory, a crash).
   */
  fsync?: boolean
}

/**
 * A {@link DedupStore} in an append-only file of JSON lines, one per handled message (one file per agent: two
 * processes must never share one). Starting rewrites the file with only the records still inside the window,
 * dropping expired ones and any line torn by a crash mid-write; after `max` more records it is rewritten again, so
 * the file holds at most about twice `max` records.
 */
export class FileDedupStore implements DedupStore {
  /** The file's path. */
  readonly path: string
  readonly #fsync: boolean
  #fd: number | undefined
  #limits: DedupLimits | undefined
  #sinceCompaction = 0

  constructor(path: string, options: FileDedupStoreOptions = {}) {
    this.path = path
    this.#fsync = options.fsync ?? false
  }

  /** @throws QmsError `ERR_DEDUP_STORE` when the file cannot be read or rewritten. */
  load(limits: DedupLimits): DedupRecord[] {
    this.#limits = limits
    const records = this.#read(limits)
    this.#rewrite(records)
    return records
  }

  /** @throws QmsError `ERR_DEDUP_STORE` before {@link load}, after {@link close}, or when the write fails. */
  save(record: DedupRecord): void {
    if (this.#fd === undefined) {
      throw new QmsError(AgentErrorCode.DEDUP_STORE, `dedup store ${this.path} is not open (load it first)`)
    }
    const line = `${JSON.stringify({ from: record.from, id: record.id, at: record.at, answer: record.answer })}\n`
    try {
      writeSync(this.#fd, line)
      if (this.#fsync) fsyncSync(this.#fd)
    } catch (e) {
      throw new QmsError(AgentErrorCode.DEDUP_STORE, `cannot append to ${this.path}`, { cause: e })
    }
    if (++this.#sinceCompaction >= this.#limits!.max) this.#rewrite(this.#read(this.#limits!))
  }

  close(): void {
    if (this.#fd === undefined) return
    closeSync(this.#fd)
    this.#fd = undefined
  }

  /** The newest valid record of each message inside the window, oldest first. */
  #read(limits: DedupLimits): DedupRecord[] {
    let text: string
    try {
      text = readFileSync(this.path, 'utf8')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw new QmsError(AgentErrorCode.DEDUP_STORE, `cannot read ${this.path}`, { cause: e })
    }
    const cutoff = Date.now() - limits.ttlMs
    const byKey = new Map<string, DedupRecord>()
    let skipped = 0
    for (const line of text.split('\n')) {
      if (line === '') continue
      const record = parseRecord(line)
      if (!record) {
        skipped++
        continue
      }
      if (record.at <= cutoff) continue
      const key = `${record.from}\u0000${record.id}`
      byKey.delete(key)
      byKey.set(key, record)
    }
    if (skipped > 0) log('%s: skipped %d unreadable line(s)', this.path, skipped)
    const records = [...byKey.values()]
    return records.length > limits.max ? records.slice(records.length - limits.max) : records
  }

  /** Replaces the file with `records` (write aside, flush, rename) and reopens it for appending. */
  #rewrite(records: DedupRecord[]): void {
    const aside = `${this.path}.tmp`
    try {
      this.close()
      const fd = openSync(aside, 'w')
      try {
        const lines = records.map((r) => `${JSON.stringify(r)}\n`).join('')
        if (lines) writeSync(fd, lines)
        fsyncSync(fd)
      } finally {
        closeSync(fd)
      }
      renameSync(aside, this.path)
      this.#fd = openSync(this.path, 'a')
      this.#sinceCompaction = 0
    } catch (e) {
      throw new QmsError(AgentErrorCode.DEDUP_STORE, `cannot rewrite ${this.path}`, { cause: e })
    }
  }
}

function parseRecord(line: string): DedupRecord | undefined {
  try {
    const r = JSON.parse(line) as Record<string, unknown>
    if (typeof r.from !== 'string' || typeof r.id !== 'string' || typeof r.at !== 'number') return undefined
    const answer = validateEnvelope(r.answer)
    if (answer.kind !== 'ack' && answer.kind !== 'error') return undefined
    return { from: r.from, id: r.id, at: r.at, answer }
  } catch {
    return undefined
  }
}

/** The agent's `dedup` options. */
export interface DedupOptions {
  /** How long a handled message id is remembered. Default 120,000 ms. */
  ttlMs?: number
  /** How many ids are remembered at most. Default 100,000. */
  max?: number
  /** Where handled ids are also recorded, to survive a restart (see {@link DedupStore}). Default: memory only. */
  store?: DedupStore
}

/** The window of critical messages seen, filled from the store's records when there is one. */
export function restoreDedupWindow(options: DedupOptions = {}): DedupWindow<CriticalRecord> {
  const window = new DedupWindow<CriticalRecord>(options)
  const records = options.store?.load({ ttlMs: window.ttlMs, max: window.max }) ?? []
  for (const r of records) {
    window.add(`${r.from}\u0000${r.id}`, { answer: r.answer, paths: [] }, r.at)
  }
  if (records.length > 0) log('restored %d handled critical message id(s)', records.length)
  return window
}
