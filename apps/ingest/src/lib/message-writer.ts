import type { PrismaClient } from '@kefu/db'
import type { MessageRow } from './message-row.js'

export type WriteOutcome = 'stored' | 'duplicate'

interface Pending { row: MessageRow, resolve: (outcome: WriteOutcome) => void, reject: (err: Error) => void }

const COLUMNS: Array<[keyof MessageRow, string, string]> = [
  ['appId', 'app_id', 'text'], ['dedupeKey', 'dedupe_key', 'text'], ['signature', 'signature', 'text'],
  ['timestamp', 'timestamp', 'text'], ['nonce', 'nonce', 'text'], ['openid', 'openid', 'text'],
  ['encryptType', 'encrypt_type', 'text'], ['msgSignature', 'msg_signature', 'text'], ['toUsername', 'to_username', 'text'],
  ['fromUsername', 'from_username', 'text'], ['msgType', 'msg_type', 'text'], ['event', 'event', 'text'],
  ['msgInfo', 'msg_info', 'text'], ['msgId', 'msg_id', 'text'], ['encrypt', 'encrypt', 'text'], ['payload', 'payload', 'text'],
  ['format', 'format', 'text'], ['wechatCreateTime', 'wechat_create_time', 'bigint']
]

// One statement for a whole batch: each column travels as one array parameter, so the statement is the same
// whatever the batch size; ON CONFLICT turns retries and concurrent deliveries into no-ops; and the conversations the
// new rows belong to are brought up to date in the same statement, so they never disagree with the messages.
const INSERT = `WITH ins AS (
  INSERT INTO customer_message (${COLUMNS.map((c) => c[1]).join(', ')})
  SELECT * FROM unnest(${COLUMNS.map((c, i) => `$${i + 1}::${c[2]}[]`).join(', ')})
  ON CONFLICT (app_id, dedupe_key) DO NOTHING
  RETURNING id, app_id, dedupe_key, openid, msg_type, event, wechat_create_time
), conv AS (
  INSERT INTO conversation AS c (app_id, openid, last_message_id, last_message_at, last_inbound_at, last_enter_at, unread_count)
  SELECT app_id, openid, max(id), to_timestamp(max(wechat_create_time)),
    to_timestamp(max(wechat_create_time) FILTER (WHERE msg_type <> 'event')),
    to_timestamp(max(wechat_create_time) FILTER (WHERE event = 'user_enter_tempsession')),
    count(*) FILTER (WHERE msg_type <> 'event')
  FROM ins GROUP BY app_id, openid
  ON CONFLICT (app_id, openid) DO UPDATE SET
    last_message_id = GREATEST(c.last_message_id, EXCLUDED.last_message_id),
    last_message_at = GREATEST(c.last_message_at, EXCLUDED.last_message_at),
    last_inbound_at = GREATEST(c.last_inbound_at, EXCLUDED.last_inbound_at),
    last_enter_at = GREATEST(c.last_enter_at, EXCLUDED.last_enter_at),
    unread_count = c.unread_count + EXCLUDED.unread_count,
    updated_at = now()
)
SELECT id, app_id, dedupe_key FROM ins`

/** A row that went in, for announcing it (the console fetches the rest by id). */
export interface StoredMessage { id: string, appId: string, openid: string }

export interface MessageWriterOptions {
  /** Batches written at once; match the connection pool size. */
  concurrency: number
  /** Rows per statement at most. */
  maxBatch?: number
  /** Called after each commit with the rows it added (never with duplicates). */
  onStored?: (rows: StoredMessage[]) => void
}

/**
 * Group commit for pushes: rows that arrive while earlier batches are being written wait and go together in one
 * INSERT, one transaction. Each caller's promise settles only after its batch committed (or failed), so `success`
 * is never sent for a row that is not durable. Under light load a batch is one row and nothing waits.
 */
export class MessageWriter {
  readonly #prisma: PrismaClient
  readonly #concurrency: number
  readonly #maxBatch: number
  readonly #onStored: ((rows: StoredMessage[]) => void) | undefined
  #queue: Pending[] = []
  #inFlight = 0

  constructor (prisma: PrismaClient, options: MessageWriterOptions) {
    this.#prisma = prisma
    this.#concurrency = Math.max(1, options.concurrency)
    this.#maxBatch = options.maxBatch ?? 500
    this.#onStored = options.onStored
  }

  write (row: MessageRow): Promise<WriteOutcome> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ row, resolve, reject })
      this.#pump()
    })
  }

  #pump (): void {
    while (this.#inFlight < this.#concurrency && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch)
      this.#inFlight++
      this.#flush(batch).finally(() => {
        this.#inFlight--
        this.#pump()
      })
    }
  }

  async #flush (batch: Pending[]): Promise<void> {
    const params = COLUMNS.map(([key]) => batch.map((p) => p.row[key]))
    let inserted: Array<{ id: bigint, app_id: string, dedupe_key: string }>
    try {
      inserted = await this.#prisma.$queryRawUnsafe(INSERT, ...params)
    } catch (err) {
      for (const p of batch) p.reject(err as Error)
      return
    }
    const fresh = new Map(inserted.map((r) => [r.app_id + '\u0000' + r.dedupe_key, r.id]))
    const stored: StoredMessage[] = []
    for (const p of batch) {
      const key = p.row.appId + '\u0000' + p.row.dedupeKey
      const id = fresh.get(key)
      // Within one batch the first of several identical rows is the one that went in.
      if (id !== undefined) {
        fresh.delete(key)
        stored.push({ id: id.toString(), appId: p.row.appId, openid: p.row.openid })
        p.resolve('stored')
      } else {
        p.resolve('duplicate')
      }
    }
    if (stored.length > 0) this.#onStored?.(stored)
  }
}
