import type { PrismaClient } from '@kefu/db'
import { inboundItem, outboundItem, type TimelineItem } from '../common/messages.js'
import { SEARCH_TIMEOUT_MS, withDeadline, type Db } from '../common/query-deadline.js'
import { compileQuery, type CompiledQuery } from '@kefu/history'

export interface SearchFilters {
  /** The mini programs searched: the agent's (all of them, or the one asked for). Never empty. */
  apps: string[]
  /** Free text: every whitespace-separated term must occur (substring, any script). */
  text?: string
  openid?: string
  /** Conversation filters (issue 10's columns): a tag the conversation carries, its status, its assignee ('' = unassigned). */
  tag?: string
  status?: string
  assignee?: string
  /** in (customers) | out (agents) */
  direction?: 'in' | 'out'
  /** Messages at or after `from`, before `to` (ms). */
  from?: number
  to?: number
  /** Continue after this result (the `next` of the previous page). */
  after?: SearchCursor
  limit: number
  /** RECENT_WINDOW unless told (tests make both phases run on small data). */
  recentWindow?: number
  /** SEARCH_TIMEOUT_MS unless told. */
  timeoutMs?: number
}

export interface SearchCursor { at: number, direction: 'in' | 'out', id: string }

export interface SearchHit { item: TimelineItem, conversation: { status: string | null, assignee: string | null, tags: string[], displayName?: string | null } }

interface Row { direction: 'in' | 'out', message_id: bigint, app_id: string, openid: string, at: Date }

/** How many of the newest candidate rows the first phase reads before it hands over to the index (see `search`). */
export const RECENT_WINDOW = 5000

export class SearchError extends Error {}

const TOO_SLOW = (ms: number): string => `this search took longer than ${ms / 1000} s and was stopped: narrow it down (a mini program, a customer, a shorter period) and try again`

export type SearchPhase = 'recent' | 'index' | 'scan' | 'conversations'

/**
 * Message search over message_search, newest first. Text is matched through the bigram index and rechecked as
 * substrings. The plan depends on what narrows the search most:
 * - one customer, or conversation filters (tag, status, assignee) that select at most FEW_CONVERSATIONS
 *   conversations: those conversations one by one, each through its own time-ordered index; beyond
 *   UNSLICED_CONVERSATIONS of them, first over the last day, then the last 7 days, then their whole history
 *   (`inConversations`);
 * - otherwise two phases keep both kinds of terms fast: a common term (退款) is found among the newest RECENT_WINDOW
 *   candidates in time order, without reading its thousands of older matches; a rare one (an order number) is not,
 *   and is then looked up through the GIN index, which returns few rows.
 * The "not deleted" check costs a lookup per row, so it runs on the page's candidates only (`visibleFirst`). No search
 * holds its connection longer than `timeoutMs` (see `withDeadline`).
 */
export async function search (prisma: PrismaClient, f: SearchFilters): Promise<{ hits: SearchHit[], next: SearchCursor | null, phase: SearchPhase, withinDays?: number | null }> {
  const ms = f.timeoutMs ?? SEARCH_TIMEOUT_MS
  return await withDeadline(prisma, ms, TOO_SLOW(ms), async (db) => await searchIn(db, f))
}

