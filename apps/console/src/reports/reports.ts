import type { PrismaClient } from '@kefu/db'
import { DAY_OFFSET, DAY_OFFSET_S, ROLLUP_CURSORS, dayStart, episodesSql } from '@kefu/history'
import { REPORT_TIMEOUT_MS, withDeadline, type Db } from '../common/query-deadline.js'
import { DEFAULT_TIME_ZONE, startOfDay } from '../common/time-zone.js'

/**
 * Team reports, computed in SQL over customer_message, outbound_message, conversation_activity (issue 10's status
 * changes) and reply_blocked_hourly. Days are China's (UTC+8), where WeChat's users and their teams live.
 *
 * A conversation, here, is an episode of one customer's conversation: it starts with a customer message (not an
 * event) that is their first, or comes more than 24 hours after their previous one, or after the conversation was
 * resolved. Its first response is the first reply sent after that start (before the next episode); its resolution,
 * the first change of its status to resolved. A reply blocked is one WeChat's windows refused: refused by the console
 * before calling WeChat (counted in reply_blocked_hourly), or by WeChat itself (45015, 45047).
 */

/** China's day of the roll-up (UTC+8, as DAY_OFFSET says). */
const day = (col: string): string => `((${col} AT TIME ZONE 'UTC') + ${DAY_OFFSET})::date`
/** The team's day: its time zone is parameter $4 of the statements that use it. */
const zoneDay = (col: string): string => `(${col} AT TIME ZONE $4::text)::date`

export interface ReportRange {
  apps: string[]
  /** First and last day, `YYYY-MM-DD`, in `timeZone`, inclusive. */
  from: string
  to: string
  /** The IANA time zone days are counted in (default Asia/Shanghai, the roll-up's days: any other is counted from the tables). */
  timeZone?: string
}

export interface Durations { count: number, medianS: number | null, p90S: number | null }

export interface AppRow {
  appId: string
  /** null: the whole range. */
  day: string | null
  conversations: number
  messagesIn: number
  messagesOut: number
  firstResponse: Durations
  unanswered: number
  resolution: Durations
  blocked: number
}

export interface AgentRow {
  agent: string
  messagesOut: number
  /** Conversations this agent answered first. */
  conversations: number
  firstResponse: Durations
  /** Conversations this agent resolved. */
  resolution: Durations
  blocked: number
}

export interface Report { from: string, to: string, apps: AppRow[], agents: AgentRow[] }

