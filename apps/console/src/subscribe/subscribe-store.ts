import { Prisma, type PrismaClient } from '@kefu/db'
import type { SubscribeMessageBody } from '@kefu/wechat-api'
import { outboundItem, type TimelineItem } from '../common/messages.js'

/** What kefu knows of a customer's subscription to one template (subscribe_quota). */
export interface Subscription {
  /** One-time sends left. */
  remaining: number
  /** Their newest decision is accept (what a long-term template needs). */
  subscribed: boolean
}

/** A send taken from a customer's quota and recorded as `sending`, until WeChat answers. */
export interface TakenSend {
  rowId: bigint
  item: TimelineItem
  appId: string
  openid: string
  templateId: string
  longTerm: boolean
  /** The quota row's rejects and version right after the send was taken (see SubscribeQuota in schema.prisma). */
  rejects: number
  version: number
}

/** What WeChat's refusal means for the send that was taken. */
export type RefusalEffect =
  /** WeChat answered and sent nothing (47003, 40037, …), or was never reached: the send goes back to the customer. */
  | 'give-back'
  /** 43101: WeChat says the customer has no subscription left; kefu's count was ahead of it. */
  | 'none-left'
  /** No answer (a timeout): it may have been sent, so the send stays used. */
  | 'keep'

/** Subscribe messages in the database: the customers' quotas and the messages agents send (outbound_message, msgtype subscribe). */
export class SubscribeStore {
  readonly #prisma: PrismaClient

  constructor (prisma: PrismaClient) {
    this.#prisma = prisma
  }

  /** Every template the customer has a quota row for. */
  async subscriptions (appId: string, openid: string): Promise<Map<string, Subscription>> {
    const rows = await this.#prisma.subscribeQuota.findMany({ where: { appId, openid }, select: { templateId: true, remaining: true, subscribed: true } })
    return new Map(rows.map((r) => [r.templateId, { remaining: r.remaining, subscribed: r.subscribed }]))
  }

  async subscription (appId: string, openid: string, templateId: string): Promise<Subscription> {
    return (await this.subscriptions(appId, openid)).get(templateId) ?? { remaining: 0, subscribed: false }
  }

  /**
   * Takes one send of `templateId` from the customer (none from a long-term subscription, which needs only to be on)
   * and records the message as `sending`, in one transaction; null, with nothing written, when they have none.
   * Taken before WeChat is called, so two agents cannot spend one acceptance twice.
   */
  async take (input: { appId: string, openid: string, templateId: string, longTerm: boolean, body: SubscribeMessageBody, agent: string }): Promise<TakenSend | null> {
    const { appId, openid, templateId, longTerm } = input
    return await this.#prisma.$transaction(async (tx) => {
      // The conversation first, as ingest's insert statement locks it before the quota its trigger moves: one lock
      // order, so a send and an accept for one customer never deadlock.
      const conversation = await tx.$queryRaw<unknown[]>`SELECT 1 FROM conversation WHERE app_id = ${appId} AND openid = ${openid} FOR UPDATE`
      if (conversation.length === 0) return null
      const used = longTerm ? 0 : 1
      const [quota] = await tx.$queryRaw<Array<{ rejects: number, version: number }>>`
        UPDATE subscribe_quota SET remaining = remaining - ${used}, version = version + ${used}, updated_at = now()
        WHERE app_id = ${appId} AND openid = ${openid} AND template_id = ${templateId}
          AND ${longTerm ? Prisma.sql`subscribed` : Prisma.sql`remaining > 0`}
        RETURNING rejects, version`
      if (quota === undefined) return null
      const row = await tx.outboundMessage.create({
        data: { appId, openid, msgType: 'subscribe', content: JSON.stringify({ msgtype: 'subscribe', subscribe: input.body }), agent: input.agent, status: 'sending' }
      })
      await tx.conversation.updateMany({ where: { appId, openid }, data: { lastMessageAt: row.createdAt } })
      return { rowId: row.id, item: outboundItem(row), appId, openid, templateId, longTerm, rejects: quota.rejects, version: quota.version }
    })
  }

  /** WeChat took it: `sent`, with the MsgID its delivery result will quote. */
  async sent (taken: TakenSend, msgId: string | null, at: Date): Promise<TimelineItem> {
    const row = await this.#prisma.outboundMessage.findUniqueOrThrow({ where: { id: taken.rowId } })
    const content = JSON.parse(row.content) as Record<string, unknown>
    const updated = await this.#prisma.outboundMessage.update({
      where: { id: taken.rowId },
      data: { status: 'sent', sentAt: at, ...(msgId === null ? {} : { content: JSON.stringify({ ...content, msgid: msgId }) }) }
    })
    return outboundItem(updated)
  }

  /**
   * WeChat did not take it: `failed` with its errcode and explanation, and the quota as the refusal says, in one
   * transaction and only once (a row no longer `sending` changes nothing). A send goes back only if the customer has
   * not rejected the template since it was taken; 43101 empties the count only if nothing changed since.
   */
  async failed (taken: TakenSend, failure: { errcode: number, errmsg: string }, effect: RefusalEffect): Promise<TimelineItem> {
    const { appId, openid, templateId } = taken
    return await this.#prisma.$transaction(async (tx) => {
      const marked = await tx.outboundMessage.updateMany({ where: { id: taken.rowId, status: 'sending' }, data: { status: 'failed', errcode: failure.errcode, errmsg: failure.errmsg } })
      if (marked.count === 1 && effect === 'give-back' && !taken.longTerm) {
        await tx.$executeRaw`UPDATE subscribe_quota SET remaining = remaining + 1, version = version + 1, updated_at = now()
          WHERE app_id = ${appId} AND openid = ${openid} AND template_id = ${templateId} AND rejects = ${taken.rejects}`
      }
      if (marked.count === 1 && effect === 'none-left') {
        await tx.$executeRaw`UPDATE subscribe_quota SET remaining = 0, subscribed = false, rejects = rejects + 1, version = version + 1, updated_at = now()
          WHERE app_id = ${appId} AND openid = ${openid} AND template_id = ${templateId} AND version = ${taken.version}`
      }
      return outboundItem(await tx.outboundMessage.findUniqueOrThrow({ where: { id: taken.rowId } }))
    })
  }
}
