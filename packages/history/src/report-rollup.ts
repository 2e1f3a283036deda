import type { PrismaClient } from '@kefu/db'
import { DAY_OFFSET, DAY_OFFSET_S, NO_END_S, episodesSql } from './report-episodes.js'

/** The cursors of the fold in history_cursor, one per table it reads (the console's reports read them too). */
export const ROLLUP_CURSORS = { messages: 'rollup:customer_message', replies: 'rollup:outbound_message', activity: 'rollup:conversation_activity' } as const

/** A China day (date) of the roll-up as the instant it starts, in SQL. */
export const dayStart = (day: string): string => `((${day})::timestamp - ${DAY_OFFSET}) AT TIME ZONE 'UTC'`

/**
 * Statements that compute report_durations again, from report_episode, for the (app_id, day) pairs of the table
 * `days` (each pair once): a day's row of every conversation (agent ''), with its percentiles, and one per agent that
 * answered or resolved one first. An agent named '' has no row of its own (that name is the day's).
 */
export function refreshDurationsSql (days: string): string[] {
  return [
    `DELETE FROM report_durations r USING ${days} d WHERE r.app_id = d.app_id AND r.day = d.day`,
    `INSERT INTO report_durations (app_id, day, agent, conversations, first_response, resolution, first_response_median, first_response_p90,
      resolution_median, resolution_p90)
    WITH e AS (
      SELECT e.app_id, d.day, e.replied_by, e.resolved_by,
             extract(epoch FROM e.replied_at - e.start)::float8 AS frt, extract(epoch FROM e.resolved_at - e.start)::float8 AS res
      FROM ${days} d JOIN report_episode e ON e.app_id = d.app_id AND e.start >= ${dayStart('d.day')} AND e.start < ${dayStart('d.day + 1')}
    )
    SELECT app_id, day, '', count(*)::int, coalesce(array_agg(frt ORDER BY frt) FILTER (WHERE frt IS NOT NULL), '{}'),
           coalesce(array_agg(res ORDER BY res) FILTER (WHERE res IS NOT NULL), '{}'),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY frt), percentile_cont(0.9) WITHIN GROUP (ORDER BY frt),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY res), percentile_cont(0.9) WITHIN GROUP (ORDER BY res)
    FROM e GROUP BY 1, 2
    UNION ALL
    SELECT app_id, day, agent, 0, coalesce(array_agg(v ORDER BY v) FILTER (WHERE m = 1), '{}'), coalesce(array_agg(v ORDER BY v) FILTER (WHERE m = 2), '{}'),
           NULL, NULL, NULL, NULL
    FROM (SELECT app_id, day, replied_by AS agent, 1 AS m, frt AS v FROM e WHERE replied_by <> '' AND frt IS NOT NULL
          UNION ALL SELECT app_id, day, resolved_by, 2, res FROM e WHERE resolved_by <> '' AND res IS NOT NULL) a
    GROUP BY 1, 2, 3`
  ]
}

export interface ReportRollupOptions {
  /** Rows inserted less than this long ago are left to the next fold (a transaction that took a lower id may not be
   *  visible yet beside a newer one that is); default 60 s. Reports count them from the tables meanwhile. */
  lagMs?: number
  /** Rows read per fold and table; default 20,000. */
  batch?: number
  now?: () => number
}

export interface FoldResult { messages: number, replies: number, activity: number, customers: number }

type Tx = Pick<PrismaClient, '$executeRawUnsafe' | '$queryRawUnsafe'>

/**
 * Keeps the team reports' roll-up (report_daily, report_episode, report_durations) in step with customer_message, outbound_message and
 * conversation_activity, off ingest's path: each fold reads the rows past its three cursors (rollup:<table> in
 * history_cursor) and, in the transaction that moves them, adds their counts to report_daily and computes the
 * episodes of the customers they belong to again, from the last episode that started before their earliest new row
 * (rows that come late, in time, are therefore placed right), and the durations (report_durations) of the days of
 * the episodes that changed. The transaction holds the cursors' rows
 * (FOR UPDATE SKIP LOCKED): another instance folding at the same time skips its turn, so each row is counted once.
 *
 * Not followed: a message later marked deleted (retention, an operator) stays counted until retention removes the
 * roll-up's days past the retained period; a reply whose status changes after its fold (sending → sent) keeps the
 * status it had (the lag lets a send finish first).
 */
