import { WechatApiError } from './errors.js'
import {
  customSendBody, imageMessage, linkMessage, miniProgramPageMessage, subscribeSendBody, textMessage,
  type CustomMessage, type LinkCard, type MiniProgramPageCard, type SubscribeMessageBody
} from './messages.js'
import type { CachedToken, TokenStore } from './token-store.js'

export const DEFAULT_WECHAT_API_BASE = 'https://api.weixin.qq.com'

/** Codes meaning "this access token is no good": 40001 invalid or not the latest, 40014 invalid, 42001 expired. */
export const TOKEN_REJECTED_ERRCODES: ReadonlySet<number> = new Set([40001, 40014, 42001])

export interface WechatApp {
  appid: string
  /** AppSecret. An app without one is known but cannot be called for (e.g. one handed to WeChat's own tool). */
  secret?: string
}

/** The part of a pino / Fastify logger the client uses. Nothing logged ever contains a token or a secret. */
export interface WechatApiLogger {
  info: (obj: object, msg: string) => void
  warn: (obj: object, msg: string) => void
}

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

export interface TokenRefresh { appid: string, forced: boolean, ok: boolean }

/**
 * Access tokens that come from elsewhere than stable_token: a third-party platform's authorizer tokens
 * (`WechatComponentApi`). For an appid it `has`, the client takes its token from here, and asks `renewRejected`
 * once when WeChat rejects it (40001, 40014, 42001).
 */
export interface ExternalTokens {
  has: (appid: string) => boolean
  token: (appid: string) => Promise<string>
  renewRejected: (appid: string, rejected: string, errcode: number) => Promise<string>
}

export interface MediaFile {
  /** As WeChat sent it, e.g. `image/jpeg`. */
  contentType: string
  body: Buffer
}

type Answer<T> = { ok: true, value: T } | { ok: false, errcode: number, errmsg: string }

interface Call<T> {
  api: string
  method: 'GET' | 'POST'
  query?: Record<string, string>
  /** Built again for the retry: a FormData or a stream cannot be sent twice. */
  body?: () => { body: string | FormData, contentType?: string }
  read: (res: Response, ctx: CallContext) => Promise<Answer<T>>
}

