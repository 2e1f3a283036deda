import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import type pg from 'pg'
import type { MessageRow } from './message-row.js'
import { int8Array, textArray } from './pg-binary.js'

export type WriteOutcome = 'stored' | 'duplicate'

/** The row's wait for its commit outlasted the writer's timeout: answer 503, WeChat retries. */
export class WriteTimeoutError extends Error {
  override name = 'WriteTimeoutError'
}

interface Pending {
  row: MessageRow
  deadline: number
  settled: boolean
  resolve: (outcome: WriteOutcome) => void
  reject: (err: Error) => void
}

const COLUMNS: Array<[Exclude<keyof MessageRow, 'wechatCreateTime'>, string]> = [
  ['appId', 'app_id'], ['dedupeKey', 'dedupe_key'], ['signature', 'signature'], ['timestamp', 'timestamp'],
  ['nonce', 'nonce'], ['openid', 'openid'], ['encryptType', 'encrypt_type'], ['msgSignature', 'msg_signature'],
  ['toUsername', 'to_username'], ['fromUsername', 'from_username'], ['msgType', 'msg_type'], ['event', 'event'],
  ['msgInfo', 'msg_info'], ['msgId', 'msg_id'], ['encrypt', 'encrypt'], ['payload', 'payload'], ['format', 'format']
]

// One statement for a whole batch: each column travels as one array parameter, so the statement is the same
// whatever the batch size; ON CONFLICT turns retries and concurrent deliveries into no-ops; and the conversations the
// new rows belong to are brought up to date in the same statement, so they never disagree with the messages.
const INSERT = `WITH ins AS (
  INSERT INTO customer_message (${COLUMNS.map((c) => c[1]).join(', ')}, wechat_create_time)
  SELECT * FROM unnest(${COLUMNS.map((_c, i) => `$${i + 1}::text[]`).join(', ')}, $${COLUMNS.length + 1}::bigint[])
  ON CONFLICT (app_id, dedupe_key, wechat_create_time) DO NOTHING
  RETURNING id, app_id, dedupe_key, openid, msg_type, event, wechat_create_time
), conv AS (
  INSERT INTO conversation AS c (app_id, openid, last_message_id, last_message_at, last_inbound_at, last_enter_at, unread_count)
  SELECT app_id, openid, max(id), to_timestamp(max(wechat_create_time)),
    to_timestamp(max(wechat_create_time) FILTER (WHERE msg_type <> 'event')),
    to_timestamp(max(wechat_create_time) FILTER (WHERE event = 'user_enter_tempsession')),
    count(*) FILTER (WHERE msg_type <> 'event')
  FROM ins GROUP BY app_id, openid
  -- Batches in flight together lock the conversations they share in one order, so they never deadlock.
  ORDER BY app_id, openid
  ON CONFLICT (app_id, openid) DO UPDATE SET
    last_message_id = GREATEST(c.last_message_id, EXCLUDED.last_message_id),
    last_message_at = GREATEST(c.last_message_at, EXCLUDED.last_message_at),
    last_inbound_at = GREATEST(c.last_inbound_at, EXCLUDED.last_inbound_at),
    last_enter_at = GREATEST(c.last_enter_at, EXCLUDED.last_enter_at),
    unread_count = c.unread_count + EXCLUDED.unread_count,
    updated_at = now()
)
SELECT id::text, app_id, dedupe_key FROM ins`

const statementNames = new WeakMap<pg.PoolClient, string>()
const namePrefix = `kefu_ingest_insert_${randomBytes(4).toString('hex')}_`
let named = 0

/**
 * The prepared statement's name on one connection. Names are never reused: embedded PostgreSQL (PGlite) is one
 * session behind every connection, so a statement prepared on a dropped connection is still there for the next one.
 */
function statementName (client: pg.PoolClient): string {
  let name = statementNames.get(client)
  if (name === undefined) {
    name = namePrefix + String(++named)
    statementNames.set(client, name)
  }
  return name
}

