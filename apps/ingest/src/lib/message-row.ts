import crypto from 'node:crypto'
import type { CustomerMessage, PushFormat } from '@kefu/wechat-crypto'
import { isSubscribeMessage, subscribeDedupeKey, subscribeInfo } from './subscribe-row.js'

/** One customer_message row, as the writer inserts it (64-bit values as decimal strings). */
export interface MessageRow {
  appId: string
  dedupeKey: string
  signature: string
  timestamp: string
  nonce: string
  openid: string
  encryptType: string | null
  msgSignature: string | null
  toUsername: string
  fromUsername: string
  msgType: string
  event: string | null
  msgInfo: string
  msgId: string | null
  encrypt: string | null
  payload: string
  format: PushFormat
  wechatCreateTime: string
}

export interface PushMeta {
  appId: string
  signature: string
  timestamp: string
  nonce: string
  encryptType: string | null
  msgSignature: string | null
  encrypt: string | null
  payload: string
  format: PushFormat
}

/** msg_info: the type's content under the seed design's names. Unknown types keep every field. */
export function messageInfo (message: CustomerMessage): Record<string, unknown> {
  switch (message.kind) {
    case 'text': return { text: message.content }
    case 'image': return { pic: message.picUrl, media_id: message.mediaId }
    case 'miniprogrampage':
      return { title: message.title, app_id: message.appId, page_path: message.pagePath, thumb_url: message.thumbUrl, thumb_media_id: message.thumbMediaId }
    case 'user_enter_tempsession': return { event: message.event, session_from: message.sessionFrom }
    case 'subscribe_msg_popup_event':
    case 'subscribe_msg_change_event':
    case 'subscribe_msg_sent_event': return subscribeInfo(message)
    case 'other': return message.fields
  }
}

/**
 * What makes a delivery the same message: MsgId for messages; sender, CreateTime and Event for events (WeChat's own
 * dedupe rule); for anything else without a MsgId, the sender, time and content.
 */
export function dedupeKey (message: CustomerMessage, payload: string): string {
  if ('msgId' in message && message.msgId !== undefined) return `m:${message.msgId}`
  if (isSubscribeMessage(message)) return subscribeDedupeKey(message)
  if (message.msgType === 'event' && 'event' in message && message.event !== undefined) {
    return `e:${message.fromUserName}:${message.createTime}:${message.event}`
  }
  return `x:${message.fromUserName}:${message.createTime}:${crypto.createHash('sha256').update(payload).digest('hex').slice(0, 32)}`
}

export function toRow (message: CustomerMessage, meta: PushMeta): MessageRow {
  return {
    appId: meta.appId,
    dedupeKey: dedupeKey(message, meta.payload),
    signature: meta.signature,
    timestamp: meta.timestamp,
    nonce: meta.nonce,
    openid: message.fromUserName,
    encryptType: meta.encryptType,
    msgSignature: meta.msgSignature,
    toUsername: message.toUserName,
    fromUsername: message.fromUserName,
    msgType: message.msgType,
    event: 'event' in message && message.event !== undefined ? message.event : null,
    msgInfo: JSON.stringify(messageInfo(message)),
    msgId: 'msgId' in message && message.msgId !== undefined ? message.msgId : null,
    encrypt: meta.encrypt,
    payload: meta.payload,
    format: meta.format,
    wechatCreateTime: message.createTime
  }
}

const TEXT_COLUMNS = [
  'appId', 'dedupeKey', 'signature', 'timestamp', 'nonce', 'openid', 'encryptType', 'msgSignature', 'toUsername',
  'fromUsername', 'msgType', 'event', 'msgInfo', 'msgId', 'encrypt', 'payload', 'format'
] as const satisfies ReadonlyArray<keyof MessageRow>

/** Latest CreateTime stored: 9999-12-31T23:59:59Z, inside every timestamp type the row meets. */
const MAX_CREATE_TIME = 253_402_300_799

/**
 * Why the database would refuse this row, or undefined. Checked before the row joins a batch, since a refused row
 * would fail every push in its batch: PostgreSQL text cannot hold U+0000, and CreateTime becomes a timestamp.
 */
export function rowProblem (row: MessageRow): string | undefined {
  for (const column of TEXT_COLUMNS) {
    const value = row[column]
    if (value !== null && value.includes('\u0000')) return `message carries a NUL character (${column})`
  }
  if (row.wechatCreateTime.length > 15 || Number(row.wechatCreateTime) > MAX_CREATE_TIME) return `CreateTime ${row.wechatCreateTime} is out of range`
  return undefined
}