interface CallContext { appid: string, api: string, maxMediaBytes: number }

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
  private readonly store: TokenStore
  private readonly fetchImpl: typeof fetch
  private readonly clock: () => number
  private readonly timeoutMs: number
  private readonly refreshMarginMs: number
  private readonly onTokenRefresh: ((refresh: TokenRefresh) => void) | undefined
  private readonly maxMediaBytes: number
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
    this.store = options.tokenStore
    this.fetchImpl = options.fetch ?? globalThis.fetch
    this.clock = options.clock ?? Date.now
    this.timeoutMs = positive('timeoutMs', options.timeoutMs ?? 10_000)
    this.refreshMarginMs = positive('refreshMarginMs', options.refreshMarginMs ?? 120_000)
    this.maxMediaBytes = positive('maxMediaBytes', options.maxMediaBytes ?? 20 * 1024 * 1024)
    this.log = options.logger ?? SILENT
    this.onTokenRefresh = options.onTokenRefresh
    this.external = options.externalTokens
    const lockTtlMs = this.store.lockTtlMs
    if (lockTtlMs !== undefined && this.timeoutMs >= lockTtlMs) {
      // A refresh that outlives its lock lets a second process refresh at the same time.
      throw new WechatApiError('KEFU_WECHAT_API_BAD_CONFIG', `timeoutMs (${this.timeoutMs}) must be shorter than the token store's lockTtlMs (${lockTtlMs})`)
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
    await this.requestToken(this.app(appid, 'cgi-bin/stable_token'), false)
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
    const first = external === undefined ? (await this.currentToken(app, call.api)).accessToken : await external.token(appid)
    let answer = await this.attempt(app, call, first, [])
    if (!answer.ok && TOKEN_REJECTED_ERRCODES.has(answer.errcode)) {
      this.log.warn({ appid, api: call.api, errcode: answer.errcode }, 'WeChat rejected the access token; renewing it unless another caller already did')
      const second = external === undefined
        ? (await this.renewRejected(app, call.api, first, answer.errcode)).accessToken
        : await external.renewRejected(appid, first, answer.errcode)
      answer = await this.attempt(app, call, second, [first])
    }
    if (!answer.ok) {
      throw new WechatApiError('KEFU_WECHAT_API_ERRCODE', `WeChat ${call.api} failed for ${appid}: errcode ${answer.errcode} ${answer.errmsg}`,
        { appid, api: call.api, errcode: answer.errcode, errmsg: answer.errmsg })
    }
    return answer.value
  }

  /** The cached token while it is fresh; otherwise a renewed one (one renewal at a time across the store's users). */
  private async currentToken (app: Required<WechatApp>, api: string): Promise<CachedToken> {
    let cached: CachedToken | undefined
    try {
      cached = await this.store.get(app.appid)
    } catch (err) {
      throw storeError(err, app.appid, api)
    }
    if (cached !== undefined && this.clock() < cached.refreshAt) return cached
    try {
      return await this.store.renew(app.appid, (t) => t !== undefined && this.clock() < t.refreshAt,
        async () => await this.fetchToken(app, false))
    } catch (err) {
      // A token WeChat still accepts beats a failed send while stable_token, Redis or another process's refresh fails.
      if (cached !== undefined && this.clock() < cached.expiresAt) {
        this.log.warn({ appid: app.appid, code: (err as { code?: unknown }).code }, 'access token renewal failed; using the cached token until it expires')
        return cached
      }
      throw storeError(err, app.appid, api)
    }
  }

  /**
   * Compare-and-refresh: renews only if `rejected` is still the current token, so a storm of failures with one token
   * makes one refresh. Forces (invalidating the token for everyone) only for 40001/40014 on the current token; an
   * expired token (42001) is replaced by normal mode, which WeChat answers with a new one.
   */
  private async renewRejected (app: Required<WechatApp>, api: string, rejected: string, errcode: number): Promise<CachedToken> {
    try {
      return await this.store.renew(app.appid,
        (t) => t !== undefined && t.accessToken !== rejected && this.clock() < t.refreshAt,
        async (current) => await this.fetchToken(app, current?.accessToken === rejected && errcode !== 42001))
    } catch (err) {
      throw storeError(err, app.appid, api)
    }
  }

  private async fetchToken (app: Required<WechatApp>, force: boolean): Promise<CachedToken> {
    let ok = false
    try {
      const token = await this.requestToken(app, force)
      ok = true
      return token
    } finally {
      this.onTokenRefresh?.({ appid: app.appid, forced: force, ok })
    }
  }

  private async requestToken (app: Required<WechatApp>, force: boolean): Promise<CachedToken> {
    const api = 'cgi-bin/stable_token'
    const obtainedAt = this.clock()
    const json = JSON.stringify({ grant_type: 'client_credential', appid: app.appid, secret: app.secret, force_refresh: force })
    const answer = await this.attempt(app, { api, method: 'POST', body: () => ({ body: json, contentType: 'application/json' }), read: readStableToken }, undefined, [])
    if (!answer.ok) {
      throw new WechatApiError('KEFU_WECHAT_API_ERRCODE', `WeChat ${api} failed for ${app.appid}: errcode ${answer.errcode} ${answer.errmsg}`,
        { appid: app.appid, api, errcode: answer.errcode, errmsg: answer.errmsg })
    }
    const { token, expiresIn } = answer.value
    const lifetime = expiresIn * 1000
    const margin = Math.min(this.refreshMarginMs, lifetime / 2)
    this.log.info({ appid: app.appid, force, expiresIn }, 'fetched a WeChat access token')
    return { accessToken: token, obtainedAt, expiresAt: obtainedAt + lifetime, refreshAt: obtainedAt + lifetime - margin }
  }

  /**
   * One HTTP exchange. Whatever goes wrong becomes a WechatApiError with the secret and the tokens of this call
   * (`token`, and `earlier` ones WeChat might still quote) scrubbed out.
   */
  private async attempt<T> (app: Required<WechatApp>, call: Call<T>, token: string | undefined, earlier: string[]): Promise<Answer<T>> {
    const hidden = token === undefined ? [app.secret, ...earlier] : [token, app.secret, ...earlier]
    const params = new URLSearchParams()
    if (token !== undefined) params.set('access_token', token)
    for (const [k, v] of Object.entries(call.query ?? {})) params.set(k, v)
    const search = params.size > 0 ? `?${params.toString()}` : ''
    const init: RequestInit = { method: call.method, signal: AbortSignal.timeout(this.timeoutMs) }
    if (call.body !== undefined) {
      const { body, contentType } = call.body()
      init.body = body
      if (contentType !== undefined) init.headers = { 'content-type': contentType }
    }
    const ctx: CallContext = { appid: app.appid, api: call.api, maxMediaBytes: this.maxMediaBytes }
    try {
      const res = await this.fetchImpl(`${this.baseUrl}/${call.api}${search}`, init)
      const answer = await call.read(res, ctx)
      return answer.ok ? answer : { ok: false, errcode: answer.errcode, errmsg: scrub(answer.errmsg, hidden) }
    } catch (err) {
      if (err instanceof WechatApiError) throw err
      throw transportError(err, ctx, this.timeoutMs, hidden)
    }
  }
}