async function searchIn (prisma: Db, f: SearchFilters): Promise<{ hits: SearchHit[], next: SearchCursor | null, phase: SearchPhase, withinDays?: number | null }> {
  const query = f.text === undefined || f.text.trim() === '' ? null : compileQuery(f.text)
  if (f.text !== undefined && f.text.trim() !== '' && query === null) throw new SearchError('the search text needs at least one letter, digit or character')
  const params: unknown[] = []
  const p = (value: unknown): string => { params.push(value); return `$${params.length}` }
  const where = messageConditions(f, p)
  const conv = conversationConditions(f, p)
  // A semi-join: the matching conversations are hashed once, rather than looked up for every message.
  if (conv.length > 0) where.push(`(s.app_id, s.openid) IN (SELECT c.app_id, c.openid FROM conversation c WHERE c.app_id = ANY($1::text[]) AND ${conv.join(' AND ')})`)
  const whereParams = [...params]
  const match = query === null ? [] : textMatch(query, p)
  const take = f.limit + 1
  const win = f.recentWindow ?? RECENT_WINDOW
  const cols = 's.direction, s.message_id, s.app_id, s.openid, s.at'
  // The whole history through the indexes: `at + 0` keeps the planner off the time index, where a rare term would
  // have it read every row; the GIN index (or the conversations', for a customer) finds the matches, then sorted.
  const indexed = (visible: boolean, limit: number): string =>
    `SELECT ${cols} FROM message_search s WHERE ${[...where, ...match, ...(visible ? [VISIBLE] : [])].join(' AND ')}
     ORDER BY s.at + interval '0' DESC, s.direction DESC, s.message_id DESC LIMIT ${limit}`

  let rows: Row[]
  let phase: SearchPhase
  let withinDays: number | null | undefined
  const narrowed = query !== null && (conv.length > 0 || f.openid !== undefined) ? await selectedConversations(prisma, f) : null
  if (narrowed !== null) {
    phase = 'conversations'
    // One time slice of the selected conversations: its own statement, with only the message's own conditions.
    const slice = (lower: Date | null): { params: unknown[], statement: (visible: boolean, limit: number) => string } => {
      const sliceParams: unknown[] = []
      const sp = (value: unknown): string => { sliceParams.push(value); return `$${sliceParams.length}` }
      const keys = `unnest(${sp(narrowed.map((c) => c.app_id))}::text[], ${sp(narrowed.map((c) => c.openid))}::text[]) AS k(a, o)`
      const conds = ['s.app_id = k.a AND s.openid = k.o', ...(lower === null ? [] : [`s.at >= ${sp(lower)}`]), ...messageConditions(f, sp), ...textMatch(query!, sp)]
      return {
        params: sliceParams,
        statement: (visible, limit) =>
          `SELECT s.* FROM ${keys} CROSS JOIN LATERAL (
             SELECT ${cols} FROM message_search s WHERE ${[...conds, ...(visible ? [VISIBLE] : [])].join(' AND ')} ${ORDER} LIMIT ${limit}) s
           ${ORDER} LIMIT ${limit}`
      }
    }
    const found = await inConversations(prisma, narrowed.length, { slice, params, take, upper: Math.min(Date.now(), f.to ?? Infinity, f.after?.at ?? Infinity), from: f.from, filtered: conv.length > 0, indexed })
    rows = found.rows
    withinDays = found.withinDays
  } else if (query === null) {
    phase = 'scan'
    rows = await prisma.$queryRawUnsafe<Row[]>(`SELECT ${cols} FROM message_search s WHERE ${[...where, VISIBLE].join(' AND ')} ${ORDER} LIMIT ${take}`, ...whereParams)
  } else {
    phase = 'recent'
    // Pipelined: the outer LIMIT stops the time-ordered scan as soon as enough rows matched; the inner LIMIT bounds
    // how far it goes for a term that is rare.
    rows = await prisma.$queryRawUnsafe<Row[]>(
      `SELECT ${cols} FROM (SELECT s.* FROM message_search s WHERE ${where.join(' AND ')} ${ORDER} LIMIT ${win}) s
       WHERE ${[...match, VISIBLE].join(' AND ')} ${ORDER} LIMIT ${take}`, ...params)
    const windowFull = rows.length < take && await windowIsFull(prisma, where, whereParams, win)
    if (windowFull) {
      phase = 'index'
      rows = await visibleFirst(prisma, indexed, params, take)
    }
  }
  const page = rows.slice(0, f.limit)
  const last = page.at(-1)
  return {
    hits: await hydrate(prisma, page),
    next: rows.length > f.limit && last !== undefined ? { at: last.at.getTime(), direction: last.direction, id: last.message_id.toString() } : null,
    phase,
    ...(withinDays !== undefined ? { withinDays } : {})
  }
}

/** Newest first; the direction and id break ties, as the page's cursor does. */
const ORDER = 'ORDER BY s.at DESC, s.direction DESC, s.message_id DESC'

