import type { PrismaClient } from '@kefu/db'
import { REPORT_TIMEOUT_MS, withDeadline } from '../common/query-deadline.js'
import { DEFAULT_TIME_ZONE, startOfDay } from '../common/time-zone.js'

/**
 * Team reports, computed in SQL over customer_message, outbound_message, conversation_activity (issue 10's status
 * changes) and reply_blocked_hourly. Days are the team's time zone's (team_setting; China's, UTC+8, unless changed).
 *
 * A conversation, here, is an episode of one customer's conversation: it starts with a customer message (not an
 * event) that is their first, or comes more than 24 hours after their previous one, or after the conversation was
 * resolved. Its first response is the first reply sent after that start (before the next episode); its resolution,
 * the first change of its status to resolved. A reply blocked is one WeChat's windows refused: refused by the console
 * before calling WeChat (counted in reply_blocked_hourly), or by WeChat itself (45015, 45047).
 */

/** The team's time zone, an IANA name (parameter $4 of the statements that count days): days are its days. */
const ZONE = '$4::text'
const EPISODE_GAP_S = 24 * 3600

export interface ReportRange {
  apps: string[]
  /** First and last day, `YYYY-MM-DD`, in `timeZone`, inclusive. */
  from: string
  to: string
  /** The IANA time zone days are counted in (default Asia/Shanghai). */
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
 * The episodes that start in the range, with their first reply and resolution (one statement, used twice).
 *
 * One sort of the customer messages of [start - 24 h, end), the resolutions (status → resolved) of the same period
 * and the replies sent in [start, end), merged in time order per customer (app_id, openid, compared as bytes: "C"),
 * then two window passes over it, with no index probe per message or per episode:
 * 1. each row learns the time of the previous message, resolution and reply. A message starts an episode when there is
 *    no previous message, the previous is more than 24 hours older, or a resolution lies after it (and at or before
 *    this message: a resolution at the message's very instant sorts first), i.e. in (previous, this];
 * 2. each row learns the start of the episode it falls in: the latest start at or before it (replies and resolutions
 *    at a start's very instant belong to that episode, as `>= start` says).
 * Per episode, the first reply is the earliest reply in it, and its agent that of the reply with no earlier reply in
 * the episode (likewise resolutions). The last episode of a customer in the range has no next start: its first reply
 * or resolution may come after the range's end, where one index probe looks for it (only when none came before).
 */
function episodesSql (hasActivity: boolean): string {
  const resolutions = hasActivity
    ? `UNION ALL
      SELECT openid, app_id, created_at, 0, id, actor FROM conversation_activity
      WHERE app_id = ANY($1::text[]) AND kind = 'status' AND to_value = 'resolved'
        AND created_at >= to_timestamp($2 - ${EPISODE_GAP_S}) AND created_at < to_timestamp($3)`
    : ''
  const later = (table: string, at: string, who: string, cond: string, when: string): string => `LEFT JOIN LATERAL (SELECT x.${at} AS at, x.${who} AS who FROM ${table} x
      WHERE ${when} AND x.app_id = g.app_id COLLATE "default" AND x.openid = g.openid COLLATE "default" AND ${cond} AND x.${at} >= to_timestamp($3)
      ORDER BY x.${at} LIMIT 1)`
  const resolution = hasActivity
    ? `${later('conversation_activity', 'created_at', 'actor', "x.kind = 'status' AND x.to_value = 'resolved'", 'g.last AND g.resolved_at IS NULL')} r ON true`
    : 'LEFT JOIN LATERAL (SELECT NULL::timestamptz AS at, NULL::text AS who) r ON true'
  return `
    WITH x (openid, app_id, t, k, id, who) AS (
      SELECT openid COLLATE "C", app_id COLLATE "C", to_timestamp(wechat_create_time), 1, id, NULL::text FROM customer_message
      WHERE app_id = ANY($1::text[]) AND msg_type <> 'event' AND delete_time IS NULL
        AND wechat_create_time >= $2 - ${EPISODE_GAP_S} AND wechat_create_time < $3
      UNION ALL
      SELECT openid, app_id, created_at, 2, id, agent FROM outbound_message
      WHERE app_id = ANY($1::text[]) AND status = 'sent' AND created_at >= to_timestamp($2) AND created_at < to_timestamp($3)
      ${resolutions}
    ), w AS (
      SELECT openid, app_id, t, k, who,
             max(t) FILTER (WHERE k = 1) OVER before AS prev_message,
             max(t) FILTER (WHERE k = 0) OVER before AS prev_resolution,
             max(t) FILTER (WHERE k = 2) OVER before AS prev_reply
      FROM x
      WINDOW before AS (PARTITION BY openid, app_id ORDER BY t, k, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
    ), v AS (
      SELECT openid, app_id, t, k, who, starts, prev_reply, prev_resolution,
             max(t) FILTER (WHERE starts) OVER (PARTITION BY openid, app_id ORDER BY t) AS ep
      FROM (SELECT *, k = 1 AND (prev_message IS NULL OR t - prev_message > interval '${EPISODE_GAP_S} seconds'
                                 OR prev_resolution > prev_message) AS starts FROM w) w
    ), g AS (
      SELECT openid, app_id, ep, lead(ep) OVER (PARTITION BY openid, app_id ORDER BY ep) IS NULL AS last,
             max(t) FILTER (WHERE k = 2) AS replied_at, max(who) FILTER (WHERE k = 2) AS replied_by,
             max(t) FILTER (WHERE k = 0) AS resolved_at, max(who) FILTER (WHERE k = 0) AS resolved_by
      FROM v
      -- The episode's start, its first reply (no earlier reply in it), its first resolution.
      WHERE ep >= to_timestamp($2) AND (starts OR (k = 2 AND (prev_reply IS NULL OR prev_reply < ep))
                                        OR (k = 0 AND (prev_resolution IS NULL OR prev_resolution < ep)))
      GROUP BY openid, app_id, ep
    )
    SELECT g.app_id COLLATE "default" AS app_id, g.openid COLLATE "default" AS openid, g.ep AS start,
           (g.ep AT TIME ZONE ${ZONE})::date AS day,
           coalesce(g.replied_at, f.at) AS replied_at, CASE WHEN g.replied_at IS NULL THEN f.who ELSE g.replied_by END AS replied_by,
           coalesce(g.resolved_at, r.at) AS resolved_at, CASE WHEN g.resolved_at IS NULL THEN r.who ELSE g.resolved_by END AS resolved_by
    FROM g
    ${later('outbound_message', 'created_at', 'agent', "x.status = 'sent'", 'g.last AND g.replied_at IS NULL')} f ON true
    ${resolution}`
}

/** A report of `range`, stopped (TooSlow, 503) when it would hold its connection longer than `timeoutMs`. */
export async function teamReport (prisma: PrismaClient, range: ReportRange, timeoutMs = REPORT_TIMEOUT_MS): Promise<Report> {
  const zone = range.timeZone ?? DEFAULT_TIME_ZONE
  const { start, end } = rangeBounds(range.from, range.to, zone)
  if (range.apps.length === 0) return { from: range.from, to: range.to, apps: [], agents: [] }
  const s = Math.floor(start.getTime() / 1000)
  const e = Math.floor(end.getTime() / 1000)
  const day = (col: string): string => `(${col} AT TIME ZONE ${ZONE})::date`
  const tooSlow = `this report took longer than ${timeoutMs / 1000} s and was stopped: choose a shorter period or one mini program`

  // One transaction: the episodes are found once (a temporary table both statements read); JIT off, since
  // compiling these statements takes longer than running them.
  const [appRows, agentRows] = await withDeadline(prisma, timeoutMs, tooSlow, async (tx) => {
    const hasActivity = (await tx.$queryRawUnsafe<Array<{ t: string | null }>>("SELECT to_regclass('conversation_activity')::text AS t"))[0]?.t != null
    await tx.$executeRawUnsafe('SET LOCAL jit = off')
    await tx.$executeRawUnsafe(`CREATE TEMPORARY TABLE ep ON COMMIT DROP AS ${episodesSql(hasActivity)}`, range.apps, s, e, zone)
    const apps = await tx.$queryRawUnsafe<Array<Record<string, unknown>>>(`
    WITH conv AS (
      SELECT app_id, day, count(*) AS conversations,
             count(replied_at) AS answered,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM replied_at - start)) AS frt_median,
             percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM replied_at - start)) AS frt_p90,
             count(resolved_at) AS resolved,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - start)) AS res_median,
             percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - start)) AS res_p90,
             grouping(day) AS total
      FROM ep GROUP BY GROUPING SETS ((app_id, day), (app_id))
    ),
    inbound AS (
      SELECT app_id, ${day('to_timestamp(wechat_create_time)')} AS day, count(*) AS n FROM customer_message
      WHERE app_id = ANY($1::text[]) AND msg_type <> 'event' AND delete_time IS NULL AND wechat_create_time >= $2 AND wechat_create_time < $3
      GROUP BY 1, 2
    ),
    outbound AS (
      SELECT app_id, ${day('created_at')} AS day, count(*) FILTER (WHERE status = 'sent') AS sent,
             count(*) FILTER (WHERE status = 'failed' AND errcode IN (45015, 45047)) AS refused
      FROM outbound_message WHERE app_id = ANY($1::text[]) AND created_at >= to_timestamp($2) AND created_at < to_timestamp($3)
      GROUP BY 1, 2
    ),
    blocked AS (
      SELECT app_id, ${day('hour')} AS day, sum(count) AS n FROM reply_blocked_hourly
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
    WITH first AS (
      SELECT replied_by AS agent, count(*) AS conversations,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM replied_at - start)) AS frt_median,
             percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM replied_at - start)) AS frt_p90
      FROM ep WHERE replied_by IS NOT NULL GROUP BY 1
    ),
    res AS (
      SELECT resolved_by AS agent, count(*) AS resolved,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - start)) AS res_median,
             percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - start)) AS res_p90
      FROM ep WHERE resolved_by IS NOT NULL GROUP BY 1
    ),
    sent AS (
      SELECT agent, count(*) FILTER (WHERE status = 'sent') AS sent, count(*) FILTER (WHERE status = 'failed' AND errcode IN (45015, 45047)) AS refused
      FROM outbound_message WHERE app_id = ANY($1::text[]) AND created_at >= to_timestamp($2) AND created_at < to_timestamp($3) GROUP BY 1
    ),
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