function transportError (err: unknown, ctx: CallContext, timeoutMs: number, hidden: string[]): WechatApiError {
  const name = (err as { name?: unknown })?.name
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new WechatApiError('KEFU_WECHAT_API_TIMEOUT', `WeChat ${ctx.api} did not answer within ${timeoutMs} ms (${ctx.appid})`, { appid: ctx.appid, api: ctx.api })
  }
  // undici says "fetch failed" and puts what happened (ECONNREFUSED, ENOTFOUND…) in the cause.
  const cause = (err as { cause?: { message?: unknown, code?: unknown } })?.cause
  const detail = typeof cause?.message === 'string' ? cause.message : err instanceof Error ? err.message : String(err)
  return new WechatApiError('KEFU_WECHAT_API_NETWORK', `WeChat ${ctx.api} unreachable for ${ctx.appid}: ${scrub(detail, hidden)}`, { appid: ctx.appid, api: ctx.api })
}

function storeError (err: unknown, appid: string, api: string): WechatApiError {
  if (err instanceof WechatApiError) return err
  const message = err instanceof Error ? err.message : String(err)
  return new WechatApiError('KEFU_WECHAT_API_TOKEN_UNAVAILABLE', `access token store unavailable for ${appid}: ${message}`, { appid, api })
}

function badResponse (ctx: CallContext, what: string): WechatApiError {
  return new WechatApiError('KEFU_WECHAT_API_BAD_RESPONSE', `WeChat ${ctx.api} answered for ${ctx.appid} with ${what}`, { appid: ctx.appid, api: ctx.api })
}

async function readJsonObject (res: Response, ctx: CallContext): Promise<Record<string, unknown>> {
  return (await readJsonText(res, ctx)).body
}

async function readJsonText (res: Response, ctx: CallContext): Promise<{ body: Record<string, unknown>, text: string }> {
  if (!res.ok) {
    await res.body?.cancel().catch(() => {})
    throw badResponse(ctx, `HTTP ${res.status}`)
  }
  const text = await res.text()
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw badResponse(ctx, 'a body that is not JSON')
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badResponse(ctx, 'JSON that is not an object')
  return { body: value as Record<string, unknown>, text }
}

/** WeChat's error shape `{ errcode, errmsg }` with a non-zero errcode, if that is what `body` is. */
function errcodeOf (body: Record<string, unknown>): { ok: false, errcode: number, errmsg: string } | undefined {
  const { errcode, errmsg } = body
  if (typeof errcode !== 'number' || errcode === 0) return undefined
  return { ok: false, errcode, errmsg: typeof errmsg === 'string' ? errmsg : '' }
}

async function readOk (res: Response, ctx: CallContext): Promise<Answer<undefined>> {
  const body = await readJsonObject(res, ctx)
  return errcodeOf(body) ?? { ok: true, value: undefined }
}