/** A row that went in, for announcing it (the console fetches the rest by id). */
export interface StoredMessage { id: string, appId: string, openid: string }

export interface MessageWriterOptions {
  /** Batches written at once; at most the connection pool size. */
  concurrency: number
  /**
   * A further batch starts only once every batch in flight has run this long (ms), unless a full batch is waiting:
   * while statements commit promptly, pushes gather behind the one in flight into one statement instead of many
   * small ones (fewer commits per push); a statement that stalls (a lock, a slow disk) still does not hold the others
   * up for more than this. Default 5; 0 starts one as soon as a connection slot is free.
   */
  overlapAfterMs?: number
  /** Rows per statement at most. */
  maxBatch?: number
  /** Longest a row waits for its commit (queued and in flight) before its write fails with WriteTimeoutError. */
  timeoutMs: number
  /** Called after each commit with the rows it added (never with duplicates). */
  onStored?: (rows: StoredMessage[]) => void
  /** Called after each commit with the batch's size and the statement's duration. */
  onCommit?: (rows: number, seconds: number) => void
  now?: () => number
}

/**
 * Group commit for pushes: rows that arrive while earlier batches are being written wait and go together in one
 * INSERT, one transaction. Each caller's promise settles only after its batch committed (or failed), so `success`
 * is never sent for a row that is not durable. Under light load a batch is one row and nothing waits; a push that
 * arrives while a statement is in flight waits for it (at most `overlapAfterMs`) and goes in the next.
 *
 * The statement goes through node-postgres directly, on the pool Prisma's adapter uses: for this one statement,
 * run thousands of times a second, Prisma's raw-query path (argument serialization, its adapter, text arrays that
 * node-postgres quotes element by element) cost more CPU than the rest of a push. Here each column is one binary
 * array and the statement is prepared once per connection. Prisma keeps the schema, the migrations and every
 * other query.
 */
export class MessageWriter {
  readonly #pool: pg.Pool
  readonly #concurrency: number
  readonly #maxBatch: number
  readonly #timeoutMs: number
  readonly #onStored: ((rows: StoredMessage[]) => void) | undefined
  readonly #onCommit: ((rows: number, seconds: number) => void) | undefined
  readonly #now: () => number
  readonly #overlapAfterMs: number
  #queue: Pending[] = []
  readonly #inFlight = new Set<Pending[]>()
  /** When the newest batch in flight started (performance.now()). */
  #lastStart = 0
  /** Pumps again when the batches in flight have run overlapAfterMs, if rows are still waiting then. */
  #overlapTimer: NodeJS.Timeout | undefined
  #sweeper: NodeJS.Timeout | undefined

  constructor (pool: pg.Pool, options: MessageWriterOptions) {
    this.#pool = pool
    this.#concurrency = Math.max(1, options.concurrency)
    this.#maxBatch = options.maxBatch ?? 200
    this.#timeoutMs = options.timeoutMs
    this.#onStored = options.onStored
    this.#onCommit = options.onCommit
    this.#now = options.now ?? Date.now
    this.#overlapAfterMs = options.overlapAfterMs ?? 5
  }

  write (row: MessageRow): Promise<WriteOutcome> {
    // One sweeper for every waiting row instead of a timer per push: a push must not pay for a timer it rarely needs.
    this.#sweeper ??= setInterval(() => { this.#sweep() }, Math.max(10, Math.min(250, this.#timeoutMs / 4))).unref()
    return new Promise((resolve, reject) => {
      this.#queue.push({ row, deadline: this.#now() + this.#timeoutMs, settled: false, resolve, reject })
      this.#pump()
    })
  }

