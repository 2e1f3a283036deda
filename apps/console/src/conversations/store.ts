import type { Conversation, CustomerMessage as InboundRow, Prisma, PrismaClient } from '@kefu/db'
import { activityItem, inboundItem, outboundItem, type TimelineItem } from '../common/messages.js'
import { replyWindow, MESSAGE_WINDOW_MS, type ReplyWindow } from './reply-window.js'
import type { OutboundBody } from '../common/sender.js'

export type ConversationStatus = 'open' | 'pending' | 'resolved'

/** Who answers a conversation and where it stands: what the list and live updates carry besides messages. */
export interface ConversationState {
  appId: string
  openid: string
  status: ConversationStatus
  /** Out of the open and pending views until then (ms), or null. A past time counts as not snoozed. */
  snoozedUntil: number | null
  /** The agent answering it, or null: unassigned. */
  assignee: string | null
  tags: string[]
  /** The name agents gave the customer, or null: shown instead of the openid. */
  displayName: string | null
  unreadCount: number
  /** When the row last changed (ms): of two states of one conversation, the later one wins. */
  updatedAt: number
}

export interface ConversationSummary extends ConversationState {
  lastMessageAt: number
  last: TimelineItem | null
  window: ReplyWindow
}

export interface ConversationCursor { at: number, appId: string, openid: string }

/** mine: assigned to me; unassigned; all. */
export type ConversationView = 'mine' | 'unassigned' | 'all'
/** open and pending leave snoozed conversations out; snoozed: only those. */
export type StatusFilter = ConversationStatus | 'snoozed' | 'all'

export interface ConversationFilter {
  view?: ConversationView
  /** The agent asking (for `mine`). */
  username?: string
  status?: StatusFilter
  tag?: string
}

/** Items of one instant: by table, then by id as a number (act-10 after act-9). */
function newerFirst (a: TimelineItem, b: TimelineItem): number {
  const [ta, tb] = [a.key.slice(0, a.key.indexOf('-')), b.key.slice(0, b.key.indexOf('-'))]
  if (ta !== tb) return ta < tb ? 1 : -1
  return BigInt(a.id) < BigInt(b.id) ? 1 : -1
}

export function conversationState (row: Conversation): ConversationState {
  return {
    appId: row.appId,
    openid: row.openid,
    status: row.status as ConversationStatus,
    snoozedUntil: row.snoozedUntil?.getTime() ?? null,
    assignee: row.assignee,
    tags: row.tags ?? [],
    displayName: row.displayName,
    unreadCount: row.unreadCount,
    updatedAt: row.updatedAt.getTime()
  }
}

/**
 * The console's reads and writes, each one query or a few, all scoped to the apps an agent may see. A customer
 * message with `delete_time` is read nowhere: it is gone for agents from the moment it is marked, as it will be once
 * the retention job purges its row (history/retention.ts), so no view changes when the purge runs.
 */
/** How long before the message a live view resumes from it looks again for messages that became visible late. */
export const LATE_MARGIN_MS = 5000

export class ConsoleStore {
  readonly #prisma: PrismaClient
  readonly #now: () => number

  constructor (prisma: PrismaClient, now: () => number) {
    this.#prisma = prisma
    this.#now = now
  }

  async agentApps (username: string): Promise<string[]> {
    const rows = await this.#prisma.agentApp.findMany({ where: { username }, select: { appId: true }, orderBy: { appId: 'asc' } })
    return rows.map((r) => r.appId)
  }

  /** The mini programs of each of these agents, in one query (agents with none are absent). */
  async agentAppsOf (usernames: string[]): Promise<Map<string, string[]>> {
    const rows = await this.#prisma.agentApp.findMany({ where: { username: { in: usernames } }, select: { username: true, appId: true }, orderBy: { appId: 'asc' } })
    const apps = new Map<string, string[]>()
    for (const r of rows) apps.set(r.username, [...(apps.get(r.username) ?? []), r.appId])
    return apps
  }

  async assign (username: string, appIds: string[]): Promise<void> {
    await this.#prisma.agentApp.createMany({ data: appIds.map((appId) => ({ username, appId })), skipDuplicates: true })
  }

