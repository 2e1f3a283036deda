import crypto from 'node:crypto'
import { MessageCipher } from './aes.js'
import { stringifyFlat } from './json.js'
import { computeMsgSignature, computeSignature } from './signature.js'
import { stringifyFlatXml } from './xml.js'
import type { PushFormat } from './message.js'

export type PushMode = 'plain' | 'compat' | 'safe'
export type PushFieldValue = string | number | bigint

export interface BuildPushOptions {
  appid: string
  token: string
  /** Required for compat and safe modes. */
  encodingAESKey?: string
  mode: PushMode
  format: PushFormat
  /** The message, by WeChat's field names; bigint values are written as bare 64-bit integers (MsgId). */
  fields: Record<string, PushFieldValue>
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
  const envelope: Record<string, PushFieldValue> = options.mode === 'safe'
    ? { ToUserName: options.fields.ToUserName ?? '', Encrypt: encrypt }
    : { ...options.fields, Encrypt: encrypt }
  return { query, body: serialize(envelope), contentType }
}

export type SimulatedType = 'text' | 'image' | 'miniprogrampage' | 'user_enter_tempsession' | 'event'

export interface MessageFieldsOptions {
  type: SimulatedType
  toUserName?: string
  fromUserName?: string
  createTime?: number
  msgId?: bigint
  content?: string
  /** Event name for type 'event'. */
  event?: string
}

/** The fields WeChat sends for each customer-service message type, filled with plausible values. */
export function messageFields (options: MessageFieldsOptions): Record<string, PushFieldValue> {
  const base: Record<string, PushFieldValue> = {
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
  }
}