  /**
   * Opens the connections batches will use and prepares the statement on each, by running it with no rows (it
   * inserts nothing): the first pushes after a start then wait for neither.
   */
  async warmUp (): Promise<void> {
    const clients: pg.PoolClient[] = []
    let failure: Error | undefined
    try {
      for (let i = 0; i < this.#concurrency; i++) clients.push(await this.#pool.connect())
      const empty = [...COLUMNS.map(() => textArray([])), int8Array([])]
      await Promise.all(clients.map((client) => client.query({ name: statementName(client), text: INSERT, values: empty, rowMode: 'array' })))
    } catch (err) {
      failure = err as Error
      throw err
    } finally {
      for (const client of clients) client.release(failure)
    }
  }

  /** Stops the sweeper; rows still waiting settle when their statement ends. */
  close (): void {
    clearInterval(this.#sweeper)
    this.#sweeper = undefined
    clearTimeout(this.#overlapTimer)
    this.#overlapTimer = undefined
  }

  #sweep (): void {
    const now = this.#now()
    const late = (p: Pending): boolean => {
      if (p.settled || p.deadline > now) return false
      p.settled = true
      p.reject(new WriteTimeoutError(`not committed within ${this.#timeoutMs} ms`))
      return true
    }
    if (this.#queue.length > 0 && this.#queue[0]!.deadline <= now) this.#queue = this.#queue.filter((p) => !late(p))
    for (const batch of this.#inFlight) for (const p of batch) late(p)
  }

  #pump (): void {
    while (this.#inFlight.size < this.#concurrency && this.#queue.length > 0) {
      if (this.#inFlight.size > 0 && this.#queue.length < this.#maxBatch) {
        const wait = this.#lastStart + this.#overlapAfterMs - performance.now()
        if (wait > 0) {
          this.#overlapTimer ??= setTimeout(() => {
            this.#overlapTimer = undefined
            this.#pump()
          }, Math.ceil(wait)).unref()
          return
        }
      }
      this.#lastStart = performance.now()
      const batch = this.#queue.length <= this.#maxBatch ? this.#queue : this.#queue.slice(0, this.#maxBatch)
      this.#queue = batch === this.#queue ? [] : this.#queue.slice(this.#maxBatch)
      this.#inFlight.add(batch)
      this.#flush(batch).finally(() => {
        this.#inFlight.delete(batch)
        this.#pump()
      })
    }
  }

  async #flush (batch: Pending[]): Promise<void> {
    const params: Buffer[] = []
    const started = performance.now()
    let inserted: Array<[string, string, string]>
    try {
      for (const [key] of COLUMNS) params.push(textArray(batch.map((p) => p.row[key])))
      params.push(int8Array(batch.map((p) => p.row.wechatCreateTime)))
      const client = await this.#pool.connect()
      let failure: Error | undefined
      // A connection that drops under a checked-out client reports it as an event too (the query fails with it).
      const dropped = (err: Error): void => { failure ??= err }
      client.on('error', dropped)
      try {
        const query: pg.QueryArrayConfig & { query_timeout: number } = {
          name: statementName(client),
          text: INSERT,
          values: params,
          rowMode: 'array',
          // The connection is dropped if the statement outlives every row's wait, freeing the slot for the next batch.
          query_timeout: this.#timeoutMs
        }
        inserted = (await client.query<[string, string, string]>(query)).rows
      } catch (err) {
        failure = err as Error
        throw err
      } finally {
        client.removeListener('error', dropped)
        client.release(failure)
      }
    } catch (err) {
      for (const p of batch) if (!p.settled) p.reject(err as Error)
      return
    }
    this.#onCommit?.(batch.length, (performance.now() - started) / 1000)
    const fresh = new Map<string, string>()
    for (const [id, appId, dedupeKey] of inserted) fresh.set(appId + '\u0000' + dedupeKey, id)
    const stored: StoredMessage[] = []
    for (const p of batch) {
      const key = p.row.appId + '\u0000' + p.row.dedupeKey
      const id = fresh.get(key)
      // Within one batch the first of several identical rows is the one that went in.
      if (id !== undefined) {
        fresh.delete(key)
        stored.push({ id, appId: p.row.appId, openid: p.row.openid })
        if (!p.settled) p.resolve('stored')
      } else if (!p.settled) {
        p.resolve('duplicate')
      }
      p.settled = true
    }
    if (stored.length > 0) this.#onStored?.(stored)
  }
}
