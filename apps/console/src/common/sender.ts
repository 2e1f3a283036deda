import type { CustomMessage, SubscribeMessageBody } from '@kefu/wechat-api'

/** The message object of cgi-bin/message/custom/send, without touser: exactly what WeChat receives and we store. */
export type OutboundBody = CustomMessage

/** A refusal from WeChat: its errcode and errmsg, and a sentence for people. */
export interface SendFailure { errcode: number, errmsg: string, explanation: string }

/** What the console needs from WeChat's API; `createWechatSender` provides it over @kefu/wechat-api. */
export interface WechatSender {
  send: (appid: string, openid: string, body: OutboundBody) => Promise<void>
  /** A subscribe message; resolves with the MsgID WeChat answered with (null when none). */
  sendSubscribe: (appid: string, openid: string, body: SubscribeMessageBody) => Promise<{ msgId: string | null }>
  typing: (appid: string, openid: string, typing: boolean) => Promise<void>
  uploadImage: (appid: string, bytes: Buffer, filename: string, contentType: string) => Promise<string>
  getMedia: (appid: string, mediaId: string) => Promise<{ contentType: string, body: Buffer }>
  /** Asks WeChat for an access token with this AppSecret now (the "Test" of the Mini programs page); throws what failed. */
  verify: (appid: string, secret: string) => Promise<void>
  /** The WeChat refusal inside an error thrown by the methods above, or null for anything else (network, bugs). */
  failure: (err: unknown, lang: 'zh-CN' | 'en') => SendFailure | null
  /** Whether a call that failed with `err` may still have taken effect (WeChat did not answer in time). */
  mayHaveTakenEffect: (err: unknown) => boolean
  close: () => Promise<void>
}
