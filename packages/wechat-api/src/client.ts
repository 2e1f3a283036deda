// WeChat's mini program server API as kefu calls it: the client's options, its calls (messages, typing, media), and
// each call's retry once its access token is rejected. Tokens: stable-tokens.ts; the HTTP exchange: exchange.ts.
import { readMedia, readMediaId, readMsgId, readOk } from './answers.js'
import { WechatApiError } from './errors.js'
import { attempt, type Call, type Transport } from './exchange.js'
import {
  customSendBody, imageMessage, linkMessage, miniProgramPageMessage, subscribeSendBody, textMessage,
  type CustomMessage, type LinkCard, type MiniProgramPageCard, type SubscribeMessageBody
} from './messages.js'
import { StableTokens } from './stable-tokens.js'
import type { TokenStore } from './token-store.js'
import type { ExternalTokens, MediaFile, TokenRefresh, WechatApiLogger, WechatApp } from './types.js'

export type { ExternalTokens, MediaFile, TokenRefresh, WechatApiLogger, WechatApp } from './types.js'

export const DEFAULT_WECHAT_API_BASE = 'https://api.weixin.qq.com'

/** Codes meaning "this access token is no good": 40001 invalid or not the latest, 40014 invalid, 42001 expired. */
export const TOKEN_REJECTED_ERRCODES: ReadonlySet<number> = new Set([40001, 40014, 42001])

export interface WechatApiOptions {
  /** WeChat's API address (`WECHAT_API_BASE`), default https://api.weixin.qq.com. A path prefix is kept. */
  baseUrl?: string
  /** The mini programs this process talks for. */
  apps: readonly WechatApp[]
  /** Where access tokens are cached and refreshed one at a time: `createRedisTokenStore` across processes. */
  tokenStore: TokenStore
  /** Defaults to the global fetch. */
  fetch?: typeof fetch
  /** Epoch milliseconds, default Date.now: decides when a cached token is renewed. */
  clock?: () => number
  /** Each HTTP request to WeChat, body included, must finish within this (default 10 000 ms). */
  timeoutMs?: number
  /** Renew a token this long before it expires (default 120 000 ms, at most half its lifetime). */
  refreshMarginMs?: number
  /**
   * Largest media `getMedia` accepts (default 20 MiB; WeChat's images are at most 10 MB): a larger Content-Length is
   * refused before the body is read, and a body without one is read only up to this many bytes, then dropped.
   */
  maxMediaBytes?: number
  logger?: WechatApiLogger
  /** Called after each access-token refresh this process made (`cgi-bin/stable_token`), whether it worked or not. */
  onTokenRefresh?: (refresh: TokenRefresh) => void
  /** The mini programs whose tokens come from a third-party platform (they need no AppSecret here). */
  externalTokens?: ExternalTokens
}

const SILENT: WechatApiLogger = { info () {}, warn () {} }

/**
 * WeChat's mini program server API for customer service, for many mini programs at once: customer-service messages,
 * the typing state, temporary media. Access tokens come from `cgi-bin/stable_token`, are cached in the token store
 * and renewed shortly before they expire; when WeChat rejects one (40001, 40014, 42001) it is renewed only if it is
 * still the current one, and the call is retried once. Failures are `WechatApiError`s; the token never leaves.
 */
export class WechatApi {
  readonly baseUrl: string
  private readonly apps: ReadonlyMap<string, Required<WechatApp>>
  private readonly withoutSecret: ReadonlySet<string>
  private readonly transport: Transport
  private readonly tokens: StableTokens
  private readonly log: WechatApiLogger
  private readonly external: ExternalTokens | undefined

