import { DEFAULT_WECHAT_API_BASE, TOKEN_REJECTED_ERRCODES, type ExternalTokens, type TokenRefresh, type WechatApiLogger } from './client.js'
import { WechatApiError } from './errors.js'
import type { CachedToken, TokenStore } from './token-store.js'

/** WeChat's PC authorization page of third-party platforms. */
export const COMPONENT_AUTHORIZE_URL = 'https://mp.weixin.qq.com/cgi-bin/componentloginpage'

/**
 * WeChat's 全网发布 (release check) test accounts, appid → original id: before a third-party platform goes live,
 * one of them messages the platform's message URL (全网发布检测说明, 2.0/operation/thirdparty/releases_instructions).
 */
export const RELEASE_TEST_MINI_PROGRAMS: ReadonlyMap<string, string> = new Map([
  ['wxd101a85aa106f53e', 'gh_8dad206e9538'], ['wxc39235c15087f6f3', 'gh_905ae9d01059'], ['wx7720d01d4b2a4500', 'gh_393666f1fdf4'],
  ['wx05d483572dcd5d8b', 'gh_39abb5d4e1b7'], ['wx5910277cae6fd970', 'gh_7818dcb60240']
])
export const RELEASE_TEST_OFFICIAL_ACCOUNTS: ReadonlyMap<string, string> = new Map([
  ['wx570bc396a51b8ff8', 'gh_3c884a361561'], ['wx9252c5e0bb1836fc', 'gh_c0f28a78b318'], ['wx8e1097c5bc82cde9', 'gh_3f222ed8d140'],
  ['wx14550af28c71a144', 'gh_26128078e9ab'], ['wxa35b9c23cfe664eb', 'gh_2b3713f184a6']
])

/**
 * What must be shared and durable, kept by the caller (the database): the last component_verify_ticket WeChat
 * pushed, and each authorizer's refresh token (WeChat may answer a refresh with a new one: it is kept every time).
 */
export interface ComponentState {
  /** The current ticket, or undefined when none was pushed within its 12 h lifetime. */
  verifyTicket: () => Promise<string | undefined>
  /** undefined once the authorization was withdrawn. */
  refreshToken: (authorizerAppid: string) => Promise<string | undefined>
  saveRefreshToken: (authorizerAppid: string, refreshToken: string) => Promise<void>
}

export interface WechatComponentOptions {
  /** WECHAT_API_BASE, default https://api.weixin.qq.com. */
  baseUrl?: string
  /** The platform's component appid and component_appsecret. */
  component: { appid: string, secret: string }
  state: ComponentState
  /**
   * Where component_access_token (key `component:<appid>`) and the authorizer tokens (`authorizer:<appid>`) are cached
   * and refreshed one at a time: `createRedisTokenStore` across processes, the memory store in one.
   */
  tokenStore: TokenStore
  /** Whether calls for `appid` go out with its authorizer token: an enabled mini program of source component. */
  isAuthorizer: (appid: string) => boolean
  /** WeChat's authorization page (WECHAT_COMPONENT_AUTHORIZE_URL), default componentloginpage. */
  authorizeUrl?: string
  fetch?: typeof fetch
  clock?: () => number
  /** Each request to WeChat (default 5000 ms): two must fit in the token store's lock (an authorizer refresh may need a component token first). */
  timeoutMs?: number
  /** Renew a token this long before it expires (default 10 minutes, at most half its lifetime; WeChat advises ~1h50m of 2 h). */
  refreshMarginMs?: number
  logger?: WechatApiLogger
  /** After each token fetch this process made: appid `component:<appid>` for component_access_token. */
  onTokenRefresh?: (refresh: TokenRefresh) => void
}

/** api_query_auth's authorization_info. */
export interface QueriedAuthorization {
  appid: string
  accessToken: string
  expiresIn: number
  refreshToken: string
  /** Permission-set ids granted: 19 is 小程序客服管理 (receive and send customer-service messages). */
  funcInfo: number[]
}

/** What api_get_authorizer_info says about an account. */
export interface AuthorizerInfo {
  appid: string
  nickName?: string
  headImg?: string
  /** 原始ID gh_…, the ToUserName of its pushes. */
  userName?: string
  /** MiniProgramInfo is present: the account is a mini program (not an official account). */
  isMiniProgram: boolean
  funcInfo: number[]
}

type Json = Record<string, unknown>