/** `{"errcode":0,"errmsg":"ok","msgid":3248682510344192008}`: a 64-bit msgid that JSON.parse would round, read from the text. */
async function readMsgId (res: Response, ctx: CallContext): Promise<Answer<{ msgId: string | null }>> {
  const { body, text } = await readJsonText(res, ctx)
  const failed = errcodeOf(body)
  if (failed !== undefined) return failed
  if (body.msgid === undefined) return { ok: true, value: { msgId: null } }
  const exact = /"msgid"\s*:\s*"?(\d{1,20})"?\s*[,}]/.exec(text)
  if (exact === null) throw badResponse(ctx, 'a msgid that is not a decimal integer')
  return { ok: true, value: { msgId: exact[1]! } }
}

async function readStableToken (res: Response, ctx: CallContext): Promise<Answer<{ token: string, expiresIn: number }>> {
  const body = await readJsonObject(res, ctx)
  const failed = errcodeOf(body)
  if (failed !== undefined) return failed
  const { access_token: token, expires_in: expiresIn } = body
  if (typeof token !== 'string' || token === '' || typeof expiresIn !== 'number' || !(expiresIn > 0)) {
    throw badResponse(ctx, 'no access_token and expires_in')
  }
  return { ok: true, value: { token, expiresIn } }
}

async function readMediaId (res: Response, ctx: CallContext): Promise<Answer<string>> {
  const body = await readJsonObject(res, ctx)
  const failed = errcodeOf(body)
  if (failed !== undefined) return failed
  if (typeof body.media_id !== 'string' || body.media_id === '') throw badResponse(ctx, 'no media_id')
  return { ok: true, value: body.media_id }
}

/** `media/get` answers with the file, or with JSON `{ errcode, errmsg }` when it fails. */
async function readMedia (res: Response, ctx: CallContext): Promise<Answer<MediaFile>> {
  if (!res.ok) {
    await res.body?.cancel().catch(() => {})
    throw badResponse(ctx, `HTTP ${res.status}`)
  }
  const contentType = res.headers.get('content-type') ?? 'application/octet-stream'
  const declared = Number(res.headers.get('content-length') ?? '0')
  if (declared > ctx.maxMediaBytes) {
    await res.body?.cancel().catch(() => {})
    throw mediaTooLarge(ctx, `media of ${declared} bytes, more than the ${ctx.maxMediaBytes} allowed`)
  }
  const body = await readLimited(res, ctx)
  if (/json|^text\//i.test(contentType)) {
    let parsed: unknown
    try {
      parsed = JSON.parse(body.toString('utf8'))
    } catch {
      parsed = undefined
    }
    const failed = parsed !== null && typeof parsed === 'object' ? errcodeOf(parsed as Record<string, unknown>) : undefined
    if (failed !== undefined) return failed
    throw badResponse(ctx, `${contentType.split(';')[0] ?? ''} instead of media`)
  }
  if (body.length === 0) throw badResponse(ctx, 'empty media')
  return { ok: true, value: { contentType, body } }
}

function mediaTooLarge (ctx: CallContext, what: string): WechatApiError {
  return new WechatApiError('KEFU_WECHAT_API_MEDIA_TOO_LARGE', `WeChat ${ctx.api} for ${ctx.appid}: ${what}`, { appid: ctx.appid, api: ctx.api })
}

/** The body, read chunk by chunk and counted: one without a Content-Length (chunked) stops at the limit. */
async function readLimited (res: Response, ctx: CallContext): Promise<Buffer> {
  if (res.body === null) return Buffer.alloc(0)
  const chunks: Uint8Array[] = []
  let size = 0
  const reader = res.body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > ctx.maxMediaBytes) {
      await reader.cancel().catch(() => {})
      throw mediaTooLarge(ctx, `media larger than the ${ctx.maxMediaBytes} bytes allowed`)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks, size)
}

/** WeChat's access tokens look like `86_` followed by a long opaque string: hide any, not only the ones we know. */
const TOKEN_LIKE = /\b\d{1,4}_[A-Za-z0-9_-]{60,}/g

function scrub (text: string, hidden: readonly string[]): string {
  let out = text
  for (const secret of hidden) {
    if (secret !== '') out = out.split(secret).join('***')
  }
  return out.replace(TOKEN_LIKE, '***')
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