/**
 * Not a customer message marked deleted (delete_time: gone for agents at once, its search row purged later). A scalar
 * subquery, which PostgreSQL runs per row and last (after the cheaper conditions), so only the rows that otherwise
 * match are looked up by primary key; a NOT EXISTS would be pulled up into an anti-join over every deleted row.
 * customer_message is partitioned by month on wechat_create_time, which an inbound search row's `at` is (to the
 * second): naming it lets each lookup read one month's index instead of every month's (0.005 against 0.08 ms a row
 * with 28 partitions, EXPLAIN ANALYZE on PostgreSQL 15 here).
 */
const VISIBLE = "(s.direction = 'out' OR (SELECT m.delete_time FROM customer_message m WHERE m.id = s.message_id AND m.wechat_create_time = floor(extract(epoch FROM s.at))::bigint) IS NULL)"

/** Candidates beyond the page that `visibleFirst` checks, so that a few deleted messages do not cost a second statement. */
const VISIBLE_MARGIN = 10

/**
 * The first `take` visible rows of a statement, newest first. `statement(visible, limit)` selects the rows in order,
 * with VISIBLE among its conditions or not. The lookup VISIBLE makes per row is what a search's cost grows with when
 * it is run on every match (10,000 matches of a rare term at 10,000,000 messages: 0.2 s warm, 1.8 s cold), so it runs
 * on take + VISIBLE_MARGIN candidates only; when deleted messages leave fewer than `take` of them and there may be
 * more, the statement runs again with VISIBLE inside.
 */
async function visibleFirst (prisma: Db, statement: (visible: boolean, limit: number) => string, params: unknown[], take: number): Promise<Row[]> {
  const limit = take + VISIBLE_MARGIN
  const candidates = await prisma.$queryRawUnsafe<Array<Row & { visible: boolean }>>(
    `SELECT s.*, ${VISIBLE} AS visible FROM (${statement(false, limit)}) s ${ORDER}`, ...params)
  const visible = candidates.filter((r) => r.visible)
  if (visible.length >= take || candidates.length < limit) return visible.slice(0, take).map(({ visible: _, ...row }) => row)
  return await prisma.$queryRawUnsafe<Row[]>(statement(true, take), ...params)
}

/**
 * Conversation filters (or one customer) that select at most this many conversations are searched conversation by
 * conversation; with more, their conversations are joined to the time-ordered phases (a filter that selects that
 * many conversations selects a good share of the newest messages too).
 */
export const FEW_CONVERSATIONS = 5000
/** Up to this many conversations are searched without time slices: each one's index is read until it gave a page. */
export const UNSLICED_CONVERSATIONS = 20
/** How far back (days) the conversation-by-conversation search looks first, before their whole history. */
export const SLICE_DAYS: readonly number[] = [1, 7]

/** The conversations the search's customer and conversation filters select, when they are at most FEW_CONVERSATIONS; null when more. */
async function selectedConversations (prisma: Db, f: SearchFilters): Promise<Array<{ app_id: string, openid: string }> | null> {
  const params: unknown[] = []
  const p = (value: unknown): string => { params.push(value); return `$${params.length}` }
  const cond = [`c.app_id = ANY(${p(f.apps)}::text[])`, ...(f.openid === undefined ? [] : [`c.openid = ${p(f.openid)}`]), ...conversationConditions(f, p)]
  const rows = await prisma.$queryRawUnsafe<Array<{ app_id: string, openid: string }>>(
    `SELECT c.app_id, c.openid FROM conversation c WHERE ${cond.join(' AND ')} LIMIT ${FEW_CONVERSATIONS + 1}`, ...params)
  return rows.length > FEW_CONVERSATIONS ? null : rows
}

interface ConversationSearch {
  /** The statement of one time slice (rows at or after `lower`) of the selected conversations, and its parameters. */
  slice: (lower: Date | null) => { params: unknown[], statement: (visible: boolean, limit: number) => string }
  /** The whole history's statement (`indexed`), every condition included, and its parameters. */
  indexed: (visible: boolean, limit: number) => string
  params: unknown[]
  take: number
  /** The newest a result can be (ms): now, `to` or the cursor's; the time slices count back from it. */
  upper: number
  from: number | undefined
  /** Conversation filters were given (not only a customer). */
  filtered: boolean
}

