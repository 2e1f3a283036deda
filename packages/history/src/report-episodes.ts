/**
 * The team reports' conversations, shared by the console's reports (a range of days) and the worker's roll-up (the
 * customers with new rows). Days are China's (UTC+8), where WeChat's users and their teams live.
 *
 * A conversation, here, is an episode of one customer's conversation: it starts with a customer message (not an
 * event) that is their first, or comes more than 24 hours after their previous one, or after the conversation was
 * resolved. Its first response is the first reply sent after that start (before the next episode); its resolution,
 * the first change of its status to resolved.
 */

export const DAY_OFFSET = "interval '8 hours'"
/** The same in seconds: a customer message's day is (wechat_create_time + DAY_OFFSET_S) / 86400 days after 1970-01-01. */
export const DAY_OFFSET_S = 8 * 3600
export const EPISODE_GAP_S = 24 * 3600
/** An end for "no end" (unix seconds, year 3000). */
export const NO_END_S = 32_503_680_000

/**
 * The episodes that start in a range, with their first reply, resolution and the next episode's start.
 * Parameters: $1 the apps (text[]), $2 and $3 the range [start, end) in unix seconds. With `scope`, the name of a
 * table (app_id, openid, lo): only those customers, from max(lo, $2) each.
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
export function episodesSql (hasActivity: boolean, scope?: string): string {
  // Each source: its rows of the apps, of the customers in scope (lo: their own start), from `since` seconds before.
  const from = (table: string, alias: string): string => scope === undefined
    ? `${table} ${alias}`
    : `${table} ${alias} JOIN ${scope} s ON s.app_id = ${alias}.app_id AND s.openid = ${alias}.openid`
  const lo = scope === undefined ? '$2::bigint' : 'greatest(s.lo, $2::bigint)'
  const resolutions = hasActivity
    ? `UNION ALL
      SELECT a.openid, a.app_id, a.created_at, 0, a.id, a.actor, ${lo} FROM ${from('conversation_activity', 'a')}
      WHERE a.app_id = ANY($1::text[]) AND a.kind = 'status' AND a.to_value = 'resolved'
        AND a.created_at >= to_timestamp(${lo} - ${EPISODE_GAP_S}) AND a.created_at < to_timestamp($3)`
    : ''
  const later = (table: string, at: string, who: string, cond: string, when: string): string => `LEFT JOIN LATERAL (SELECT x.${at} AS at, x.${who} AS who FROM ${table} x
      WHERE ${when} AND x.app_id = g.app_id COLLATE "default" AND x.openid = g.openid COLLATE "default" AND ${cond} AND x.${at} >= to_timestamp($3)
      ORDER BY x.${at} LIMIT 1)`
  const resolution = hasActivity
    ? `${later('conversation_activity', 'created_at', 'actor', "x.kind = 'status' AND x.to_value = 'resolved'", 'g.last AND g.resolved_at IS NULL')} r ON true`
    : 'LEFT JOIN LATERAL (SELECT NULL::timestamptz AS at, NULL::text AS who) r ON true'
  return `
    WITH x (openid, app_id, t, k, id, who, lo) AS (
      SELECT m.openid COLLATE "C", m.app_id COLLATE "C", to_timestamp(m.wechat_create_time), 1, m.id, NULL::text, ${lo} FROM ${from('customer_message', 'm')}
      WHERE m.app_id = ANY($1::text[]) AND m.msg_type <> 'event' AND m.delete_time IS NULL
        AND m.wechat_create_time >= ${lo} - ${EPISODE_GAP_S} AND m.wechat_create_time < $3
      UNION ALL
      SELECT o.openid, o.app_id, o.created_at, 2, o.id, o.agent, ${lo} FROM ${from('outbound_message', 'o')}
      WHERE o.app_id = ANY($1::text[]) AND o.status = 'sent' AND o.created_at >= to_timestamp(${lo}) AND o.created_at < to_timestamp($3)
      ${resolutions}
    ), w AS (
      SELECT openid, app_id, t, k, who, lo,
             max(t) FILTER (WHERE k = 1) OVER before AS prev_message,
             max(t) FILTER (WHERE k = 0) OVER before AS prev_resolution,
             max(t) FILTER (WHERE k = 2) OVER before AS prev_reply
      FROM x
      WINDOW before AS (PARTITION BY openid, app_id ORDER BY t, k, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
    ), v AS (
      SELECT openid, app_id, t, k, who, lo, starts, prev_reply, prev_resolution,
             max(t) FILTER (WHERE starts) OVER (PARTITION BY openid, app_id ORDER BY t) AS ep
      FROM (SELECT *, k = 1 AND (prev_message IS NULL OR t - prev_message > interval '${EPISODE_GAP_S} seconds'
                                 OR prev_resolution > prev_message) AS starts FROM w) w
    ), g AS (
      SELECT openid, app_id, ep, lead(ep) OVER (PARTITION BY openid, app_id ORDER BY ep) AS next_start,
             lead(ep) OVER (PARTITION BY openid, app_id ORDER BY ep) IS NULL AS last,
             max(t) FILTER (WHERE k = 2) AS replied_at, max(who) FILTER (WHERE k = 2) AS replied_by,
             max(t) FILTER (WHERE k = 0) AS resolved_at, max(who) FILTER (WHERE k = 0) AS resolved_by
      FROM v
      -- The episode's start, its first reply (no earlier reply in it), its first resolution.
      WHERE ep >= to_timestamp(${scope === undefined ? '$2' : 'lo'}) AND (starts OR (k = 2 AND (prev_reply IS NULL OR prev_reply < ep))
                                        OR (k = 0 AND (prev_resolution IS NULL OR prev_resolution < ep)))
      GROUP BY openid, app_id, ep
    )
    SELECT g.app_id COLLATE "default" AS app_id, g.openid COLLATE "default" AS openid, g.ep AS start, g.next_start,
           ((g.ep AT TIME ZONE 'UTC') + ${DAY_OFFSET})::date AS day,
           coalesce(g.replied_at, f.at) AS replied_at, CASE WHEN g.replied_at IS NULL THEN f.who ELSE g.replied_by END AS replied_by,
           coalesce(g.resolved_at, r.at) AS resolved_at, CASE WHEN g.resolved_at IS NULL THEN r.who ELSE g.resolved_by END AS resolved_by
    FROM g
    ${later('outbound_message', 'created_at', 'agent', "x.status = 'sent'", 'g.last AND g.replied_at IS NULL')} f ON true
    ${resolution}`
}
