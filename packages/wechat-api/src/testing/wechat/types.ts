// The fake WeChat's public types, shared by its entry point (../fake-wechat.ts, which re-exports them) and its parts
// in this folder, in a module of their own so that no part imports the entry point back.
import type { FastifyInstance } from 'fastify'

/** The APIs the fake implements, by the short names `failNext` and `hangNext` take. */
export type FakeApi = 'stable_token' | 'custom/send' | 'subscribe/send' | 'typing' | 'media/upload' | 'media/get'

export interface FakeWechatOptions {
  /** The mini programs whose appid and secret stable_token accepts (default `[FAKE_APP]`). */
  apps?: ReadonlyArray<{ appid: string, secret: string }>
  /** `expires_in` of new tokens (default 7200). */
  tokenTtlSeconds?: number
  /** stable_token answers after this long, as a slow WeChat would: widens refresh races in tests (default 0). */
  tokenDelayMs?: number
  /** Largest image media/upload takes (default 10 MiB). */
  maxImageBytes?: number
  /**
   * The subscribe-message templates of each app (by appid), as in its admin console: each field's kind is named by
   * its key (`thing1`), enum fields list their values. `subscribeTemplates` of WECHAT_APPS fit.
   */
  subscribeTemplates?: Readonly<Record<string, ReadonlyArray<FakeSubscribeTemplate>>>
  /** The pages of each app (app.json) a subscribe message may open; an app not listed takes any well-formed path. */
  pages?: Readonly<Record<string, readonly string[]>>
  host?: string
  port?: number
  /** Adds routes before the fake listens (the fake Open Platform's component APIs); they take precedence over the fake's. */
  extend?: (app: FastifyInstance) => void | Promise<void>
}

export interface FakeSubscribeTemplate {
  templateId: string
  fields: ReadonlyArray<{ key: string, values?: readonly string[] }>
}

/** A subscribe message WeChat took: its body and the msgid it answered with. */
export interface FakeSubscribeSend { appid: string, body: Record<string, unknown>, msgId: string }

export type TokenStatus = 'valid' | 'expired' | 'invalid' | 'unknown' | 'missing'

export interface RecordedRequest {
  api: FakeApi | 'unknown'
  method: string
  path: string
  /** The query string without `access_token`. */
  query: Record<string, string>
  /** What the fake thought of the request's access_token; `undefined` for stable_token, which takes none. */
  token: TokenStatus | undefined
  /** The mini program: the token's, or the appid in the stable_token body. */
  appid: string | undefined
  /** The JSON body as sent; for media/upload `{ media: { filename, contentType, size, sha256 } }`. */
  body: unknown
  /** What the fake answered (0: success). */
  errcode: number
  at: number
}

export interface FakeMedia {
  appid: string
  bytes: Buffer
  contentType: string
  filename: string
  /** Served without a Content-Length (Transfer-Encoding: chunked), as a proxy on the way may do. */
  chunked: boolean
}

export interface FakeWechat {
  /** The base address to give the client (`WECHAT_API_BASE`). */
  readonly url: string
  /** Every request, in the order they were answered. */
  readonly requests: readonly RecordedRequest[]
  /** stable_token calls that minted a new token (the first token of an app included). */
  readonly tokenRefreshes: number
  /** stable_token calls with `force_refresh: true`. */
  readonly forcedRefreshes: number
  /** All stable_token calls. */
  readonly tokenRequests: number
  /** The most stable_token calls that were in progress at the same moment. */
  readonly maxConcurrentTokenRequests: number
  /** The bodies of `custom/send` calls that succeeded, in order (for one app, or all). */
  messages: (appid?: string) => unknown[]
  /** The subscribe messages WeChat took, in order (for one app, or all). */
  subscribeMessages: (appid?: string) => FakeSubscribeSend[]
  /**
   * The customer accepted `templateId` in the popup: `sends` more one-time sends (default 1), or `'long-term'`
   * (sends never use it up). What WeChat knows and kefu learns from subscribe_msg_popup_event.
   */
  grantSubscription: (appid: string, openid: string, templateId: string, sends?: number | 'long-term') => void
  /** The customer rejected or turned the template off: no sends left. */
  revokeSubscription: (appid: string, openid: string, templateId: string) => void
  /** The sends WeChat would still take. */
  subscriptionsLeft: (appid: string, openid: string, templateId: string) => number | 'long-term'
  /** The next `times` (default 1) calls to `api` that would have succeeded answer `errcode` instead. */
  failNext: (api: FakeApi, errcode: number, options?: { times?: number, errmsg?: string }) => void
  /**
   * stable_token calls wait (in progress, counted) until the returned function is called: lets a test line up
   * every caller behind one refresh without guessing how long it takes.
   */
  holdTokenRequests: () => () => void
  /** The next `times` calls to `api` get no answer until `close()` (for timeouts); resolves when the first arrives. */
  hangNext: (api: FakeApi, times?: number) => Promise<void>
  /** The current tokens (of one app, or all) expire: calls with them get 42001, stable_token mints new ones. */
  expireTokens: (appid?: string) => void
  /** The current tokens become invalid, as when leaked and reset: calls get 40001, stable_token mints new ones. */
  invalidateTokens: (appid?: string) => void
  /**
   * Mints a token for `appid` that the APIs accept, as another issuer would (the Open Platform's authorizer tokens);
   * the app's previous token becomes invalid.
   */
  issueToken: (appid: string, ttlSeconds?: number) => string
  /** The token stable_token would hand out now, if any: for asserting that it leaks nowhere. */
  currentToken: (appid?: string) => string | undefined
  /**
   * Media as if a user had sent it (an image message's MediaId); returns the media_id. media/get serves it in
   * 64 KiB chunks, with a Content-Length unless `chunked`.
   */
  addMedia: (appid: string, bytes: Uint8Array, contentType: string, filename?: string, mediaId?: string, options?: { chunked?: boolean }) => string
  /** Bytes of media/get bodies handed to the connection so far: short of a body's size when the client stopped reading. */
  readonly mediaBytesSent: number
  /** WeChat deletes temporary media after 3 days: the media (one, or all) is forgotten and media/get answers 40007. */
  forgetMedia: (mediaId?: string) => void
  media: (mediaId: string) => FakeMedia | undefined
  /** Resolves with the first recorded request (past or future) that `match` accepts. */
  waitForRequest: (match: (r: RecordedRequest) => boolean, timeoutMs?: number) => Promise<RecordedRequest>
  /** stable_token accepts this mini program from now on (one added while the fake runs), with this secret. */
  addApp: (appid: string, secret: string) => void
  /** Forgets recorded requests and counters, mediaBytesSent too (not tokens, media or pending failures). */
  clearRequests: () => void
  close: () => Promise<void>
}