/**
 * Each selected conversation's newest matches through the conversation index (app_id, openid, at DESC), merged:
 * first within the last day before `upper`, then 7 days (SLICE_DAYS); a slice that yields a page is the answer, since
 * every row outside it is older than every row in it. A term that none of these finds is looked up over the whole
 * history through the indexes (`indexed`, where the planner weighs the GIN index against the conversations').
 * 870 conversations (tag vip, resolved) and 退款 at 10,000,000 messages: 11 ms for the day's slice, against 0.6 s for
 * the newest 5,000 rows of those conversations.
 */
async function inConversations (prisma: Db, conversations: number, q: ConversationSearch): Promise<{ rows: Row[], withinDays: number | null }> {
  // No conversation has what the filters ask for: no message either. A customer without one is looked up as it is.
  if (conversations === 0 && q.filtered) return { rows: [], withinDays: null }
  // A customer or a handful of conversations: each one's newest matches, however far back, in one statement.
  if (conversations > 0 && conversations <= UNSLICED_CONVERSATIONS) {
    const { params, statement } = q.slice(null)
    return { rows: await visibleFirst(prisma, statement, params, q.take), withinDays: null }
  }
  for (const days of conversations > 0 ? SLICE_DAYS : []) {
    const lower = q.upper - days * 86_400_000
    // A slice reaching back past `from` is the whole range asked for.
    if (q.from !== undefined && lower <= q.from) break
    const { params, statement } = q.slice(new Date(lower))
    const rows = await visibleFirst(prisma, statement, params, q.take)
    if (rows.length >= q.take) return { rows, withinDays: days }
  }
  return { rows: await visibleFirst(prisma, q.indexed, q.params, q.take), withinDays: null }
}

/** The conditions on the message itself: its mini programs, customer, direction, time and the page's cursor. */
function messageConditions (f: SearchFilters, p: (v: unknown) => string): string[] {
  const where: string[] = [`s.app_id = ANY(${p(f.apps)}::text[])`]
  if (f.openid !== undefined) where.push(`s.openid = ${p(f.openid)}`)
  if (f.direction !== undefined) where.push(`s.direction = ${p(f.direction)}`)
  if (f.from !== undefined) where.push(`s.at >= ${p(new Date(f.from))}`)
  if (f.to !== undefined) where.push(`s.at < ${p(new Date(f.to))}`)
  if (f.after !== undefined) where.push(`(s.at, s.direction, s.message_id) < (${p(new Date(f.after.at))}, ${p(f.after.direction)}, ${p(f.after.id)}::bigint)`)
  return where
}

/** The conditions on the message's conversation (alias c): its tag, status and assignee ('' = unassigned). */
function conversationConditions (f: SearchFilters, p: (v: unknown) => string): string[] {
  const conv: string[] = []
  if (f.tag !== undefined) conv.push(`c.tags @> ARRAY[${p(f.tag)}]::text[]`)
  if (f.status !== undefined) conv.push(`c.status = ${p(f.status)}`)
  if (f.assignee !== undefined) conv.push(f.assignee === '' ? 'c.assignee IS NULL' : `c.assignee = ${p(f.assignee)}`)
  return conv
}

function textMatch (query: CompiledQuery, p: (v: unknown) => string): string[] {
  const out = [`s.tokens @@ ${p(query.tsquery)}::tsquery`]
  if (!query.exact) for (const term of query.terms) out.push(`strpos(s.body, ${p(term)}) > 0`)
  return out
}

async function windowIsFull (prisma: Db, where: string[], params: unknown[], win: number): Promise<boolean> {
  const rows = await prisma.$queryRawUnsafe<Array<{ n: bigint }>>(
    `SELECT count(*) AS n FROM (SELECT 1 FROM message_search s WHERE ${where.join(' AND ')} ORDER BY s.at DESC LIMIT ${win}) w`, ...params)
  return Number(rows[0]?.n ?? 0) >= win
}

