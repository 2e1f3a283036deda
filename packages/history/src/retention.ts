import type { PrismaClient } from '@kefu/db'
import { WECHAT_MEDIA_TTL_MS } from './history-indexer.js'
import type { MediaStore } from './media-store.js'
import { refreshDurationsSql } from './report-rollup.js'

type Tx = Pick<PrismaClient, '$executeRawUnsafe' | '$queryRawUnsafe'>

/** Any number, as long as every instance agrees: the purge runs in one instance at a time. */
export const PURGE_LOCK = 0x6b656675

export interface RetentionOptions {
  /** RETENTION_DAYS: messages older than this are removed with their media; null keeps everything (the default). */
  days: number | null
  /** Rows removed per statement (default 5000). */
  batch?: number
  now?: () => number
}

/**
 * What a run removed; `partitions`: monthly customer_message partitions dropped whole (their rows count in
 * `messages`, in the run that dropped them). `finished` is false when another instance took the purge over midway:
 * the counts are then what this run removed before it stopped, and that instance goes on with the rest.
 */
export interface PurgeResult { marked: number, messages: number, replies: number, media: number, conversations: number, partitions: number, finished: boolean }

/** How long dropping a partition waits for the table lock before giving up until the next run (inserts queue behind it). */
const DROP_LOCK_TIMEOUT = '1s'

