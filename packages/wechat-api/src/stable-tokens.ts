// Access tokens from `cgi-bin/stable_token`, one mini program at a time: cached in the token store, renewed shortly
// before they expire, and renewed when WeChat rejects one only if it is still the current one.
import { readStableToken } from './answers.js'
import type { TokenRefresh, WechatApiLogger, WechatApp } from './types.js'
import { WechatApiError } from './errors.js'
import { attempt, type Transport } from './exchange.js'
import type { CachedToken, TokenStore } from './token-store.js'

export interface StableTokensOptions {
  transport: Transport
  store: TokenStore
  clock: () => number
  refreshMarginMs: number
  log: WechatApiLogger
  onTokenRefresh: ((refresh: TokenRefresh) => void) | undefined
}

export class StableTokens {
  private readonly transport: Transport
  private readonly store: TokenStore
  private readonly clock: () => number
  private readonly refreshMarginMs: number
  private readonly log: WechatApiLogger
  private readonly onTokenRefresh: ((refresh: TokenRefresh) => void) | undefined

  constructor (options: StableTokensOptions) {
    this.transport = options.transport
    this.store = options.store
    this.clock = options.clock
    this.refreshMarginMs = options.refreshMarginMs
    this.log = options.log
    this.onTokenRefresh = options.onTokenRefresh
  }

  /** The cached token while it is fresh; otherwise a renewed one (one renewal at a time across the store's users). */
  async currentToken (app: Required<WechatApp>, api: string): Promise<CachedToken> {
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
  async renewRejected (app: Required<WechatApp>, api: string, rejected: string, errcode: number): Promise<CachedToken> {
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

  /** Asks stable_token for a token now, past the store (normal mode, or `force`d). */
  async requestToken (app: Required<WechatApp>, force: boolean): Promise<CachedToken> {
    const api = 'cgi-bin/stable_token'
    const obtainedAt = this.clock()
    const json = JSON.stringify({ grant_type: 'client_credential', appid: app.appid, secret: app.secret, force_refresh: force })
    const answer = await attempt(this.transport, app, { api, method: 'POST', body: () => ({ body: json, contentType: 'application/json' }), read: readStableToken }, undefined, [])
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
}

function storeError (err: unknown, appid: string, api: string): WechatApiError {
  if (err instanceof WechatApiError) return err
  const message = err instanceof Error ? err.message : String(err)
  return new WechatApiError('KEFU_WECHAT_API_TOKEN_UNAVAILABLE', `access token store unavailable for ${appid}: ${message}`, { appid, api })
}