/** The messages as the timeline shows them (from their own tables), with their conversation's state. */
async function hydrate (prisma: Db, rows: Row[]): Promise<SearchHit[]> {
  if (rows.length === 0) return []
  const inIds = rows.filter((r) => r.direction === 'in').map((r) => r.message_id)
  const outIds = rows.filter((r) => r.direction === 'out').map((r) => r.message_id)
  const [inbound, outbound, convs] = await Promise.all([
    inIds.length === 0 ? [] : prisma.customerMessage.findMany({ where: { id: { in: inIds }, deleteTime: null } }),
    outIds.length === 0 ? [] : prisma.outboundMessage.findMany({ where: { id: { in: outIds } } }),
    prisma.$queryRawUnsafe<Array<{ app_id: string, openid: string, status: string | null, assignee: string | null, tags: string[] | null, display_name: string | null }>>(
      `SELECT c.app_id, c.openid, c.status, c.assignee, c.tags, c.display_name FROM conversation c
       JOIN unnest($1::text[], $2::text[]) AS k(a, o) ON c.app_id = k.a AND c.openid = k.o`,
      rows.map((r) => r.app_id), rows.map((r) => r.openid))
  ])
  const items = new Map<string, TimelineItem>([...inbound.map(inboundItem), ...outbound.map(outboundItem)].map((i) => [i.key, i]))
  const byConv = new Map(convs.map((c) => [`${c.app_id}\u0000${c.openid}`, { status: c.status, assignee: c.assignee, tags: c.tags ?? [], displayName: c.display_name }]))
  return rows.flatMap((r) => {
    const item = items.get(`${r.direction}-${r.message_id}`)
    if (item === undefined) return []
    return [{ item, conversation: byConv.get(`${r.app_id}\u0000${r.openid}`) ?? { status: null, assignee: null, tags: [] } }]
  })
}

/** Ids are PostgreSQL bigints. */
export const MAX_ID = 2n ** 63n - 1n

/** A conversation's timeline around one message: `each` items before it, the message, `each` after (oldest first). */
export async function around (prisma: PrismaClient, appId: string, openid: string, key: string, each: number, timeoutMs = SEARCH_TIMEOUT_MS): Promise<TimelineItem[] | null> {
  const m = /^(in|out)-([0-9]{1,19})$/.exec(key)
  if (m === null || BigInt(m[2]!) > MAX_ID) return null
  const [, direction, id] = m as unknown as [string, 'in' | 'out', string]
  return await withDeadline(prisma, timeoutMs, TOO_SLOW(timeoutMs), async (db) => await aroundIn(db, appId, openid, direction, id, each))
}

async function aroundIn (prisma: Db, appId: string, openid: string, direction: 'in' | 'out', id: string, each: number): Promise<TimelineItem[] | null> {
  const key = `${direction}-${id}`
  const target = direction === 'in'
    ? await prisma.customerMessage.findFirst({ where: { id: BigInt(id), appId, openid, deleteTime: null } }).then((r) => r === null ? null : inboundItem(r))
    : await prisma.outboundMessage.findFirst({ where: { id: BigInt(id), appId, openid } }).then((r) => r === null ? null : outboundItem(r))
  if (target === null) return null
  const sec = BigInt(Math.floor(target.at / 1000))
  const at = new Date(target.at)
  const [inOld, inNew, outOld, outNew] = await Promise.all([
    prisma.customerMessage.findMany({ where: { appId, openid, deleteTime: null, wechatCreateTime: { lte: sec } }, orderBy: [{ wechatCreateTime: 'desc' }, { id: 'desc' }], take: each + 1 }),
    prisma.customerMessage.findMany({ where: { appId, openid, deleteTime: null, wechatCreateTime: { gte: sec } }, orderBy: [{ wechatCreateTime: 'asc' }, { id: 'asc' }], take: each + 1 }),
    prisma.outboundMessage.findMany({ where: { appId, openid, createdAt: { lte: at } }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: each + 1 }),
    prisma.outboundMessage.findMany({ where: { appId, openid, createdAt: { gte: at } }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], take: each + 1 })
  ])
  const all = new Map<string, TimelineItem>()
  for (const item of [...inOld.map(inboundItem), ...inNew.map(inboundItem), ...outOld.map(outboundItem), ...outNew.map(outboundItem)]) all.set(item.key, item)
  const sorted = [...all.values()].sort((a, b) => a.at - b.at || (a.key < b.key ? -1 : 1))
  const i = sorted.findIndex((item) => item.key === key)
  return sorted.slice(Math.max(0, i - each), i + each + 1)
}