function quoteIdent (name: string): string {
  return '"' + name.replace(/"/g, '""') + '"'
}

/**
 * Retention. A customer message older than RETENTION_DAYS gets the seed's `delete_time`; then every message that
 * has one (marked here, or by an operator: `UPDATE customer_message SET delete_time = now() WHERE …` removes a
 * message on request) is purged with its search entry and its kept media, in batches. Replies, kept media no message
 * names (uploaded images, copies fetched when an agent opened them), conversation notes and conversations with
 * nothing newer than the period go too. Off when `days` is null.
 *
 * customer_message is partitioned by month on wechat_create_time: a month whose every row is past the period is
 * dropped whole (its search entries and kept media removed first, in batches), never deleted row by row; only the
 * rows of a month that is partly past it (and of the default partition) are marked and purged one by one.
 *
 * A removed media WeChat may still have (seen less than its 3 days ago) leaves its row behind, `removed`, without
 * the bytes: the media route answers 410 for it instead of fetching it from WeChat again. Those rows go once the
 * 3 days are over, when WeChat no longer has the file either.
 */
export class RetentionJob {
  readonly #prisma: PrismaClient
  readonly #store: MediaStore
  readonly #days: number | null
  readonly #batch: number
  readonly #now: () => number

  constructor (prisma: PrismaClient, store: MediaStore, options: RetentionOptions) {
    this.#prisma = prisma
    this.#store = store
    this.#days = options.days
    this.#batch = options.batch ?? 5000
    this.#now = options.now ?? Date.now
  }

  get enabled (): boolean { return this.#days !== null }

  /**
   * One full run (marks, then purges until nothing is left). Null when another instance is running it and this run
   * removed nothing; when that instance takes the purge over midway, what this run removed until then (`finished`
   * false), so that every removal is counted by exactly one run.
   */
  async run (): Promise<PurgeResult | null> {
    const result: PurgeResult = { marked: 0, messages: 0, replies: 0, media: 0, conversations: 0, partitions: 0, finished: true }
    const stopped = (): PurgeResult | null => {
      const removed = result.marked + result.messages + result.replies + result.media + result.conversations + result.partitions
      return removed === 0 ? null : { ...result, finished: false }
    }
    const cutoff = this.#days === null ? null : new Date(this.#now() - this.#days * 86_400_000)
    const batch = this.#batch
    // Each step is a batch in a transaction holding a transaction-level advisory lock: one instance purges at a
    // time, and no transaction is long.
    const step = async (fn: (tx: Tx) => Promise<number>): Promise<number | null> => await this.#prisma.$transaction(async (tx) => {
      const lock = await tx.$queryRawUnsafe<Array<{ ok: boolean }>>('SELECT pg_try_advisory_xact_lock($1) AS ok', PURGE_LOCK)
      return lock[0]?.ok === true ? await fn(tx) : null
    }, { timeout: 120_000 })
    const loop = async (fn: (tx: Tx) => Promise<number>, add: (n: number) => void, more: (n: number) => boolean): Promise<boolean> => {
      for (;;) {
        const n = await step(fn)
        if (n === null) return false
        add(n)
        if (!more(n)) return true
      }
    }
    if (cutoff !== null) {
      const dropped = await this.#dropPartitions(Math.floor(cutoff.getTime() / 1000), step, result)
      if (!dropped) return stopped()
      const ok = await loop(async (tx) => await tx.$executeRawUnsafe(
        `UPDATE customer_message SET delete_time = now() WHERE id IN (
           SELECT id FROM customer_message WHERE delete_time IS NULL AND wechat_create_time < $1 LIMIT $2)`,
        Math.floor(cutoff.getTime() / 1000), batch), (n) => { result.marked += n }, (n) => n === batch)
      if (!ok) return stopped()
    }
    const purged = await loop(async (tx) => {
      const ids = (await tx.$queryRawUnsafe<Array<{ id: bigint }>>(
        'SELECT id FROM customer_message WHERE delete_time IS NOT NULL ORDER BY id LIMIT $1', batch)).map((r) => r.id.toString())
      if (ids.length === 0) return 0
      result.media += await this.#removeMedia(tx, 'message_id = ANY($1::bigint[])', [ids])
      await tx.$executeRawUnsafe("DELETE FROM message_search WHERE direction = 'in' AND message_id = ANY($1::bigint[])", ids)
      return await tx.$executeRawUnsafe('DELETE FROM customer_message WHERE id = ANY($1::bigint[])', ids)
    }, (n) => { result.messages += n }, (n) => n > 0)
    if (!purged) return stopped()
    if (await step(async (tx) => await this.#forgetRemoved(tx)) === null) return stopped()
    if (cutoff === null) return result
    const replies = await loop(async (tx) => {
      const ids = (await tx.$queryRawUnsafe<Array<{ id: bigint }>>(
        'SELECT id FROM outbound_message WHERE created_at < $1 ORDER BY id LIMIT $2', cutoff, batch)).map((r) => r.id.toString())
      if (ids.length === 0) return 0
      await tx.$executeRawUnsafe("DELETE FROM message_search WHERE direction = 'out' AND message_id = ANY($1::bigint[])", ids)
      return await tx.$executeRawUnsafe('DELETE FROM outbound_message WHERE id = ANY($1::bigint[])', ids)
    }, (n) => { result.replies += n }, (n) => n > 0)
    if (!replies) return stopped()
    const rest = await step(async (tx) => {
      result.media += await this.#removeMedia(tx, 'message_id IS NULL AND created_at < $1', [cutoff])
      result.conversations += await tx.$executeRawUnsafe('DELETE FROM conversation WHERE last_message_at < $1', cutoff)
      await tx.$executeRawUnsafe('DELETE FROM reply_blocked_hourly WHERE hour < $1', cutoff)
      // The reports' roll-up keeps the retained period only, as the tables it is folded from: its days before the
      // cutoff's day, its conversations that started before the cutoff.
      await tx.$executeRawUnsafe("DELETE FROM report_daily WHERE day < (($1::timestamptz AT TIME ZONE 'UTC') + interval '8 hours')::date", cutoff)
      await tx.$executeRawUnsafe('DELETE FROM report_episode WHERE start < $1', cutoff)
      // Its durations: the days before the cutoff's go, the cutoff's own day is computed again from what is left.
      const cutoffDay = "(($1::timestamptz AT TIME ZONE 'UTC') + interval '8 hours')::date"
      await tx.$executeRawUnsafe(`DELETE FROM report_durations WHERE day < ${cutoffDay}`, cutoff)
      await tx.$executeRawUnsafe(`CREATE TEMPORARY TABLE retention_days ON COMMIT DROP AS SELECT DISTINCT app_id, day FROM report_durations WHERE day = ${cutoffDay}`, cutoff)
      for (const sql of refreshDurationsSql('retention_days')) await tx.$executeRawUnsafe(sql)
      if (await this.#hasTable(tx, 'conversation_activity')) {
        await tx.$executeRawUnsafe('DELETE FROM conversation_activity WHERE created_at < $1', cutoff)
      }
      return 0
    })
    return rest === null ? stopped() : result
  }

  /**
   * Drops each monthly partition that lies wholly before the cutoff (unix seconds). First, in batches, the search
   * entries and kept media of its messages (walked by id); then, holding the table's lock (at most
   * DROP_LOCK_TIMEOUT's wait, else the next run tries again), whatever arrived since (a late retry of an old message)
   * the same way, and the partition goes. Its rows count in the run that drops it; a partition another instance
   * dropped meanwhile is passed over. False when another instance holds the purge.
   */
  async #dropPartitions (
    cutoffS: number,
    step: (fn: (tx: Tx) => Promise<number>) => Promise<number | null>,
    result: PurgeResult
  ): Promise<boolean> {
    const parts = await this.#prisma.$queryRawUnsafe<Array<{ name: string }>>('SELECT name FROM customer_message_partitions_before($1)', cutoffS)
    const GONE = -1
    for (const { name } of parts) {
      const table = quoteIdent(name)
      let after = '0'
      let rows = 0
      const clear = async (tx: Tx, limit: number | null): Promise<number> => {
        const found = await tx.$queryRawUnsafe<Array<{ t: string | null }>>('SELECT to_regclass($1)::text AS t', table)
        if (found[0]?.t === null || found[0]?.t === undefined) return GONE
        const ids = (await tx.$queryRawUnsafe<Array<{ id: bigint }>>(
          `SELECT id FROM ${table} WHERE id > $1::bigint ORDER BY id${limit === null ? '' : ` LIMIT ${limit}`}`, after)).map((r) => r.id.toString())
        if (ids.length === 0) return 0
        result.media += await this.#removeMedia(tx, 'message_id = ANY($1::bigint[])', [ids])
        await tx.$executeRawUnsafe("DELETE FROM message_search WHERE direction = 'in' AND message_id = ANY($1::bigint[])", ids)
        after = ids.at(-1)!
        rows += ids.length
        return ids.length
      }
      let n: number | null
      do {
        n = await step(async (tx) => await clear(tx, this.#batch))
      } while (n === this.#batch)
      if (n === null) return false
      if (n === GONE) continue
      const gone = await step(async (tx) => {
        await tx.$executeRawUnsafe(`SET LOCAL lock_timeout = '${DROP_LOCK_TIMEOUT}'`)
        // The parent first, as inserts lock it: taking the partition first could deadlock with one.
        await tx.$executeRawUnsafe('LOCK TABLE customer_message IN ACCESS EXCLUSIVE MODE')
        if (await clear(tx, null) === GONE) return 0
        await tx.$executeRawUnsafe(`DROP TABLE ${table}`)
        return 1
      })
      if (gone === null) return false
      if (gone === 1) {
        result.partitions += 1
        result.messages += rows
      }
    }
    return true
  }

  /** Rows left for removed media WeChat no longer has either: nothing to refuse any more. */
  async #forgetRemoved (tx: Tx): Promise<number> {
    return await tx.$executeRawUnsafe("DELETE FROM stored_media WHERE status = 'removed' AND created_at < $1", new Date(this.#now() - WECHAT_MEDIA_TTL_MS))
  }

  /**
   * Objects first, then rows: a crash in between leaves rows whose objects are gone, removed on the next run. A row
   * seen less than WeChat's 3 days ago stays as `removed` (see the class comment); older ones are deleted.
   */
  async #removeMedia (tx: Tx, where: string, params: unknown[]): Promise<number> {
    const wechatForgot = new Date(this.#now() - WECHAT_MEDIA_TTL_MS)
    let total = 0
    for (;;) {
      const rows = await tx.$queryRawUnsafe<Array<{ app_id: string, media_id: string, storage_key: string | null }>>(
        `SELECT app_id, media_id, storage_key FROM stored_media WHERE ${where} AND status <> 'removed' LIMIT ${this.#batch}`, ...params)
      if (rows.length === 0) return total
      await this.#store.remove(rows.flatMap((r) => r.storage_key === null ? [] : [r.storage_key]))
      const keys = [rows.map((r) => r.app_id), rows.map((r) => r.media_id)]
      total += await tx.$executeRawUnsafe(
        `UPDATE stored_media s SET status = 'removed', storage_key = NULL, content_type = NULL, size = NULL, sha256 = NULL, stored_at = NULL, last_error = NULL
         FROM unnest($1::text[], $2::text[]) AS x(a, m) WHERE s.app_id = x.a AND s.media_id = x.m AND s.created_at >= $3`, ...keys, wechatForgot)
      total += await tx.$executeRawUnsafe(
        `DELETE FROM stored_media s USING unnest($1::text[], $2::text[]) AS x(a, m)
         WHERE s.app_id = x.a AND s.media_id = x.m AND s.created_at < $3`, ...keys, wechatForgot)
      if (rows.length < this.#batch) return total
    }
  }

  async #hasTable (tx: Tx, name: string): Promise<boolean> {
    const rows = await tx.$queryRawUnsafe<Array<{ t: string | null }>>('SELECT to_regclass($1)::text AS t', name)
    return rows[0]?.t !== null && rows[0]?.t !== undefined
  }
}
