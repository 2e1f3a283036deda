import crypto from 'node:crypto'
import type { SubscribeChangeEvent, SubscribePopupEvent, SubscribeSentEvent } from '@kefu/wechat-crypto'

export type SubscribeMessage = SubscribePopupEvent | SubscribeChangeEvent | SubscribeSentEvent

/**
 * msg_info of a subscribe event: `{"event","list":[…]}` with one entry per List item, in the seed design's snake_case,
 * whatever shape WeChat sent (XML elements, a JSON array, a bare JSON object). The database reads `list` in the same
 * transaction that stores the push: the trigger of migration 20261210090000_subscribe_messages writes one
 * subscribe_event row per entry and moves subscribe_quota.
 */
export function subscribeInfo (message: SubscribeMessage): { event: string, list: Array<Record<string, string | number | null>> } {
  if (message.kind === 'subscribe_msg_sent_event') {
    return {
      event: message.event,
      list: message.deliveries.map((d) => ({ template_id: d.templateId, msg_id: d.msgId, error_code: d.errorCode, error_status: d.errorStatus }))
    }
  }
  return {
    event: message.event,
    list: message.decisions.map((d) => ({ template_id: d.templateId, status: d.status, popup_scene: d.popupScene }))
  }
}

/**
 * Two subscribe events of one customer can share a second (two popups, two deliveries), so their dedupe key adds
 * their content to WeChat's rule (sender, CreateTime, Event); a retry carries the same content and the same key.
 */
export function subscribeDedupeKey (message: SubscribeMessage): string {
  const digest = crypto.createHash('sha256').update(JSON.stringify(subscribeInfo(message).list)).digest('hex').slice(0, 32)
  return `e:${message.fromUserName}:${message.createTime}:${message.event}:${digest}`
}

export function isSubscribeMessage (message: { kind: string }): message is SubscribeMessage {
  return message.kind === 'subscribe_msg_popup_event' || message.kind === 'subscribe_msg_change_event' || message.kind === 'subscribe_msg_sent_event'
}
