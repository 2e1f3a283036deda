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

/**
 * Message search over message_search, newest first. Text is matched through the bigram index and rechecked as
 * substrings. Two phases keep both kinds of terms fast: a common term (退款) is found among the newest
 * RECENT_WINDOW candidates in time order, without reading its thousands of older matches; a rare one (an order
 * number) is not, and is then looked up through the GIN index, which returns few rows. No search holds its
 * connection longer than `timeoutMs` (see `withDeadline`).
 */
export async function search (prisma: PrismaClient, f: SearchFilters): Promise<{ hits: SearchHit[], next: SearchCursor | null, phase: 'recent' | 'index' | 'scan' | 'narrowed' }> {
  const ms = f.timeoutMs ?? SEARCH_TIMEOUT_MS
  return await withDeadline(prisma, ms, TOO_SLOW(ms), async (db) => await searchIn(db, f))
}

async function searchIn (prisma: Db, f: SearchFilters): Promise<{ hits: SearchHit[], next: SearchCursor | null, phase: 'recent' | 'index' | 'scan' | 'narrowed' }> {
  const query = f.text === undefined || f.text.trim() === '' ? null : compileQuery(f.text)
  if (f.text !== undefined && f.text.trim() !== '' && query === null) throw new SearchError('the search text needs at least one letter, digit or character')
  const params: unknown[] = []
  const p = (value: unknown): string => { params.push(value); return `$${params.length}` }
  const where: string[] = [`s.app_id = ANY(${p(f.apps)}::text[])`]
  if (f.openid !== undefined) where.push(`s.openid = ${p(f.openid)}`)
  if (f.direction !== undefined) where.push(`s.direction = ${p(f.direction)}`)
  if (f.from !== undefined) where.push(`s.at >= ${p(new Date(f.from))}`)
  if (f.to !== undefined) where.push(`s.at < ${p(new Date(f.to))}`)
  if (f.after !== undefined) where.push(`(s.at, s.direction, s.message_id) < (${p(new Date(f.after.at))}, ${p(f.after.direction)}, ${p(f.after.id)}::bigint)`)
  const conv: string[] = []
  if (f.tag !== undefined) conv.push(`c.tags @> ARRAY[${p(f.tag)}]::text[]`)
  if (f.status !== undefined) conv.push(`c.status = ${p(f.status)}`)
  if (f.assignee !== undefined) conv.push(f.assignee === '' ? 'c.assignee IS NULL' : `c.assignee = ${p(f.assignee)}`)
  // A semi-join: the matching conversations are few and hashed once, rather than looked up for every message.
  if (conv.length > 0) where.push(`(s.app_id, s.openid) IN (SELECT c.app_id, c.openid FROM conversation c WHERE c.app_id = ANY($1::text[]) AND ${conv.join(' AND ')})`)
  const whereParams = [...params]
  const match = [...(query === null ? [] : textMatch(query, p)), VISIBLE]
  const take = f.limit + 1
  const win = f.recentWindow ?? RECENT_WINDOW
  const order = 'ORDER BY s.at DESC, s.direction DESC, s.message_id DESC'
  const cols = 's.direction, s.message_id, s.app_id, s.openid, s.at'

  let rows: Row[]
  let phase: 'recent' | 'index' | 'scan' | 'narrowed'
  const few = query !== null && conv.length > 0 && f.openid === undefined ? await fewConversations(prisma, f) : null
  if (query !== null && f.openid !== undefined) {
    // One customer: their messages are few, read through the conversation index.
    phase = 'narrowed'
    rows = await prisma.$queryRawUnsafe<Row[]>(`SELECT ${cols} FROM message_search s WHERE ${[...where, ...match].join(' AND ')} ${order} LIMIT ${take}`, ...params)
  } else if (few !== null) {
    // A tag, status or assignee that few conversations have: each one's newest matches, through the conversation index.
    phase = 'narrowed'
    const k = params.length
    rows = await prisma.$queryRawUnsafe<Row[]>(
      `SELECT m.* FROM unnest($${k + 1}::text[], $${k + 2}::text[]) AS k(a, o) CROSS JOIN LATERAL (
         SELECT ${cols} FROM message_search s WHERE s.app_id = k.a AND s.openid = k.o AND ${[...where, ...match].join(' AND ')} ${order} LIMIT ${take}) m
       ORDER BY m.at DESC, m.direction DESC, m.message_id DESC LIMIT ${take}`, ...params, few.map((c) => c.app_id), few.map((c) => c.openid))
  } else if (query === null) {
    phase = 'scan'
    rows = await prisma.$queryRawUnsafe<Row[]>(`SELECT ${cols} FROM message_search s WHERE ${[...where, VISIBLE].join(' AND ')} ${order} LIMIT ${take}`, ...whereParams)
  } else {
    phase = 'recent'
    // Pipelined: the outer LIMIT stops the time-ordered scan as soon as enough rows matched; the inner LIMIT bounds
    // how far it goes for a term that is rare.
    rows = await prisma.$queryRawUnsafe<Row[]>(
      `SELECT ${cols} FROM (SELECT s.* FROM message_search s WHERE ${where.join(' AND ')} ${order} LIMIT ${win}) s
       WHERE ${match.join(' AND ')} ${order} LIMIT ${take}`, ...params)
    const windowFull = rows.length < take && await windowIsFull(prisma, where, whereParams, win)
    if (windowFull) {
      phase = 'index'
      // `at + 0` keeps the planner off the time index: the GIN index finds the few matches, which are then sorted.
      rows = await prisma.$queryRawUnsafe<Row[]>(
        `SELECT ${cols} FROM message_search s WHERE ${[...where, ...match].join(' AND ')}
         ORDER BY s.at + interval '0' DESC, s.direction DESC, s.message_id DESC LIMIT ${take}`, ...params)
    }
  }
  const page = rows.slice(0, f.limit)
  const last = page.at(-1)
  return {
    hits: await hydrate(prisma, page),
    next: rows.length > f.limit && last !== undefined ? { at: last.at.getTime(), direction: last.direction, id: last.message_id.toString() } : null,
    phase
  }
}