  #filterWhere (filter: ConversationFilter): Prisma.ConversationWhereInput {
    const now = new Date(this.#now())
    const notSnoozed: Prisma.ConversationWhereInput = { OR: [{ snoozedUntil: null }, { snoozedUntil: { lte: now } }] }
    const where: Prisma.ConversationWhereInput[] = []
    if (filter.view === 'mine') where.push({ assignee: filter.username ?? '' })
    if (filter.view === 'unassigned') where.push({ assignee: null })
    switch (filter.status ?? 'open') {
      case 'open': where.push({ status: 'open' }, notSnoozed); break
      case 'pending': where.push({ status: 'pending' }, notSnoozed); break
      case 'resolved': where.push({ status: 'resolved' }); break
      case 'snoozed': where.push({ snoozedUntil: { gt: now } }); break
      case 'all': break
    }
    if (filter.tag !== undefined) where.push({ tags: { has: filter.tag } })
    return { AND: where }
  }

  /** Newest activity first; `before` continues after the last item of the previous page. */
  async conversations (appIds: string[], limit: number, before?: ConversationCursor, filter: ConversationFilter = {}): Promise<ConversationSummary[]> {
    if (appIds.length === 0) return []
    const rows = await this.#prisma.conversation.findMany({
      where: {
        appId: { in: appIds },
        ...this.#filterWhere(filter),
        ...(before === undefined
          ? {}
          : {
              OR: [
                { lastMessageAt: { lt: new Date(before.at) } },
                { lastMessageAt: new Date(before.at), appId: { lt: before.appId } },
                { lastMessageAt: new Date(before.at), appId: before.appId, openid: { lt: before.openid } }
              ]
            })
      },
      orderBy: [{ lastMessageAt: 'desc' }, { appId: 'desc' }, { openid: 'desc' }],
      take: limit
    })
    if (rows.length === 0) return []
    const lastMessages = await this.#prisma.customerMessage.findMany({ where: { id: { in: rows.map((r) => r.lastMessageId) }, deleteTime: null } })
    const byId = new Map(lastMessages.map((m) => [m.id, m]))
    const replies = await this.#recentReplies(rows.map((r) => ({ appId: r.appId, openid: r.openid })))
    return rows.map((r) => this.#summary(r, byId.get(r.lastMessageId) ?? null, replies))
  }

  async conversation (appId: string, openid: string): Promise<ConversationSummary | null> {
    const row = await this.#prisma.conversation.findUnique({ where: { appId_openid: { appId, openid } } })
    if (row === null) return null
    const last = await this.#prisma.customerMessage.findFirst({ where: { id: row.lastMessageId, deleteTime: null } })
    return this.#summary(row, last, await this.#recentReplies([{ appId, openid }]))
  }

  /** The states of these conversations (what a live update of their messages carries). */
  async states (keys: Array<{ appId: string, openid: string }>): Promise<ConversationState[]> {
    if (keys.length === 0) return []
    const rows = await this.#prisma.conversation.findMany({ where: { OR: keys.map((k) => ({ appId: k.appId, openid: k.openid })) } })
    return rows.map(conversationState)
  }

  /** Open conversations (not snoozed) of these apps that are mine and unassigned, and the unread messages in them. */
  async counts (appIds: string[], username: string): Promise<{ mine: number, unassigned: number, unread: number }> {
    if (appIds.length === 0) return { mine: 0, unassigned: 0, unread: 0 }
    const [row] = await this.#prisma.$queryRaw<Array<{ mine: bigint, unassigned: bigint, unread: bigint }>>`
      SELECT count(*) FILTER (WHERE assignee = ${username}) AS mine,
        count(*) FILTER (WHERE assignee IS NULL) AS unassigned,
        coalesce(sum(unread_count) FILTER (WHERE assignee = ${username} OR assignee IS NULL), 0)::bigint AS unread
      FROM conversation
      WHERE app_id = ANY(${appIds}::text[]) AND status = 'open' AND (snoozed_until IS NULL OR snoozed_until <= ${new Date(this.#now())})`
    return { mine: Number(row?.mine ?? 0), unassigned: Number(row?.unassigned ?? 0), unread: Number(row?.unread ?? 0) }
  }

  /** The tags in use on these apps' conversations, most used first. */
  async tags (appIds: string[], limit: number): Promise<Array<{ tag: string, count: number }>> {
    if (appIds.length === 0) return []
    const rows = await this.#prisma.$queryRaw<Array<{ tag: string, count: bigint }>>`
      SELECT t AS tag, count(*) AS count FROM conversation, unnest(tags) AS t
      WHERE app_id = ANY(${appIds}::text[]) GROUP BY t ORDER BY count(*) DESC, t LIMIT ${limit}`
    return rows.map((r) => ({ tag: r.tag, count: Number(r.count) }))
  }

  #summary (row: Conversation, last: InboundRow | null, replies: Map<string, number[]>): ConversationSummary {
    return {
      ...conversationState(row),
      lastMessageAt: row.lastMessageAt.getTime(),
      last: last === null ? null : inboundItem(last),
      window: replyWindow({
        now: this.#now(),
        lastInboundAt: row.lastInboundAt?.getTime() ?? null,
        lastEnterAt: row.lastEnterAt?.getTime() ?? null,
        replies: replies.get(`${row.appId}\u0000${row.openid}`) ?? []
      })
    }
  }

  /**
   * Replies of the last 48 hours per conversation (what the windows count), sending and sent alike. Subscribe messages
   * are not replies: they spend the customer's acceptances, not the window.
   */
  async #recentReplies (keys: Array<{ appId: string, openid: string }>): Promise<Map<string, number[]>> {
    const since = new Date(this.#now() - MESSAGE_WINDOW_MS)
    const rows = await this.#prisma.outboundMessage.findMany({
      where: { OR: keys.map((k) => ({ appId: k.appId, openid: k.openid })), createdAt: { gte: since }, status: { in: ['sending', 'sent'] }, msgType: { not: 'subscribe' } },
      select: { appId: true, openid: true, createdAt: true }
    })
    const map = new Map<string, number[]>()
    for (const r of rows) {
      const key = `${r.appId}\u0000${r.openid}`
      const list = map.get(key) ?? []
      list.push(r.createdAt.getTime())
      map.set(key, list)
    }
    return map
  }

  /** The newest `limit` items of a conversation before `before` (ms), inbound, outbound and internal merged, oldest first. */
  async timeline (appId: string, openid: string, limit: number, before?: number): Promise<TimelineItem[]> {
    const inbound = await this.#prisma.customerMessage.findMany({
      where: { appId, openid, deleteTime: null, ...(before === undefined ? {} : { wechatCreateTime: { lt: BigInt(Math.ceil(before / 1000)) } }) },
      orderBy: [{ wechatCreateTime: 'desc' }, { id: 'desc' }],
      take: limit
    })
    const outbound = await this.#prisma.outboundMessage.findMany({
      where: { appId, openid, ...(before === undefined ? {} : { createdAt: { lt: new Date(before) } }) },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit
    })
    const activities = await this.#prisma.conversationActivity.findMany({
      where: { appId, openid, ...(before === undefined ? {} : { createdAt: { lt: new Date(before) } }) },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit
    })
    const items = [...inbound.map(inboundItem), ...outbound.map(outboundItem), ...activities.map(activityItem)]
    items.sort((a, b) => b.at - a.at || newerFirst(a, b))
    return items.slice(0, limit).reverse()
  }

  /** Inbound messages by id, limited to the given apps (what a live update may show this agent). */
  async inboundByIds (ids: string[], appIds: string[]): Promise<TimelineItem[]> {
    if (ids.length === 0 || appIds.length === 0) return []
    const rows = await this.#prisma.customerMessage.findMany({ where: { id: { in: ids.map(BigInt) }, appId: { in: appIds }, deleteTime: null }, orderBy: { id: 'asc' } })
    return rows.map(inboundItem)
  }

  /**
   * A reconnecting live view's second look behind `afterId` (the last message it had): the messages with a smaller id
   * stored up to LATE_MARGIN_MS before that one, at most `limit`. Ids are drawn before commit, so with several ingest
   * instances (or group commits side by side) a message can become visible after one with a greater id that the view
   * already had; a console that died before announcing it would otherwise leave it off the screen. The page keeps
   * one of each.
   */
  async inboundLateBefore (afterId: string, appIds: string[], limit: number): Promise<TimelineItem[]> {
    if (appIds.length === 0) return []
    const anchor = await this.#prisma.customerMessage.findFirst({ where: { id: BigInt(afterId) }, select: { createTime: true } })
    if (anchor === null) return []
    const rows = await this.#prisma.customerMessage.findMany({
      where: { id: { lt: BigInt(afterId) }, createTime: { gte: new Date(anchor.createTime.getTime() - LATE_MARGIN_MS) }, appId: { in: appIds }, deleteTime: null },
      orderBy: { id: 'desc' },
      take: limit
    })
    return rows.reverse().map(inboundItem)
  }

  /** What an agent missed since `afterId` (a reconnecting live view), at most `limit`. */
  async inboundAfter (afterId: string, appIds: string[], limit: number): Promise<TimelineItem[]> {
    if (appIds.length === 0) return []
    const rows = await this.#prisma.customerMessage.findMany({ where: { id: { gt: BigInt(afterId) }, appId: { in: appIds }, deleteTime: null }, orderBy: { id: 'asc' }, take: limit })
    return rows.map(inboundItem)
  }

  /** What customer messages among `list` did to their conversations (reopened, unassigned), by conversation. */
  async activitiesOfMessages (list: Array<{ id: string, appId: string, openid: string }>): Promise<Map<string, TimelineItem[]>> {
    const found = new Map<string, TimelineItem[]>()
    if (list.length === 0) return found
    const keys = [...new Map(list.map((a) => [`${a.appId}\u0000${a.openid}`, { appId: a.appId, openid: a.openid }])).values()]
    const rows = await this.#prisma.conversationActivity.findMany({
      where: { OR: keys, cause: 'customer', messageId: { in: list.map((a) => BigInt(a.id)) } },
      orderBy: { id: 'asc' }
    })
    for (const row of rows) {
      const key = `${row.appId}\u0000${row.openid}`
      found.set(key, [...(found.get(key) ?? []), activityItem(row)])
    }
    return found
  }

  async latestInboundId (): Promise<string> {
    const row = await this.#prisma.customerMessage.findFirst({ orderBy: { id: 'desc' }, select: { id: true } })
    return (row?.id ?? 0n).toString()
  }

  async markRead (appId: string, openid: string): Promise<void> {
    await this.#prisma.conversation.updateMany({ where: { appId, openid }, data: { unreadCount: 0 } })
  }

  async createOutbound (data: { appId: string, openid: string, msgType: string, content: string, agent: string }): Promise<TimelineItem & { rowId: bigint }> {
    const row = await this.#prisma.outboundMessage.create({ data: { ...data, status: 'sending' } })
    await this.#prisma.conversation.updateMany({
      where: { appId: data.appId, openid: data.openid },
      data: { lastMessageAt: row.createdAt }
    })
    return { ...outboundItem(row), rowId: row.id }
  }

  async finishOutbound (id: bigint, result: { ok: true } | { ok: false, errcode: number, errmsg: string }): Promise<TimelineItem> {
    const row = await this.#prisma.outboundMessage.update({
      where: { id },
      data: result.ok ? { status: 'sent', sentAt: new Date(this.#now()) } : { status: 'failed', errcode: result.errcode, errmsg: result.errmsg }
    })
    return outboundItem(row)
  }

  /**
   * A reply of this conversation to send again: its status, the body WeChat was sent, and whether a later reply of
   * the same body was already attempted (sending or sent) after it.
   */
  async failedReply (appId: string, openid: string, id: string): Promise<{ status: string, body: OutboundBody, retried: boolean } | null> {
    const row = await this.#prisma.outboundMessage.findFirst({ where: { id: BigInt(id), appId, openid } })
    if (row === null || row.msgType === 'subscribe') return null
    const later = await this.#prisma.outboundMessage.count({ where: { appId, openid, id: { gt: row.id }, content: row.content, status: { in: ['sending', 'sent'] } } })
    return { status: row.status, body: JSON.parse(row.content) as OutboundBody, retried: later > 0 }
  }

  async outboundById (id: string, appIds: string[]): Promise<TimelineItem | null> {
    const row = await this.#prisma.outboundMessage.findFirst({ where: { id: BigInt(id), appId: { in: appIds } } })
    return row === null ? null : outboundItem(row)
  }
}