  constructor (options: WechatApiOptions) {
    this.baseUrl = normalizeBase(options.baseUrl ?? DEFAULT_WECHAT_API_BASE)
    const apps = new Map<string, Required<WechatApp>>()
    const withoutSecret = new Set<string>()
    for (const app of options.apps) {
      if (typeof app.appid !== 'string' || !/^\S+$/.test(app.appid)) {
        throw new WechatApiError('KEFU_WECHAT_API_BAD_CONFIG', `WeChat appid must be a non-empty string without spaces, got ${JSON.stringify(app.appid)}`)
      }
      if (apps.has(app.appid) || withoutSecret.has(app.appid)) throw new WechatApiError('KEFU_WECHAT_API_BAD_CONFIG', `WeChat app ${app.appid} is configured twice`)
      if (app.secret === undefined || app.secret === '') {
        withoutSecret.add(app.appid)
        continue
      }
      if (typeof app.secret !== 'string') throw new WechatApiError('KEFU_WECHAT_API_BAD_CONFIG', `WeChat app ${app.appid} has a secret that is not a string`)
      apps.set(app.appid, { appid: app.appid, secret: app.secret })
    }
    this.withoutSecret = withoutSecret
    this.apps = apps
    const fetchImpl = options.fetch ?? globalThis.fetch
    const clock = options.clock ?? Date.now
    const timeoutMs = positive('timeoutMs', options.timeoutMs ?? 10_000)
    const refreshMarginMs = positive('refreshMarginMs', options.refreshMarginMs ?? 120_000)
    const maxMediaBytes = positive('maxMediaBytes', options.maxMediaBytes ?? 20 * 1024 * 1024)
    this.log = options.logger ?? SILENT
    this.external = options.externalTokens
    this.transport = { baseUrl: this.baseUrl, fetchImpl, timeoutMs, maxMediaBytes }
    this.tokens = new StableTokens({ transport: this.transport, store: options.tokenStore, clock, refreshMarginMs, log: this.log, onTokenRefresh: options.onTokenRefresh })
    const lockTtlMs = options.tokenStore.lockTtlMs
    if (lockTtlMs !== undefined && timeoutMs >= lockTtlMs) {
      // A refresh that outlives its lock lets a second process refresh at the same time.
      throw new WechatApiError('KEFU_WECHAT_API_BAD_CONFIG', `timeoutMs (${timeoutMs}) must be shorter than the token store's lockTtlMs (${lockTtlMs})`)
    }
  }

  /** Whether calls can be made for `appid`: it is configured, with a secret. */
  hasApp (appid: string): boolean {
    return this.external?.has(appid) === true || this.apps.has(appid)
  }

  /**
   * Asks WeChat for an access token now (`cgi-bin/stable_token`, normal mode), past the token store: proves that the
   * AppSecret works from this address. The token is neither kept nor returned.
   */
  async verifyCredentials (appid: string): Promise<void> {
    await this.tokens.requestToken(this.app(appid, 'cgi-bin/stable_token'), false)
  }

  /** Sends any customer-service message (the stored `outbound_message.content` shape) to a user. */
  async sendMessage (appid: string, openid: string, message: CustomMessage): Promise<void> {
    const json = JSON.stringify(customSendBody(openid, message))
    await this.call(appid, { api: 'cgi-bin/message/custom/send', method: 'POST', body: () => ({ body: json, contentType: 'application/json' }), read: readOk })
  }

  async sendText (appid: string, openid: string, content: string): Promise<void> {
    await this.sendMessage(appid, openid, textMessage(content))
  }

  /** `mediaId` from `uploadTempImage`. */
  async sendImage (appid: string, openid: string, mediaId: string): Promise<void> {
    await this.sendMessage(appid, openid, imageMessage(mediaId))
  }

  async sendLink (appid: string, openid: string, card: LinkCard): Promise<void> {
    await this.sendMessage(appid, openid, linkMessage(card))
  }

  async sendMiniProgramPage (appid: string, openid: string, card: MiniProgramPageCard): Promise<void> {
    await this.sendMessage(appid, openid, miniProgramPageMessage(card))
  }

  /**
   * Sends a subscribe message: one of the sends the customer granted by accepting the template. `msgId` is the MsgID
   * WeChat answers with (the exact decimal string; null when it gives none), which its subscribe_msg_sent_event quotes.
   * Refusals worth knowing: 43101 (no subscription left), 47003 (a field breaks its rule), 40037 (template), 41030 (page).
   */
  async sendSubscribeMessage (appid: string, openid: string, message: SubscribeMessageBody): Promise<{ msgId: string | null }> {
    const json = JSON.stringify(subscribeSendBody(openid, message))
    return await this.call(appid, { api: 'cgi-bin/message/subscribe/send', method: 'POST', body: () => ({ body: json, contentType: 'application/json' }), read: readMsgId })
  }