/**
 * Not a customer message marked deleted (delete_time: gone for agents at once, its search row purged later). A scalar
 * subquery, which PostgreSQL runs per row and last (after the cheaper conditions), so only the rows that otherwise
 * match are looked up by primary key; a NOT EXISTS would be pulled up into an anti-join over every deleted row.
 * customer_message is partitioned by month on wechat_create_time, which an inbound search row's `at` is (to the
 * second): naming it lets each lookup read one month's index instead of every month's (0.005 against 0.08 ms a row
 * with 28 partitions, EXPLAIN ANALYZE on PostgreSQL 15 here).
 */
const VISIBLE = "(s.direction = 'out' OR (SELECT m.delete_time FROM customer_message m WHERE m.id = s.message_id AND m.wechat_create_time = floor(extract(epoch FROM s.at))::bigint) IS NULL)"

/** The conversations the conversation filters select, when they are at most FEW_CONVERSATIONS; null when more. */
export const FEW_CONVERSATIONS = 200
async function fewConversations (prisma: Db, f: SearchFilters): Promise<Array<{ app_id: string, openid: string }> | null> {
  const params: unknown[] = [f.apps]
  const cond = ['c.app_id = ANY($1::text[])']
  if (f.tag !== undefined) { params.push(f.tag); cond.push(`c.tags @> ARRAY[$${params.length}]::text[]`) }
  if (f.status !== undefined) { params.push(f.status); cond.push(`c.status = $${params.length}`) }
  if (f.assignee !== undefined) {
    if (f.assignee === '') cond.push('c.assignee IS NULL')
    else { params.push(f.assignee); cond.push(`c.assignee = $${params.length}`) }
  }
  const rows = await prisma.$queryRawUnsafe<Array<{ app_id: string, openid: string }>>(
    `SELECT c.app_id, c.openid FROM conversation c WHERE ${cond.join(' AND ')} LIMIT ${FEW_CONVERSATIONS + 1}`, ...params)
  return rows.length > FEW_CONVERSATIONS ? null : rows
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
