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
// whatever the batch size, and ON CONFLICT turns retries and concurrent deliveries into no-ops.
const INSERT = `INSERT INTO customer_message (${COLUMNS.map((c) => c[1]).join(', ')})
SELECT * FROM unnest(${COLUMNS.map((c, i) => `$${i + 1}::${c[2]}[]`).join(', ')})
ON CONFLICT (app_id, dedupe_key) DO NOTHING
RETURNING app_id, dedupe_key`

export interface MessageWriterOptions {
  /** Batches written at once; match the connection pool size. */
  concurrency: number
  /** Rows per statement at most. */
  maxBatch?: number
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
  #queue: Pending[] = []
  #inFlight = 0

  constructor (prisma: PrismaClient, options: MessageWriterOptions) {
    this.#prisma = prisma
    this.#concurrency = Math.max(1, options.concurrency)
    this.#maxBatch = options.maxBatch ?? 500
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
    let inserted: Array<{ app_id: string, dedupe_key: string }>
    try {
      inserted = await this.#prisma.$queryRawUnsafe(INSERT, ...params)
    } catch (err) {
      for (const p of batch) p.reject(err as Error)
      return
    }
    const fresh = new Set(inserted.map((r) => r.app_id + '\u0000' + r.dedupe_key))
    for (const p of batch) {
      const key = p.row.appId + '\u0000' + p.row.dedupeKey
      // Within one batch the first of several identical rows is the one that went in.
      if (fresh.delete(key)) p.resolve('stored')
      else p.resolve('duplicate')
    }
  }
}
