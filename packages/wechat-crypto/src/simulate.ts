import crypto from 'node:crypto'
import { MessageCipher } from './aes.js'
import { stringifyFlat, type PushFieldObject, type PushFieldValue } from './json.js'
import { computeMsgSignature, computeSignature } from './signature.js'
import { stringifyFlatXml } from './xml.js'
import type { PushFormat } from './message.js'
import { SUBSCRIBE_EVENTS, type SubscribeEventName } from './subscribe.js'

export type PushMode = 'plain' | 'compat' | 'safe'

export interface BuildPushOptions {
  appid: string
  token: string
  /** Required for compat and safe modes. */
  encodingAESKey?: string
  mode: PushMode
  format: PushFormat
  /** The message, by WeChat's field names; bigint values are written as bare 64-bit integers (MsgId). */
  fields: PushFieldObject
  timestamp?: string
  nonce?: string
  /** The 16 random bytes in front of the encrypted message. */
  random?: Buffer | string
}

export interface BuiltPush {
  query: Record<string, string>
  body: string
  contentType: string
}

/**
 * A push exactly as WeChat sends it: `signature` over (token, timestamp, nonce); in plaintext mode the message is the
 * body; in safe mode the body holds only ToUserName and Encrypt; compatible mode sends both the plaintext fields and
 * Encrypt. The encrypted modes add `encrypt_type=aes`, `msg_signature` and `openid` to the query.
 */
export function buildPush (options: BuildPushOptions): BuiltPush {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000).toString()
  const nonce = options.nonce ?? crypto.randomInt(1e9, 1e10 - 1).toString()
  const serialize = options.format === 'json' ? stringifyFlat : stringifyFlatXml
  const contentType = options.format === 'json' ? 'application/json' : 'text/xml'
  const query: Record<string, string> = { signature: computeSignature(options.token, timestamp, nonce), timestamp, nonce }
  if (options.mode === 'plain') return { query, body: serialize(options.fields), contentType }
  if (options.encodingAESKey === undefined) throw new Error(`${options.mode} mode needs an encodingAESKey`)
  const encrypt = new MessageCipher(options.encodingAESKey, options.appid).encrypt(serialize(options.fields), options.random)
  const openid = options.fields.FromUserName
  if (typeof openid === 'string') query.openid = openid
  query.encrypt_type = 'aes'
  query.msg_signature = computeMsgSignature(options.token, timestamp, nonce, encrypt)
  const envelope: PushFieldObject = options.mode === 'safe'
    ? { ToUserName: options.fields.ToUserName ?? '', Encrypt: encrypt }
    : { ...options.fields, Encrypt: encrypt }
  return { query, body: serialize(envelope), contentType }
}

export type SimulatedType =
  | 'text' | 'image' | 'miniprogrampage' | 'user_enter_tempsession' | 'event'
  | 'subscribe_msg_popup_event' | 'subscribe_msg_change_event' | 'subscribe_msg_sent_event'

/** One List item of a simulated subscribe event, by its meaning; WeChat's field names are written by messageFields. */
export interface SimulatedSubscribeItem {
  templateId: string
  /** popup and change events; default accept (popup) or reject (change). */
  status?: 'accept' | 'reject'
  /** popup events; default 0 (in the mini program). */
  popupScene?: number
  /** sent events: WeChat's MsgID; random by default. */
  msgId?: bigint
  /** sent events; default 0 (delivered). */
  errorCode?: number
  /** sent events; default `success`, or `failed:user block` with a non-zero errorCode. */
  errorStatus?: string
}

export interface MessageFieldsOptions {
  type: SimulatedType
  toUserName?: string
  fromUserName?: string
  createTime?: number
  msgId?: bigint
  content?: string
  /** Event name for type 'event'. */
  event?: string
  /** The List of a subscribe event (at least one item). */
  items?: SimulatedSubscribeItem[]
  /** Subscribe events are shaped by format: XML nests the List under its event's element, JSON does not. */
  format?: PushFormat
  /**
   * JSON only: how a one-item List is written. `object` (the default) as WeChat actually sends it, a bare object;
   * `array` as its documentation shows.
   */
  jsonList?: 'object' | 'array'
}