export class ReportRollup {
  readonly #prisma: PrismaClient
  readonly #lagMs: number
  readonly #batch: number
  readonly #now: () => number

  constructor (prisma: PrismaClient, options: ReportRollupOptions = {}) {
    this.#prisma = prisma
    this.#lagMs = options.lagMs ?? 60_000
    this.#batch = options.batch ?? 20_000
    this.#now = options.now ?? Date.now
  }

  /** One fold; resolves with the rows folded (all zero: nothing new, or another instance is folding). Call again while
   *  a table gave a whole batch. */
  async fold (): Promise<FoldResult> {
    return await this.#prisma.$transaction(async (tx) => {
      const names = Object.values(ROLLUP_CURSORS)
      await tx.$executeRawUnsafe('INSERT INTO history_cursor (name) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING', names)
      const held = await tx.$queryRawUnsafe<Array<{ name: string, last_id: bigint }>>(
        'SELECT name, last_id FROM history_cursor WHERE name = ANY($1::text[]) ORDER BY name FOR UPDATE SKIP LOCKED', names)
      const none = { messages: 0, replies: 0, activity: 0, customers: 0 }
      if (held.length < names.length) return none
      const cursor = (name: string): bigint => held.find((c) => c.name === name)!.last_id
      const cutoff = new Date(this.#now() - this.#lagMs)
      const span = async (table: string, created: string, from: bigint): Promise<{ hi: bigint, n: number }> => {
        const r = await tx.$queryRawUnsafe<Array<{ hi: bigint | null, n: bigint }>>(
          `SELECT max(id) AS hi, count(*) AS n FROM (SELECT id FROM ${table} WHERE id > $1 AND ${created} < $2 ORDER BY id LIMIT $3) r`, from, cutoff, this.#batch)
        return { hi: r[0]?.hi ?? from, n: Number(r[0]?.n ?? 0) }
      }
      const m = { from: cursor(ROLLUP_CURSORS.messages), ...await span('customer_message', 'create_time', cursor(ROLLUP_CURSORS.messages)) }
      const o = { from: cursor(ROLLUP_CURSORS.replies), ...await span('outbound_message', 'created_at', cursor(ROLLUP_CURSORS.replies)) }
      const a = { from: cursor(ROLLUP_CURSORS.activity), ...await span('conversation_activity', 'created_at', cursor(ROLLUP_CURSORS.activity)) }
      if (m.n + o.n + a.n === 0) return none
      await tx.$executeRawUnsafe('SET LOCAL jit = off')

      await tx.$executeRawUnsafe(`
        INSERT INTO report_daily (app_id, agent, day, messages_in)
        SELECT app_id, '', date '1970-01-01' + ((wechat_create_time + ${DAY_OFFSET_S}) / 86400)::int, count(*) FROM customer_message
        WHERE id > $1 AND id <= $2 AND msg_type <> 'event' AND delete_time IS NULL GROUP BY 1, 3
        ON CONFLICT (app_id, day, agent) DO UPDATE SET messages_in = report_daily.messages_in + EXCLUDED.messages_in`, m.from, m.hi)
      await tx.$executeRawUnsafe(`
        INSERT INTO report_daily (app_id, agent, day, messages_out, refused)
        SELECT app_id, agent, ((created_at AT TIME ZONE 'UTC') + ${DAY_OFFSET})::date, count(*) FILTER (WHERE status = 'sent'),
               count(*) FILTER (WHERE status = 'failed' AND errcode IN (45015, 45047))
        FROM outbound_message WHERE id > $1 AND id <= $2 GROUP BY 1, 2, 3
        ON CONFLICT (app_id, day, agent) DO UPDATE SET messages_out = report_daily.messages_out + EXCLUDED.messages_out,
          refused = report_daily.refused + EXCLUDED.refused`, o.from, o.hi)

      // The customers with new rows, each from the start of their last episode before the earliest of them.
      await tx.$executeRawUnsafe(`
        CREATE TEMPORARY TABLE rollup_scope ON COMMIT DROP AS
        SELECT app_id, openid, min(t) AS t0, 0::bigint AS lo FROM (
          SELECT app_id, openid, wechat_create_time AS t FROM customer_message WHERE id > $1 AND id <= $2
          UNION ALL SELECT app_id, openid, floor(extract(epoch FROM created_at))::bigint FROM outbound_message WHERE id > $3 AND id <= $4
          UNION ALL SELECT app_id, openid, floor(extract(epoch FROM created_at))::bigint FROM conversation_activity WHERE id > $5 AND id <= $6
        ) n GROUP BY 1, 2`, m.from, m.hi, o.from, o.hi, a.from, a.hi)
      await tx.$executeRawUnsafe(`
        UPDATE rollup_scope s SET lo = coalesce((SELECT floor(extract(epoch FROM max(e.start)))::bigint FROM report_episode e
          WHERE e.app_id = s.app_id AND e.openid = s.openid AND e.start < to_timestamp(s.t0)), s.t0)`)
      await tx.$executeRawUnsafe('ANALYZE rollup_scope')
      await tx.$executeRawUnsafe(`
        CREATE TEMPORARY TABLE rollup_gone ON COMMIT DROP AS
        WITH gone AS (DELETE FROM report_episode e USING rollup_scope s WHERE e.app_id = s.app_id AND e.openid = s.openid AND e.start >= to_timestamp(s.lo)
                      RETURNING e.app_id, e.openid, e.start, e.replied_at, e.replied_by, e.resolved_at, e.resolved_by)
        SELECT * FROM gone`)
      const apps = (await tx.$queryRawUnsafe<Array<{ app_id: string }>>('SELECT DISTINCT app_id FROM rollup_scope')).map((r) => r.app_id)
      const hasActivity = await this.#hasActivity(tx)
      await tx.$executeRawUnsafe(`
        INSERT INTO report_episode (app_id, openid, start, next_start, replied_at, replied_by, resolved_at, resolved_by)
        SELECT app_id, openid, start, next_start, replied_at, replied_by, resolved_at, resolved_by FROM (${episodesSql(hasActivity, 'rollup_scope')}) e`,
      apps, 0, NO_END_S)
      // The days whose durations change: those of the episodes that are not as they were (a new start, reply or
      // resolution; the next episode's start is no duration). Usually today's: an earlier episode computed again is
      // most often the same.
      const episode = 'app_id, openid, start, replied_at, replied_by, resolved_at, resolved_by'
      await tx.$executeRawUnsafe(`
        CREATE TEMPORARY TABLE rollup_days ON COMMIT DROP AS
        WITH fresh AS (SELECT ${episode.split(', ').map((c) => `e.${c}`).join(', ')} FROM report_episode e
                       JOIN rollup_scope s ON s.app_id = e.app_id AND s.openid = e.openid AND e.start >= to_timestamp(s.lo))
        SELECT DISTINCT app_id, ((start AT TIME ZONE 'UTC') + ${DAY_OFFSET})::date AS day FROM (
          (SELECT ${episode} FROM rollup_gone EXCEPT ALL SELECT ${episode} FROM fresh)
          UNION ALL (SELECT ${episode} FROM fresh EXCEPT ALL SELECT ${episode} FROM rollup_gone)) changed`)
      for (const sql of refreshDurationsSql('rollup_days')) await tx.$executeRawUnsafe(sql)

      for (const [name, c] of [[ROLLUP_CURSORS.messages, m], [ROLLUP_CURSORS.replies, o], [ROLLUP_CURSORS.activity, a]] as const) {
        if (c.n > 0) await tx.$executeRawUnsafe('UPDATE history_cursor SET last_id = $2, updated_at = now() WHERE name = $1', name, c.hi)
      }
      const scoped = await tx.$queryRawUnsafe<Array<{ n: bigint }>>('SELECT count(*) AS n FROM rollup_scope')
      return { messages: m.n, replies: o.n, activity: a.n, customers: Number(scoped[0]!.n) }
    }, { timeout: 600_000 })
  }

  /** Folds until nothing is left, another instance holds the cursors or `stop` says so; resolves with the rows folded. */
  async catchUp (stop: () => boolean = () => false): Promise<number> {
    let total = 0
    while (!stop()) {
      const r = await this.fold()
      total += r.messages + r.replies + r.activity
      if (Math.max(r.messages, r.replies, r.activity) < this.#batch) break
    }
    return total
  }

  async #hasActivity (tx: Tx): Promise<boolean> {
    return (await tx.$queryRawUnsafe<Array<{ t: string | null }>>("SELECT to_regclass('conversation_activity')::text AS t"))[0]?.t != null
  }
}