  /** Shows (`true`, command `Typing`) or hides (`CancelTyping`) "typing…" to the user. WeChat keeps it 15 s at most. */
  async setTyping (appid: string, openid: string, typing: boolean): Promise<void> {
    const json = JSON.stringify({ touser: openid, command: typing ? 'Typing' : 'CancelTyping' })
    await this.call(appid, { api: 'cgi-bin/message/custom/business/typing', method: 'POST', body: () => ({ body: json, contentType: 'application/json' }), read: readOk })
  }

  /** Uploads an image as temporary media (kept 3 days by WeChat) and returns its `media_id`. */
  async uploadTempImage (appid: string, bytes: Uint8Array, filename: string, contentType: string): Promise<string> {
    return await this.call(appid, {
      api: 'cgi-bin/media/upload',
      method: 'POST',
      query: { type: 'image' },
      body: () => {
        const form = new FormData()
        form.append('media', new Blob([bytes], { type: contentType }), filename)
        return { body: form }
      },
      read: readMediaId
    })
  }

  /** Downloads temporary media (an image a user sent, or one uploaded), at most `maxMediaBytes` (MEDIA_TOO_LARGE). */
  async getMedia (appid: string, mediaId: string): Promise<MediaFile> {
    return await this.call(appid, { api: 'cgi-bin/media/get', method: 'GET', query: { media_id: mediaId }, read: readMedia })
  }

  private app (appid: string, api: string): Required<WechatApp> {
    const app = this.apps.get(appid)
    if (app !== undefined) return app
    const why = this.withoutSecret.has(appid) ? 'has no AppSecret configured' : 'is not configured'
    throw new WechatApiError('KEFU_WECHAT_API_UNKNOWN_APP', `mini program ${appid} ${why}`, { appid, api })
  }

  private async call<T> (appid: string, call: Call<T>): Promise<T> {
    const external = this.external?.has(appid) === true ? this.external : undefined
    const app = external === undefined ? this.app(appid, call.api) : { appid, secret: '' }
    const first = external === undefined ? (await this.tokens.currentToken(app, call.api)).accessToken : await external.token(appid)
    let answer = await attempt(this.transport, app, call, first, [])
    if (!answer.ok && TOKEN_REJECTED_ERRCODES.has(answer.errcode)) {
      this.log.warn({ appid, api: call.api, errcode: answer.errcode }, 'WeChat rejected the access token; renewing it unless another caller already did')
      const second = external === undefined
        ? (await this.tokens.renewRejected(app, call.api, first, answer.errcode)).accessToken
        : await external.renewRejected(appid, first, answer.errcode)
      answer = await attempt(this.transport, app, call, second, [first])
    }
    if (!answer.ok) {
      throw new WechatApiError('KEFU_WECHAT_API_ERRCODE', `WeChat ${call.api} failed for ${appid}: errcode ${answer.errcode} ${answer.errmsg}`,
        { appid, api: call.api, errcode: answer.errcode, errmsg: answer.errmsg })
    }
    return answer.value
  }
}

function normalizeBase (raw: string): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new WechatApiError('KEFU_WECHAT_API_BAD_CONFIG', `WeChat API base must be an http(s) URL, got ${JSON.stringify(raw)}`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new WechatApiError('KEFU_WECHAT_API_BAD_CONFIG', `WeChat API base must be an http(s) URL, got ${JSON.stringify(raw)}`)
  }
  if (url.search !== '' || url.hash !== '') {
    throw new WechatApiError('KEFU_WECHAT_API_BAD_CONFIG', `WeChat API base must not have a query or fragment, got ${JSON.stringify(raw)}`)
  }
  return url.href.replace(/\/+$/, '')
}

function positive (name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new WechatApiError('KEFU_WECHAT_API_BAD_CONFIG', `WechatApi ${name} must be a positive number, got ${value}`)
  }
  return value
}