function subscribeItem (event: SubscribeEventName, item: SimulatedSubscribeItem, format: PushFormat): PushFieldObject {
  // XML writes numbers bare; WeChat's JSON examples quote them.
  const number = (n: number | bigint): PushFieldValue => format === 'xml' ? n : n.toString()
  if (event === 'subscribe_msg_sent_event') {
    const errorCode = item.errorCode ?? 0
    return {
      TemplateId: item.templateId,
      MsgID: number(item.msgId ?? (1700827132819554304n + BigInt(crypto.randomInt(1, 2 ** 40)))),
      ErrorCode: number(errorCode),
      ErrorStatus: item.errorStatus ?? (errorCode === 0 ? 'success' : 'failed:user block')
    }
  }
  const status = item.status ?? (event === 'subscribe_msg_popup_event' ? 'accept' : 'reject')
  if (event === 'subscribe_msg_change_event') return { TemplateId: item.templateId, SubscribeStatusString: status }
  return { TemplateId: item.templateId, SubscribeStatusString: status, PopupScene: number(item.popupScene ?? 0) }
}

/** The fields of a subscribe event: `<SubscribeMsgPopupEvent><List>…</List>…` in XML, `"List"` in JSON. */
function subscribeFields (event: SubscribeEventName, options: MessageFieldsOptions): PushFieldObject {
  const format = options.format ?? 'json'
  const items = (options.items ?? []).map((item) => subscribeItem(event, item, format))
  if (items.length === 0) throw new Error(`${event} needs at least one item`)
  if (format === 'xml') return { [SUBSCRIBE_EVENTS[event]]: { List: items } }
  return { List: items.length === 1 && options.jsonList !== 'array' ? items[0]! : items }
}

/** The fields WeChat sends for each customer-service message type, filled with plausible values. */
export function messageFields (options: MessageFieldsOptions): PushFieldObject {
  const base: PushFieldObject = {
    ToUserName: options.toUserName ?? 'gh_97417a04a28d',
    FromUserName: options.fromUserName ?? 'o9AgO5Kd5ggOC-bXrbNODIiE3bGY',
    CreateTime: options.createTime ?? Math.floor(Date.now() / 1000)
  }
  const msgId = options.msgId ?? (22876340532172986n + BigInt(crypto.randomInt(1, 2 ** 40)))
  switch (options.type) {
    case 'text':
      return { ...base, MsgType: 'text', Content: options.content ?? '你好', MsgId: msgId }
    case 'image':
      return { ...base, MsgType: 'image', PicUrl: 'https://mmbiz.qpic.cn/demo.jpg', MediaId: options.content ?? 'media_demo_1', MsgId: msgId }
    case 'miniprogrampage':
      return {
        ...base,
        MsgType: 'miniprogrampage',
        MsgId: msgId,
        Title: options.content ?? '商品卡片',
        AppId: 'wx1234567890abcdef',
        PagePath: 'pages/index/index?id=1',
        ThumbUrl: 'https://mmbiz.qpic.cn/thumb.jpg',
        ThumbMediaId: 'thumb_media_demo'
      }
    case 'user_enter_tempsession':
      return { ...base, MsgType: 'event', Event: 'user_enter_tempsession', SessionFrom: options.content ?? 'from-demo-button' }
    case 'event':
      return { ...base, MsgType: 'event', Event: options.event ?? 'kf_close_session', Detail: options.content ?? '' }
    case 'subscribe_msg_popup_event':
    case 'subscribe_msg_change_event':
    case 'subscribe_msg_sent_event':
      return { ...base, MsgType: 'event', Event: options.type, ...subscribeFields(options.type, options) }
  }
}
