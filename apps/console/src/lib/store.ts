import type { Conversation, CustomerMessage as InboundRow, PrismaClient } from '@kefu/db'
import { inboundItem, outboundItem, type TimelineItem } from './messages.js'
import { replyWindow, MESSAGE_WINDOW_MS, type ReplyWindow } from './reply-window.js'

export interface ConversationSummary {
  appId: string
  openid: string
  lastMessageAt: number
  unreadCount: number
  last: TimelineItem | null
  window: ReplyWindow
}

export interface ConversationCursor { at: number, appId: string, openid: string }

/** The console's reads and writes, each one query or a few, all scoped to the apps an agent may see. */
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

  async assign (username: string, appIds: string[]): Promise<void> {
    await this.#prisma.agentApp.createMany({ data: appIds.map((appId) => ({ username, appId })), skipDuplicates: true })
  }

  /** Newest activity first; `before` continues after the last item of the previous page. */
  async conversations (appIds: string[], limit: number, before?: ConversationCursor): Promise<ConversationSummary[]> {
    if (appIds.length === 0) return []
    const rows = await this.#prisma.conversation.findMany({
      where: {
        appId: { in: appIds },
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
    const lastMessages = await this.#prisma.customerMessage.findMany({ where: { id: { in: rows.map((r) => r.lastMessageId) } } })
    const byId = new Map(lastMessages.map((m) => [m.id, m]))
    const replies = await this.#recentReplies(rows.map((r) => ({ appId: r.appId, openid: r.openid })))
    return rows.map((r) => this.#summary(r, byId.get(r.lastMessageId) ?? null, replies))
  }

  async conversation (appId: string, openid: string): Promise<ConversationSummary | null> {
    const row = await this.#prisma.conversation.findUnique({ where: { appId_openid: { appId, openid } } })
    if (row === null) return null
    const last = await this.#prisma.customerMessage.findUnique({ where: { id: row.lastMessageId } })
    return this.#summary(row, last, await this.#recentReplies([{ appId, openid }]))
  }

  #summary (row: Conversation, last: InboundRow | null, replies: Map<string, number[]>): ConversationSummary {
    return {
      appId: row.appId,
      openid: row.openid,
      lastMessageAt: row.lastMessageAt.getTime(),
      unreadCount: row.unreadCount,
      last: last === null ? null : inboundItem(last),
      window: replyWindow({
        now: this.#now(),
        lastInboundAt: row.lastInboundAt?.getTime() ?? null,
        lastEnterAt: row.lastEnterAt?.getTime() ?? null,
        replies: replies.get(`${row.appId}\u0000${row.openid}`) ?? []
      })
    }
  }

  /** Replies of the last 48 hours per conversation (what the windows count), sending and sent alike. */
  async #recentReplies (keys: Array<{ appId: string, openid: string }>): Promise<Map<string, number[]>> {
    const since = new Date(this.#now() - MESSAGE_WINDOW_MS)
    const rows = await this.#prisma.outboundMessage.findMany({
      where: { OR: keys.map((k) => ({ appId: k.appId, openid: k.openid })), createdAt: { gte: since }, status: { in: ['sending', 'sent'] } },
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

  /** The newest `limit` items of a conversation before `before` (ms), inbound and outbound merged, oldest first. */
  async timeline (appId: string, openid: string, limit: number, before?: number): Promise<TimelineItem[]> {
    const inbound = await this.#prisma.customerMessage.findMany({
      where: { appId, openid, ...(before === undefined ? {} : { wechatCreateTime: { lt: BigInt(Math.ceil(before / 1000)) } }) },
      orderBy: [{ wechatCreateTime: 'desc' }, { id: 'desc' }],
      take: limit
    })
    const outbound = await this.#prisma.outboundMessage.findMany({
      where: { appId, openid, ...(before === undefined ? {} : { createdAt: { lt: new Date(before) } }) },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit
    })
    const items = [...inbound.map(inboundItem), ...outbound.map(outboundItem)]
    items.sort((a, b) => b.at - a.at || (a.key < b.key ? 1 : -1))
    return items.slice(0, limit).reverse()
  }

  /** Inbound messages by id, limited to the given apps (what a live update may show this agent). */
  async inboundByIds (ids: string[], appIds: string[]): Promise<TimelineItem[]> {
    if (ids.length === 0 || appIds.length === 0) return []
    const rows = await this.#prisma.customerMessage.findMany({ where: { id: { in: ids.map(BigInt) }, appId: { in: appIds } }, orderBy: { id: 'asc' } })
    return rows.map(inboundItem)
  }

  /** What an agent missed since `afterId` (a reconnecting live view), at most `limit`. */
  async inboundAfter (afterId: string, appIds: string[], limit: number): Promise<TimelineItem[]> {
    if (appIds.length === 0) return []
    const rows = await this.#prisma.customerMessage.findMany({ where: { id: { gt: BigInt(afterId) }, appId: { in: appIds } }, orderBy: { id: 'asc' }, take: limit })
    return rows.map(inboundItem)
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

  async outboundById (id: string, appIds: string[]): Promise<TimelineItem | null> {
    const row = await this.#prisma.outboundMessage.findFirst({ where: { id: BigInt(id), appId: { in: appIds } } })
    return row === null ? null : outboundItem(row)
  }
}