/**
 * WeChat's Open Platform for a third-party platform: component_access_token (from the pushed ticket), pre-auth codes
 * and the authorization page, exchanging authorization codes, authorizer info, and each authorizer's access token
 * (api_authorizer_token with its refresh token). As an `ExternalTokens` it gives `WechatApi` the authorizer tokens
 * of the mini programs it serves, so replies, media and subscribe messages go out for them.
 * https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/ThirdParty/token/component_access_token.html
 */
export class WechatComponentApi implements ExternalTokens {
  readonly baseUrl: string
  readonly componentAppid: string
  readonly #secret: string
  readonly #state: ComponentState
  readonly #store: TokenStore
  readonly #isAuthorizer: (appid: string) => boolean
  readonly #authorizeUrl: string
  readonly #fetch: typeof fetch
  readonly #clock: () => number
  readonly #timeoutMs: number
  readonly #marginMs: number
  readonly #log: WechatApiLogger | undefined
  readonly #onTokenRefresh: ((refresh: TokenRefresh) => void) | undefined

  constructor (options: WechatComponentOptions) {
    this.baseUrl = (options.baseUrl ?? DEFAULT_WECHAT_API_BASE).replace(/\/+$/, '')
    this.componentAppid = options.component.appid
    this.#secret = options.component.secret
    this.#state = options.state
    this.#store = options.tokenStore
    this.#isAuthorizer = options.isAuthorizer
    this.#authorizeUrl = options.authorizeUrl ?? COMPONENT_AUTHORIZE_URL
    this.#fetch = options.fetch ?? globalThis.fetch
    this.#clock = options.clock ?? Date.now
    this.#timeoutMs = options.timeoutMs ?? 5000
    this.#marginMs = options.refreshMarginMs ?? 600_000
    this.#log = options.logger
    this.#onTokenRefresh = options.onTokenRefresh
    const lockTtlMs = this.#store.lockTtlMs
    if (lockTtlMs !== undefined && this.#timeoutMs * 2 >= lockTtlMs) {
      // An authorizer refresh may first fetch the component token: both must fit in the lock.
      throw new WechatApiError('KEFU_WECHAT_API_BAD_CONFIG', `timeoutMs (${this.#timeoutMs}) must be under half the token store's lockTtlMs (${lockTtlMs})`)
    }
  }

  /** A pre_auth_code for the authorization page (used once; valid for the returned expires_in). */
  async createPreAuthCode (): Promise<{ preAuthCode: string, expiresIn: number }> {
    const body = await this.#componentCall('api_create_preauthcode', { component_appid: this.componentAppid })
    const { pre_auth_code: code, expires_in: expiresIn } = body
    if (typeof code !== 'string' || code === '') throw this.#badResponse('api_create_preauthcode', 'no pre_auth_code')
    return { preAuthCode: code, expiresIn: typeof expiresIn === 'number' ? expiresIn : 600 }
  }

  /** The PC authorization page; auth_type 2 offers mini programs only. WeChat comes back to `redirectUri?auth_code=…`. */
  authorizationPageUrl (preAuthCode: string, redirectUri: string, authType = 2): string {
    const params = new URLSearchParams({ component_appid: this.componentAppid, pre_auth_code: preAuthCode, redirect_uri: redirectUri, auth_type: String(authType) })
    return `${this.#authorizeUrl}?${params.toString()}`
  }

  /** Exchanges an authorization code (the page's auth_code, or an event's AuthorizationCode). */
  async queryAuth (authorizationCode: string): Promise<QueriedAuthorization> {
    const body = await this.#componentCall('api_query_auth', { component_appid: this.componentAppid, authorization_code: authorizationCode })
    const info = body.authorization_info as Json | undefined
    const appid = info?.authorizer_appid
    const accessToken = info?.authorizer_access_token
    const refreshToken = info?.authorizer_refresh_token
    const expiresIn = info?.expires_in
    if (typeof appid !== 'string' || typeof accessToken !== 'string' || typeof refreshToken !== 'string' || refreshToken === '' || typeof expiresIn !== 'number') {
      throw this.#badResponse('api_query_auth', 'no authorization_info with authorizer_appid, tokens and expires_in')
    }
    return { appid, accessToken, expiresIn, refreshToken, funcInfo: funcIds(info?.func_info) }
  }

