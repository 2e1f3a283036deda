import type { PrismaClient } from '@kefu/db'
import { conversationState, type ConversationState } from '../conversations/index.js'

/** What the console knows of a customer of one mini program (one conversation per mini program and openid). */
export interface CustomerPanel {
  appId: string
  openid: string
  /** Their first stored message or event (ms). */
  firstContactAt: number | null
  /** Where they last entered the chat from: `session_from` of their newest user_enter_tempsession. */
  lastEntry: { sessionFrom: string | null, at: number } | null
  messages: { inbound: number, outbound: number }
  tags: string[]
  note: string | null
  /** The name agents gave the customer, or null. */
  displayName: string | null
}

export class CustomerStore {
  readonly #prisma: PrismaClient

  constructor (prisma: PrismaClient) {
    this.#prisma = prisma
  }

  async panel (appId: string, openid: string): Promise<CustomerPanel | null> {
    const conv = await this.#prisma.conversation.findUnique({ where: { appId_openid: { appId, openid } } })
    if (conv === null) return null
    // Each of these follows customer_message_conversation_idx (app_id, openid, wechat_create_time, id). A message with
    // delete_time is gone (see ConsoleStore): the panel reads the same before and after the purge removes it.
    const first = await this.#prisma.customerMessage.findFirst({ where: { appId, openid, deleteTime: null }, orderBy: [{ wechatCreateTime: 'asc' }, { id: 'asc' }], select: { wechatCreateTime: true } })
    const entry = conv.lastEnterAt === null
      ? null
      : await this.#prisma.customerMessage.findFirst({
        where: { appId, openid, deleteTime: null, wechatCreateTime: BigInt(Math.floor(conv.lastEnterAt.getTime() / 1000)), event: 'user_enter_tempsession' },
        orderBy: { id: 'desc' },
        select: { msgInfo: true }
      })
    // Messages the customer wrote: their events (entering the chat, subscribe decisions…) are not messages.
    const inbound = await this.#prisma.customerMessage.count({ where: { appId, openid, deleteTime: null, msgType: { not: 'event' } } })
    const outbound = await this.#prisma.outboundMessage.count({ where: { appId, openid } })
    let sessionFrom: string | null = null
    try {
      const info = JSON.parse(entry?.msgInfo ?? '{}') as { session_from?: unknown }
      if (typeof info.session_from === 'string' && info.session_from !== '') sessionFrom = info.session_from
    } catch {}
    return {
      appId,
      openid,
      firstContactAt: first === null ? null : Number(first.wechatCreateTime) * 1000,
      lastEntry: conv.lastEnterAt === null ? null : { sessionFrom, at: conv.lastEnterAt.getTime() },
      messages: { inbound, outbound },
      tags: conv.tags ?? [],
      note: conv.customerNote,
      displayName: conv.displayName
    }
  }

  /** Sets (or, with null, clears) the name agents give the customer; null when there is no such conversation. */
  async rename (appId: string, openid: string, displayName: string | null): Promise<ConversationState | null> {
    const rows = await this.#prisma.conversation.updateManyAndReturn({ where: { appId, openid }, data: { displayName } })
    return rows[0] === undefined ? null : conversationState(rows[0])
  }

  /** Sets the customer's tags and/or note; null when there is no such conversation. */
  async update (appId: string, openid: string, data: { tags?: string[], note?: string | null }): Promise<ConversationState | null> {
    const rows = await this.#prisma.conversation.updateManyAndReturn({
      where: { appId, openid },
      data: { ...(data.tags === undefined ? {} : { tags: data.tags }), ...(data.note === undefined ? {} : { customerNote: data.note }) }
    })
    return rows[0] === undefined ? null : conversationState(rows[0])
  }
}