/** [start, end) of the range as instants. */
export function rangeBounds (from: string, to: string, zone = DEFAULT_TIME_ZONE): { start: Date, end: Date } {
  return { start: startOfDay(from, zone), end: startOfDay(new Date(Date.parse(`${to}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10), zone) }
}

const num = (v: unknown): number => v === null || v === undefined ? 0 : Number(v)
const dur = (count: unknown, median: unknown, p90: unknown): Durations => ({
  count: num(count),
  medianS: median === null || median === undefined ? null : Math.round(Number(median) * 10) / 10,
  p90S: p90 === null || p90 === undefined ? null : Math.round(Number(p90) * 10) / 10
})

/**
 * Where a report's counts and conversations come from: `rollup` (the default), the worker's roll-up (report_daily,
 * report_episode, packages/history's report-rollup.ts) for the rows it has folded, and the tables themselves for the
 * rows past its cursors, so a report is as fresh as the tables; `scan`, the tables alone (the first way, kept as the
 * reference the roll-up is measured and checked against).
 */
export type ReportSource = 'rollup' | 'scan'

/** Customer messages per app and day, replies per app, agent and day: `extra` narrows the rows. */
const inboundScan = (extra: string, zoned = false): string => `
  SELECT app_id, ${zoned ? zoneDay('to_timestamp(wechat_create_time)') : `date '1970-01-01' + ((wechat_create_time + ${DAY_OFFSET_S}) / 86400)::int`} AS day, count(*) AS n FROM customer_message
  WHERE app_id = ANY($1::text[]) AND msg_type <> 'event' AND delete_time IS NULL AND wechat_create_time >= $2 AND wechat_create_time < $3 ${extra}
  GROUP BY 1, 2`
const outboundScan = (extra: string, zoned = false): string => `
  SELECT app_id, agent, ${zoned ? zoneDay('created_at') : day('created_at')} AS day, count(*) FILTER (WHERE status = 'sent') AS sent,
         count(*) FILTER (WHERE status = 'failed' AND errcode IN (45015, 45047)) AS refused
  FROM outbound_message WHERE app_id = ANY($1::text[]) AND created_at >= to_timestamp($2) AND created_at < to_timestamp($3) ${extra}
  GROUP BY 1, 2, 3`

/** The empty durations table of a report counted from the tables alone. */
const NO_DURATIONS = `CREATE TEMPORARY TABLE dur (app_id text, day date, agent text, conversations int, first_response float8[], resolution float8[],
  first_response_median float8, first_response_p90 float8, resolution_median float8, resolution_p90 float8) ON COMMIT DROP`

/**
 * Fills the temporary tables the report reads: rin (app_id, day, n), rout (app_id, agent, day, sent, refused), ep (the
 * conversations read one by one) and dur (the days read as durations, report_durations' rows).
 *
 * From the roll-up, a day of a mini program is read from report_durations unless one of its conversations is not
 * what the fold left: a customer with rows past the cursors has their episodes from the last one before those rows
 * computed again from the tables (as the fold will), and the range's last episode of a customer whose next starts
 * after the range's end takes its first reply (resolution) from after the end, as the statement over the tables says.
 * Those days are read one conversation at a time (ep); the others as durations (dur).
 */
async function gather (tx: Db, range: ReportRange, s: number, e: number, source: ReportSource, zone: string): Promise<void> {
  const [first] = await tx.$queryRawUnsafe<Array<{ t: string | null, m: bigint | null, o: bigint | null, a: bigint | null }>>(`SELECT to_regclass('conversation_activity')::text AS t,
    (SELECT last_id FROM history_cursor WHERE name = $1) AS m, (SELECT last_id FROM history_cursor WHERE name = $2) AS o,
    (SELECT last_id FROM history_cursor WHERE name = $3) AS a`, ROLLUP_CURSORS.messages, ROLLUP_CURSORS.replies, ROLLUP_CURSORS.activity)
  const hasActivity = first?.t != null
  if (source === 'scan') {
    await tx.$executeRawUnsafe(`CREATE TEMPORARY TABLE ep ON COMMIT DROP AS ${episodesSql(hasActivity)}`, range.apps, s, e)
    // The episodes' days in the team's zone (episodesSql gives China's, the roll-up's).
    await tx.$executeRawUnsafe('UPDATE ep SET day = (start AT TIME ZONE $1::text)::date', zone)
    await tx.$executeRawUnsafe(NO_DURATIONS)
    await tx.$executeRawUnsafe(`CREATE TEMPORARY TABLE rin ON COMMIT DROP AS ${inboundScan('', true)}`, range.apps, s, e, zone)
    await tx.$executeRawUnsafe(`CREATE TEMPORARY TABLE rout ON COMMIT DROP AS ${outboundScan('', true)}`, range.apps, s, e, zone)
    return
  }
  const [m, o, a] = [first?.m ?? 0n, first?.o ?? 0n, first?.a ?? 0n]
  await tx.$executeRawUnsafe(`CREATE TEMPORARY TABLE rin ON COMMIT DROP AS
    SELECT app_id, day, sum(n) AS n FROM (
      SELECT app_id, day, messages_in AS n FROM report_daily WHERE app_id = ANY($1::text[]) AND agent = '' AND day >= $4::date AND day <= $5::date
      UNION ALL ${inboundScan('AND id > $6')}) i
    GROUP BY 1, 2`, range.apps, s, e, range.from, range.to, m)
  await tx.$executeRawUnsafe(`CREATE TEMPORARY TABLE rout ON COMMIT DROP AS
    SELECT app_id, agent, day, sum(sent) AS sent, sum(refused) AS refused FROM (
      SELECT app_id, agent, day, messages_out AS sent, refused FROM report_daily
      WHERE app_id = ANY($1::text[]) AND (agent <> '' OR messages_out + refused > 0) AND day >= $4::date AND day <= $5::date
      UNION ALL ${outboundScan('AND id > $6')}) o
    GROUP BY 1, 2, 3`, range.apps, s, e, range.from, range.to, o)
  // The customers with rows not folded yet, each from the last episode before the earliest of those rows (lo).
  const activityTail = hasActivity
    ? 'SELECT app_id, openid, floor(extract(epoch FROM created_at))::bigint FROM conversation_activity WHERE id > $4 AND app_id = ANY($1::text[])'
    : 'SELECT NULL::text, NULL::text, NULL::bigint WHERE $4::bigint IS NULL'
  const pending = await tx.$queryRawUnsafe<Array<{ any: boolean }>>(`SELECT EXISTS (SELECT 1 FROM customer_message WHERE id > $2 AND app_id = ANY($1::text[]))
    OR EXISTS (SELECT 1 FROM outbound_message WHERE id > $3 AND app_id = ANY($1::text[])) OR EXISTS (${activityTail}) AS any`, range.apps, m, o, a)
  const tail = pending[0]?.any === true
  if (tail) {
    await tx.$executeRawUnsafe(`CREATE TEMPORARY TABLE report_tail ON COMMIT DROP AS
      SELECT app_id, openid, min(t) AS lo FROM (
        SELECT app_id, openid, wechat_create_time AS t FROM customer_message WHERE id > $2 AND app_id = ANY($1::text[])
        UNION ALL SELECT app_id, openid, floor(extract(epoch FROM created_at))::bigint FROM outbound_message WHERE id > $3 AND app_id = ANY($1::text[])
        UNION ALL ${activityTail}) n
      WHERE app_id IS NOT NULL GROUP BY 1, 2`, range.apps, m, o, a)
    await tx.$executeRawUnsafe(`UPDATE report_tail t SET lo = coalesce((SELECT floor(extract(epoch FROM max(e.start)))::bigint FROM report_episode e
      WHERE e.app_id = t.app_id AND e.openid = t.openid AND e.start < to_timestamp(t.lo)), t.lo)`)
    await tx.$executeRawUnsafe('ANALYZE report_tail')
    await tx.$executeRawUnsafe(`CREATE TEMPORARY TABLE tail_ep ON COMMIT DROP AS
      SELECT app_id, openid, start, day, replied_at, replied_by, resolved_at, resolved_by FROM (${episodesSql(hasActivity, 'report_tail')}) t`, range.apps, s, e)
  }
  // The days read one conversation at a time: those of the episodes computed again (before and after) and of the
  // range's last episodes that take a reply or resolution from after its end.
  await tx.$executeRawUnsafe(`CREATE TEMPORARY TABLE ep_days ON COMMIT DROP AS
    SELECT DISTINCT app_id, ${day('start')} AS day FROM report_episode
    WHERE app_id = ANY($1::text[]) AND start >= to_timestamp($2) AND start < to_timestamp($3) AND next_start >= to_timestamp($3)
      AND (replied_at IS NULL OR resolved_at IS NULL)
    ${tail
      ? `UNION SELECT e.app_id, ${day('e.start')} FROM report_episode e JOIN report_tail t ON t.app_id = e.app_id AND t.openid = e.openid
         WHERE e.start >= to_timestamp(greatest(t.lo, $2)) AND e.start < to_timestamp($3)
       UNION SELECT app_id, day FROM tail_ep`
      : ''}`, range.apps, s, e)
  await tx.$executeRawUnsafe(`CREATE TEMPORARY TABLE ep ON COMMIT DROP AS
    SELECT e.app_id, e.openid, e.start, d.day, e.next_start, e.replied_at, e.replied_by, e.resolved_at, e.resolved_by
    FROM ep_days d JOIN report_episode e ON e.app_id = d.app_id
      AND e.start >= ${dayStart('d.day')} AND e.start < ${dayStart('d.day + 1')}
    WHERE e.start >= to_timestamp($1) AND e.start < to_timestamp($2)`, s, e)
  // A roll-up episode is the range's last of its customer when the next starts at or after the end; then, as the
  // statement over the tables says, its first reply (resolution) is the first after the end if none came before it:
  // that of the customer's first later episode with one.
  for (const [at, by] of [['replied_at', 'replied_by'], ['resolved_at', 'resolved_by']]) {
    await tx.$executeRawUnsafe(`UPDATE ep SET (${at}, ${by}) = (SELECT y.${at}, y.${by} FROM report_episode y
        WHERE y.app_id = ep.app_id AND y.openid = ep.openid AND y.start >= ep.next_start AND y.${at} IS NOT NULL ORDER BY y.start LIMIT 1)
      WHERE ep.${at} IS NULL AND ep.next_start >= to_timestamp($1)`, e)
  }
  if (tail) {
    await tx.$executeRawUnsafe('DELETE FROM ep USING report_tail t WHERE t.app_id = ep.app_id AND t.openid = ep.openid AND ep.start >= to_timestamp(t.lo)')
    await tx.$executeRawUnsafe(`INSERT INTO ep (app_id, openid, start, day, replied_at, replied_by, resolved_at, resolved_by)
      SELECT app_id, openid, start, day, replied_at, replied_by, resolved_at, resolved_by FROM tail_ep`)
  }
  await tx.$executeRawUnsafe(`CREATE TEMPORARY TABLE dur ON COMMIT DROP AS
    SELECT app_id, day, agent, conversations, first_response, resolution, first_response_median, first_response_p90, resolution_median, resolution_p90
    FROM report_durations r
    WHERE app_id = ANY($1::text[]) AND day >= $2::date AND day <= $3::date
      AND NOT EXISTS (SELECT 1 FROM ep_days d WHERE d.app_id = r.app_id AND d.day = r.day)`, range.apps, range.from, range.to)
}

/** A report of `range`, stopped (TooSlow, 503) when it would hold its connection longer than `timeoutMs`. */
export async function teamReport (prisma: PrismaClient, range: ReportRange, timeoutMs = REPORT_TIMEOUT_MS, asked: ReportSource = 'rollup'): Promise<Report> {
  const zone = range.timeZone ?? DEFAULT_TIME_ZONE
  // The roll-up keeps China's days: a team counting days elsewhere is reported from the tables.
  const source: ReportSource = zone === DEFAULT_TIME_ZONE ? asked : 'scan'
  const { start, end } = rangeBounds(range.from, range.to, zone)
  if (range.apps.length === 0) return { from: range.from, to: range.to, apps: [], agents: [] }
  const s = Math.floor(start.getTime() / 1000)
  const e = Math.floor(end.getTime() / 1000)
  // Each conversation's durations computed once, as float8 (extract gives numeric, slower to sort).
  const episodes = `(SELECT app_id, day, replied_by, resolved_by, extract(epoch FROM replied_at - start)::float8 AS frt,
    extract(epoch FROM resolved_at - start)::float8 AS res FROM ep)`
  const tooSlow = `this report took longer than ${timeoutMs / 1000} s and was stopped: choose a shorter period or one mini program`

  // One transaction, one snapshot (the roll-up and its cursors as one fold left them): the counts, conversations and
  // durations are gathered once (temporary tables both statements read); JIT is off in withDeadline's transaction.
  const [appRows, agentRows] = await withDeadline(prisma, timeoutMs, tooSlow, async (tx) => {
    await tx.$executeRawUnsafe('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ')
    // The percentiles sort the durations of the range: in memory.
    await tx.$executeRawUnsafe("SET LOCAL work_mem = '64MB'")
    await gather(tx, range, s, e, source, zone)
    const apps = await tx.$queryRawUnsafe<Array<Record<string, unknown>>>(`
    WITH e AS ${episodes},
    -- A day's conversations: those read one by one, and those read as durations (their percentiles kept by the fold).
    day_conv AS (
      SELECT app_id, day, count(*) AS conversations, count(frt) AS answered,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY frt) AS frt_median, percentile_cont(0.9) WITHIN GROUP (ORDER BY frt) AS frt_p90,
             count(res) AS resolved,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY res) AS res_median, percentile_cont(0.9) WITHIN GROUP (ORDER BY res) AS res_p90
      FROM e GROUP BY 1, 2
      UNION ALL
      SELECT app_id, day, conversations, cardinality(first_response), first_response_median, first_response_p90,
             cardinality(resolution), resolution_median, resolution_p90
      FROM dur WHERE agent = ''
    ),
    -- The range's, per mini program: the percentiles of all its durations (one sort each).
    conv AS (
      SELECT app_id, day, conversations, answered, frt_median, frt_p90, resolved, res_median, res_p90, 0 AS total FROM day_conv
      UNION ALL
      SELECT t.app_id, NULL, t.conversations, f.n, f.p[1], f.p[2], r.n, r.p[1], r.p[2], 1
      FROM (SELECT app_id, sum(conversations) AS conversations FROM day_conv GROUP BY 1) t,
      LATERAL (SELECT count(*) AS n, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY v) AS p FROM (
        SELECT frt AS v FROM e WHERE e.app_id = t.app_id AND frt IS NOT NULL
        UNION ALL SELECT v FROM dur, unnest(first_response) v WHERE dur.app_id = t.app_id AND agent = '') x) f,
      LATERAL (SELECT count(*) AS n, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY v) AS p FROM (
        SELECT res AS v FROM e WHERE e.app_id = t.app_id AND res IS NOT NULL
        UNION ALL SELECT v FROM dur, unnest(resolution) v WHERE dur.app_id = t.app_id AND agent = '') x) r
    ),
    inbound AS (SELECT app_id, day, n FROM rin),
    outbound AS (SELECT app_id, day, sum(sent) AS sent, sum(refused) AS refused FROM rout GROUP BY 1, 2),
    blocked AS (
      SELECT app_id, ${zoneDay('hour')} AS day, sum(count) AS n FROM reply_blocked_hourly
      WHERE app_id = ANY($1::text[]) AND hour >= to_timestamp($2) AND hour < to_timestamp($3) GROUP BY 1, 2
    ),
    days AS (
      SELECT app_id, day FROM inbound UNION SELECT app_id, day FROM outbound UNION SELECT app_id, day FROM blocked
      UNION SELECT app_id, day FROM conv WHERE total = 0
    ),
    daily AS (
      SELECT d.app_id, d.day, coalesce(i.n, 0) AS messages_in, coalesce(o.sent, 0) AS messages_out,
             coalesce(o.refused, 0) + coalesce(b.n, 0) AS blocked
      FROM days d
      LEFT JOIN inbound i ON i.app_id = d.app_id AND i.day = d.day
      LEFT JOIN outbound o ON o.app_id = d.app_id AND o.day = d.day
      LEFT JOIN blocked b ON b.app_id = d.app_id AND b.day = d.day
    ),
    sums AS (
      SELECT app_id, day, messages_in, messages_out, blocked FROM daily
      UNION ALL
      SELECT app_id, NULL, sum(messages_in), sum(messages_out), sum(blocked) FROM daily GROUP BY app_id
    )
    SELECT s.app_id, s.day::text AS day, s.messages_in, s.messages_out, s.blocked, c.conversations, c.answered, c.frt_median, c.frt_p90,
           c.resolved, c.res_median, c.res_p90
    FROM sums s
    LEFT JOIN conv c ON c.app_id = s.app_id AND (c.day = s.day OR (c.total = 1 AND s.day IS NULL))
    ORDER BY s.app_id, s.day NULLS FIRST`, range.apps, s, e, zone)
    const agents = await tx.$queryRawUnsafe<Array<Record<string, unknown>>>(`
    WITH e AS ${episodes},
    -- Each agent's conversations answered first and resolved: read one by one, and as durations (one sort each).
    answered AS (
      SELECT replied_by AS agent FROM e WHERE replied_by <> '' AND frt IS NOT NULL
      UNION SELECT agent FROM dur WHERE agent <> '' AND cardinality(first_response) > 0
    ),
    closed AS (
      SELECT resolved_by AS agent FROM e WHERE resolved_by <> '' AND res IS NOT NULL
      UNION SELECT agent FROM dur WHERE agent <> '' AND cardinality(resolution) > 0
    ),
    first AS (
      SELECT a.agent, f.conversations, f.p[1] AS frt_median, f.p[2] AS frt_p90 FROM answered a,
      LATERAL (SELECT count(*) AS conversations, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY v) AS p FROM (
        SELECT frt AS v FROM e WHERE e.replied_by = a.agent AND frt IS NOT NULL
        UNION ALL SELECT v FROM dur, unnest(first_response) v WHERE dur.agent = a.agent) x) f
    ),
    res AS (
      SELECT a.agent, r.resolved, r.p[1] AS res_median, r.p[2] AS res_p90 FROM closed a,
      LATERAL (SELECT count(*) AS resolved, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY v) AS p FROM (
        SELECT res AS v FROM e WHERE e.resolved_by = a.agent AND res IS NOT NULL
        UNION ALL SELECT v FROM dur, unnest(resolution) v WHERE dur.agent = a.agent) x) r
    ),
    sent AS (SELECT agent, sum(sent) AS sent, sum(refused) AS refused FROM rout GROUP BY 1),
    blocked AS (
      SELECT agent, sum(count) AS n FROM reply_blocked_hourly
      WHERE app_id = ANY($1::text[]) AND hour >= to_timestamp($2) AND hour < to_timestamp($3) GROUP BY 1
    ),
    agents AS (SELECT agent FROM first UNION SELECT agent FROM res UNION SELECT agent FROM sent UNION SELECT agent FROM blocked)
    SELECT a.agent, coalesce(s.sent, 0) AS messages_out, coalesce(s.refused, 0) + coalesce(b.n, 0) AS blocked,
           coalesce(f.conversations, 0) AS conversations, f.frt_median, f.frt_p90, coalesce(r.resolved, 0) AS resolved, r.res_median, r.res_p90
    FROM agents a LEFT JOIN first f ON f.agent = a.agent LEFT JOIN res r ON r.agent = a.agent
    LEFT JOIN sent s ON s.agent = a.agent LEFT JOIN blocked b ON b.agent = a.agent
    ORDER BY a.agent`, range.apps, s, e)
    return [apps, agents]
  })

  return {
    from: range.from,
    to: range.to,
    apps: appRows.map((r) => ({
      appId: String(r.app_id),
      day: r.day === null ? null : String(r.day),
      conversations: num(r.conversations),
      messagesIn: num(r.messages_in),
      messagesOut: num(r.messages_out),
      firstResponse: dur(r.answered, r.frt_median, r.frt_p90),
      unanswered: num(r.conversations) - num(r.answered),
      resolution: dur(r.resolved, r.res_median, r.res_p90),
      blocked: num(r.blocked)
    })),
    agents: agentRows.map((r) => ({
      agent: String(r.agent),
      messagesOut: num(r.messages_out),
      conversations: num(r.conversations),
      firstResponse: dur(r.conversations, r.frt_median, r.frt_p90),
      resolution: dur(r.resolved, r.res_median, r.res_p90),
      blocked: num(r.blocked)
    }))
  }
}

const CSV_HEAD = ['scope', 'mini_program_or_agent', 'day', 'conversations', 'messages_in', 'messages_out', 'first_response_median_s', 'first_response_p90_s',
  'unanswered', 'resolved', 'resolution_median_s', 'resolution_p90_s', 'replies_blocked']

function cell (v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v)
  // Quoted when needed (RFC 4180); a leading = + - @ is defused so a spreadsheet never runs it as a formula.
  const safe = /^[=+\-@]/.test(s) ? `'${s}` : s
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}

/** The report as CSV (UTF-8 with a BOM, so Excel reads the Chinese right), one line per app and day, app, agent. */
export function reportCsv (report: Report): string {
  const lines = [CSV_HEAD.join(',')]
  for (const r of report.apps) {
    lines.push([r.day === null ? 'mini_program_total' : 'mini_program_day', r.appId, r.day ?? `${report.from}..${report.to}`, r.conversations, r.messagesIn, r.messagesOut,
      r.firstResponse.medianS, r.firstResponse.p90S, r.unanswered, r.resolution.count, r.resolution.medianS, r.resolution.p90S, r.blocked].map(cell).join(','))
  }
  for (const a of report.agents) {
    lines.push(['agent', a.agent, `${report.from}..${report.to}`, a.conversations, '', a.messagesOut, a.firstResponse.medianS, a.firstResponse.p90S, '',
      a.resolution.count, a.resolution.medianS, a.resolution.p90S, a.blocked].map(cell).join(','))
  }
  return '\ufeff' + lines.join('\r\n') + '\r\n'
}