  async authorizerInfo (appid: string): Promise<AuthorizerInfo> {
    const body = await this.#componentCall('api_get_authorizer_info', { component_appid: this.componentAppid, authorizer_appid: appid })
    const info = body.authorizer_info as Json | undefined
    if (info === undefined || info === null || typeof info !== 'object') throw this.#badResponse('api_get_authorizer_info', 'no authorizer_info')
    const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)
    return {
      appid,
      nickName: str(info.nick_name),
      headImg: str(info.head_img),
      userName: str(info.user_name),
      isMiniProgram: info.MiniProgramInfo !== undefined,
      funcInfo: funcIds((body.authorization_info as Json | undefined)?.func_info)
    }
  }

  // ExternalTokens: WechatApi asks these for the mini programs of source component.

  has (appid: string): boolean {
    return this.#isAuthorizer(appid)
  }

  async token (appid: string): Promise<string> {
    return (await this.#current(authorizerKey(appid), async () => await this.#fetchAuthorizerToken(appid))).accessToken
  }

  async renewRejected (appid: string, rejected: string): Promise<string> {
    return (await this.#renew(authorizerKey(appid), rejected, async () => await this.#fetchAuthorizerToken(appid))).accessToken
  }

  /** The component_access_token in use (cached, or fetched with the stored ticket). */
  async componentAccessToken (): Promise<string> {
    return (await this.#current(componentKey(this.componentAppid), async () => await this.#fetchComponentToken())).accessToken
  }

  async #current (key: string, fetch: () => Promise<CachedToken>): Promise<CachedToken> {
    let cached: CachedToken | undefined
    try {
      cached = await this.#store.get(key)
    } catch (err) {
      throw storeError(err, key)
    }
    if (cached !== undefined && this.#clock() < cached.refreshAt) return cached
    try {
      return await this.#store.renew(key, (t) => t !== undefined && this.#clock() < t.refreshAt, fetch)
    } catch (err) {
      if (cached !== undefined && this.#clock() < cached.expiresAt && !(err instanceof WechatApiError && err.code === 'KEFU_WECHAT_API_UNKNOWN_APP')) {
        this.#log?.warn({ key, code: (err as { code?: unknown }).code }, 'token renewal failed; using the cached token until it expires')
        return cached
      }
      throw storeError(err, key)
    }
  }

  /** Renews unless someone already replaced `rejected`: a storm of rejections makes one refresh. */
  async #renew (key: string, rejected: string, fetch: () => Promise<CachedToken>): Promise<CachedToken> {
    try {
      return await this.#store.renew(key, (t) => t !== undefined && t.accessToken !== rejected && this.#clock() < t.refreshAt, fetch)
    } catch (err) {
      throw storeError(err, key)
    }
  }

  async #fetchComponentToken (): Promise<CachedToken> {
    const api = 'api_component_token'
    let ok = false
    try {
      const ticket = await this.#state.verifyTicket()
      if (ticket === undefined) {
        throw new WechatApiError('KEFU_WECHAT_API_TOKEN_UNAVAILABLE',
          `no component_verify_ticket from WeChat within 12 hours: check the authorization-event URL (${this.componentAppid})`, { appid: this.componentAppid, api })
      }
      const obtainedAt = this.#clock()
      const body = await this.#post(api, undefined, { component_appid: this.componentAppid, component_appsecret: this.#secret, component_verify_ticket: ticket }, [this.#secret, ticket])
      const token = body.component_access_token
      const expiresIn = body.expires_in
      if (typeof token !== 'string' || token === '' || typeof expiresIn !== 'number' || !(expiresIn > 0)) throw this.#badResponse(api, 'no component_access_token and expires_in')
      ok = true
      this.#log?.info({ component: this.componentAppid, expiresIn }, 'fetched a component_access_token')
      return this.#cached(token, expiresIn, obtainedAt)
    } finally {
      this.#onTokenRefresh?.({ appid: componentKey(this.componentAppid), forced: false, ok })
    }
  }

  async #fetchAuthorizerToken (appid: string): Promise<CachedToken> {
    const api = 'api_authorizer_token'
    let ok = false
    try {
      const refreshToken = await this.#state.refreshToken(appid)
      if (refreshToken === undefined || !this.#isAuthorizer(appid)) {
        throw new WechatApiError('KEFU_WECHAT_API_UNKNOWN_APP', `mini program ${appid} has not authorized the third-party platform, or withdrew`, { appid, api })
      }
      const obtainedAt = this.#clock()
      const body = await this.#componentCall(api, { component_appid: this.componentAppid, authorizer_appid: appid, authorizer_refresh_token: refreshToken }, [refreshToken], appid)
      const token = body.authorizer_access_token
      const expiresIn = body.expires_in
      const next = body.authorizer_refresh_token
      if (typeof token !== 'string' || token === '' || typeof expiresIn !== 'number' || !(expiresIn > 0)) throw this.#badResponse(api, 'no authorizer_access_token and expires_in', appid)
      if (typeof next === 'string' && next !== '' && next !== refreshToken) await this.#state.saveRefreshToken(appid, next)
      ok = true
      this.#log?.info({ appid, expiresIn }, 'fetched an authorizer access token')
      return this.#cached(token, expiresIn, obtainedAt)
    } finally {
      this.#onTokenRefresh?.({ appid, forced: false, ok })
    }
  }

  #cached (token: string, expiresIn: number, obtainedAt: number): CachedToken {
    const lifetime = expiresIn * 1000
    return { accessToken: token, obtainedAt, expiresAt: obtainedAt + lifetime, refreshAt: obtainedAt + lifetime - Math.min(this.#marginMs, lifetime / 2) }
  }

  /** A component API with component_access_token; a rejected token (40001, 42001) is renewed once and the call retried. */
  async #componentCall (api: string, body: Json, hidden: string[] = [], appid = this.componentAppid): Promise<Json> {
    const first = await this.componentAccessToken()
    try {
      return await this.#post(api, first, body, hidden, appid)
    } catch (err) {
      if (!(err instanceof WechatApiError) || err.errcode === null || !TOKEN_REJECTED_ERRCODES.has(err.errcode)) throw err
      this.#log?.warn({ api, errcode: err.errcode }, 'WeChat rejected the component_access_token; renewing it unless another caller already did')
      const second = (await this.#renew(componentKey(this.componentAppid), first, async () => await this.#fetchComponentToken())).accessToken
      return await this.#post(api, second, body, [...hidden, first], appid)
    }
  }

  async #post (api: string, token: string | undefined, body: Json, hidden: string[], appid = this.componentAppid): Promise<Json> {
    const path = `cgi-bin/component/${api}`
    const secrets = token === undefined ? hidden : [token, ...hidden]
    const query = token === undefined ? '' : `?${new URLSearchParams({ component_access_token: token }).toString()}`
    let res: Response
    try {
      res = await this.#fetch(`${this.baseUrl}/${path}${query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs)
      })
    } catch (err) {
      const name = (err as { name?: unknown })?.name
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new WechatApiError('KEFU_WECHAT_API_TIMEOUT', `WeChat ${path} did not answer within ${this.#timeoutMs} ms (${appid})`, { appid, api: path })
      }
      const cause = (err as { cause?: { message?: unknown } })?.cause
      const detail = typeof cause?.message === 'string' ? cause.message : err instanceof Error ? err.message : String(err)
      throw new WechatApiError('KEFU_WECHAT_API_NETWORK', `WeChat ${path} unreachable for ${appid}: ${scrub(detail, secrets)}`, { appid, api: path })
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => {})
      throw this.#badResponse(api, `HTTP ${res.status}`, appid)
    }
    let value: unknown
    try {
      value = JSON.parse(await res.text())
    } catch {
      throw this.#badResponse(api, 'a body that is not JSON', appid)
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw this.#badResponse(api, 'JSON that is not an object', appid)
    const json = value as Json
    if (typeof json.errcode === 'number' && json.errcode !== 0) {
      const errmsg = scrub(typeof json.errmsg === 'string' ? json.errmsg : '', secrets)
      throw new WechatApiError('KEFU_WECHAT_API_ERRCODE', `WeChat ${path} failed for ${appid}: errcode ${json.errcode} ${errmsg}`, { appid, api: path, errcode: json.errcode, errmsg })
    }
    return json
  }

  #badResponse (api: string, what: string, appid = this.componentAppid): WechatApiError {
    return new WechatApiError('KEFU_WECHAT_API_BAD_RESPONSE', `WeChat cgi-bin/component/${api} answered for ${appid} with ${what}`, { appid, api: `cgi-bin/component/${api}` })
  }
}

function componentKey (appid: string): string {
  return `component:${appid}`
}

function authorizerKey (appid: string): string {
  return `authorizer:${appid}`
}

function funcIds (value: unknown): number[] {
  if (!Array.isArray(value)) return []
  return value.map((f) => (f as { funcscope_category?: { id?: unknown } })?.funcscope_category?.id).filter((id): id is number => typeof id === 'number')
}

function storeError (err: unknown, key: string): WechatApiError {
  if (err instanceof WechatApiError) return err
  const message = err instanceof Error ? err.message : String(err)
  return new WechatApiError('KEFU_WECHAT_API_TOKEN_UNAVAILABLE', `token store unavailable for ${key}: ${message}`, { appid: key })
}

function scrub (text: string, hidden: readonly string[]): string {
  let out = text
  for (const secret of hidden) if (secret !== '') out = out.split(secret).join('***')
  return out
}
