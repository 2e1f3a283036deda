import { WechatCryptoError } from './errors.js'
import { parseJsonLossless } from './json.js'
import { parseXml, type XmlObject } from './xml.js'
import { isSubscribeEvent, parseSubscribeDecisions, parseSubscribeDeliveries, type SubscribeDecision, type SubscribeDelivery } from './subscribe.js'

export type PushFormat = 'json' | 'xml'
/** The fields of a push or of a decrypted message, by WeChat's names (ToUserName, MsgType, …). */
export type PushFields = Record<string, unknown>

interface MessageBase {
  toUserName: string
  fromUserName: string
  /** CreateTime, unix seconds, as the decimal string WeChat sent. */
  createTime: string
  msgType: string
  /** Every field WeChat sent, 64-bit integers as decimal strings. */
  fields: PushFields
}
export interface TextMessage extends MessageBase { kind: 'text', msgId: string, content: string }
export interface ImageMessage extends MessageBase { kind: 'image', msgId: string, picUrl: string, mediaId: string }
export interface MiniProgramPageMessage extends MessageBase {
  kind: 'miniprogrampage'
  msgId: string
  title: string
  appId: string
  pagePath: string
  thumbUrl: string
  thumbMediaId: string
}
export interface EnterSessionEvent extends MessageBase { kind: 'user_enter_tempsession', event: string, sessionFrom: string }
/** The customer accepted or rejected templates in the subscribe popup (`wx.requestSubscribeMessage`). */
export interface SubscribePopupEvent extends MessageBase { kind: 'subscribe_msg_popup_event', event: string, decisions: SubscribeDecision[] }
/** The customer switched templates off (or on) in the mini program's settings. */
export interface SubscribeChangeEvent extends MessageBase { kind: 'subscribe_msg_change_event', event: string, decisions: SubscribeDecision[] }
/** Delivery results of subscribe messages sent to the customer. */
export interface SubscribeSentEvent extends MessageBase { kind: 'subscribe_msg_sent_event', event: string, deliveries: SubscribeDelivery[] }
/** Any other message type or event: nothing is dropped, `fields` holds it all. */
export interface OtherMessage extends MessageBase { kind: 'other', msgId?: string, event?: string }
export type CustomerMessage =
  | TextMessage | ImageMessage | MiniProgramPageMessage | EnterSessionEvent
  | SubscribePopupEvent | SubscribeChangeEvent | SubscribeSentEvent | OtherMessage

const DECIMAL = /^\d{1,20}$/

function bad (message: string): never {
  throw new WechatCryptoError('BAD_MESSAGE', message)
}

/** Tells JSON from XML by the first character that is not white space. */
export function detectFormat (text: string): PushFormat {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 0xfeff) continue
    if (c === 123) return 'json'
    if (c === 60) return 'xml'
    break
  }
  return bad('content is neither a JSON object nor XML')
}

/** Parses a push body or a decrypted message into its fields. */
export function parsePushBody (text: string, format: PushFormat = detectFormat(text)): PushFields {
  if (format === 'json') {
    const value = parseJsonLossless(text)
    if (value === null || typeof value !== 'object' || Array.isArray(value)) bad('JSON body must be an object')
    return value as PushFields
  }
  const root = parseXml(text)
  if (typeof root.value === 'string' || Array.isArray(root.value)) bad('XML root must hold elements')
  return root.value as XmlObject
}

/** A field as a string: strings as they are, finite numbers in decimal; anything else is undefined. */
export function fieldString (fields: PushFields, name: string): string | undefined {
  const value = fields[name]
  if (typeof value === 'string') return value
  if (typeof value === 'number' && Number.isFinite(value)) return Number.isSafeInteger(value) ? value.toFixed(0) : String(value)
  return undefined
}

function required (fields: PushFields, name: string): string {
  const value = fieldString(fields, name)
  if (value === undefined) bad(`${name} is missing`)
  return value
}

function decimal (fields: PushFields, name: string, optional: boolean): string | undefined {
  const value = fieldString(fields, name)
  if (value === undefined || value === '') {
    if (optional) return undefined
    bad(`${name} is missing`)
  }
  if (!DECIMAL.test(value)) bad(`${name} must be a decimal integer`)
  return value
}

/**
 * Turns a message's fields into the typed union; unknown types and events become `other`, never an error. Each kind is
 * built as one object literal (not a spread of the common fields), which V8 allocates in one piece: this runs for
 * every push.
 */
export function parseMessage (fields: PushFields): CustomerMessage {
  const toUserName = required(fields, 'ToUserName')
  const fromUserName = required(fields, 'FromUserName')
  const createTime = decimal(fields, 'CreateTime', false)!
  const msgType = required(fields, 'MsgType')
  if (fromUserName === '') bad('FromUserName is empty')
  // A message a customer wrote has a MsgId; an event or an unknown type may.
  switch (msgType) {
    case 'text':
      return { kind: 'text', toUserName, fromUserName, createTime, msgType, fields, msgId: decimal(fields, 'MsgId', false)!, content: required(fields, 'Content') }
    case 'image':
      return { kind: 'image', toUserName, fromUserName, createTime, msgType, fields, msgId: decimal(fields, 'MsgId', false)!, picUrl: fieldString(fields, 'PicUrl') ?? '', mediaId: required(fields, 'MediaId') }
    case 'miniprogrampage':
      return {
        kind: 'miniprogrampage',
        toUserName,
        fromUserName,
        createTime,
        msgType,
        fields,
        msgId: decimal(fields, 'MsgId', false)!,
        title: fieldString(fields, 'Title') ?? '',
        appId: fieldString(fields, 'AppId') ?? '',
        pagePath: fieldString(fields, 'PagePath') ?? '',
        thumbUrl: fieldString(fields, 'ThumbUrl') ?? '',
        thumbMediaId: fieldString(fields, 'ThumbMediaId') ?? ''
      }
    case 'event': {
      const event = required(fields, 'Event')
      if (event === 'user_enter_tempsession') {
        return { kind: 'user_enter_tempsession', toUserName, fromUserName, createTime, msgType, fields, event, sessionFrom: fieldString(fields, 'SessionFrom') ?? '' }
      }
      if (isSubscribeEvent(event)) {
        if (event === 'subscribe_msg_sent_event') return { kind: event, toUserName, fromUserName, createTime, msgType, fields, event, deliveries: parseSubscribeDeliveries(fields) }
        return { kind: event, toUserName, fromUserName, createTime, msgType, fields, event, decisions: parseSubscribeDecisions(fields, event) }
      }
      return { kind: 'other', toUserName, fromUserName, createTime, msgType, fields, event, msgId: decimal(fields, 'MsgId', true) }
    }
    default:
      return { kind: 'other', toUserName, fromUserName, createTime, msgType, fields, msgId: decimal(fields, 'MsgId', true) }
  }
}
