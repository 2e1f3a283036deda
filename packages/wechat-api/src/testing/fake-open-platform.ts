// A local stand-in for WeChat's Open Platform as a third-party platform (第三方平台) sees it, from
// /work/shared/wechat-open-platform.md: the component APIs (api_component_token, api_create_preauthcode,
// api_query_auth, api_authorizer_token, api_get_authorizer_info), the authorization page, and the pushes to the
// platform's two URLs, encrypted with the platform's token and key as WeChat encrypts them. The mini-program APIs
// (custom/send, media, typing…) are the fake WeChat's, on the same address, taking the authorizer tokens minted here.
import { randomBytes, randomInt } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { computeSignature, PushCrypto, stringifyFlatXml, type PushFieldObject } from '@kefu/wechat-crypto'
import { RELEASE_TEST_MINI_PROGRAMS } from '../component.js'
import { startFakeWechat, type FakeWechat, type FakeWechatOptions } from './fake-wechat.js'

export interface FakeComponent {
  appid: string
  secret: string
  token: string
  encodingAESKey: string
}

/** A mini program that may authorize the platform: what api_get_authorizer_info tells about it. */
export interface FakeAuthorizer {
  appid: string
  nickName: string
  headImg: string
  /** 原始ID, gh_… */
  userName: string
  /** Permission sets granted (default [19, 17]: 小程序客服管理, 获取小程序码). */
  funcInfo?: number[]
}

/** The component APIs, by the short names `failNext` takes. */
export type FakeComponentApi = 'api_component_token' | 'api_create_preauthcode' | 'api_query_auth' | 'api_authorizer_token' | 'api_get_authorizer_info'

export interface FakeOpenPlatformOptions extends Omit<FakeWechatOptions, 'extend' | 'apps'> {
  component?: FakeComponent
  authorizers?: FakeAuthorizer[]
  /** expires_in of component_access_token (default 7200). */
  componentTokenTtlSeconds?: number
  /** expires_in of authorizer_access_token (default 7200). */
  authorizerTokenTtlSeconds?: number
  /** expires_in of a pre_auth_code (default 600, what the sample responses show). */
  preAuthCodeTtlSeconds?: number
  /** Lifetime of an authorization code (default 3600: AuthorizationCodeExpiredTime ~1 h ahead). */
  authCodeTtlSeconds?: number
  /** api_component_token and api_authorizer_token answer after this long, widening refresh races (default 0). */
  tokenDelayMs?: number
}

export interface ComponentRequest {
  api: FakeComponentApi | 'componentloginpage'
  query: Record<string, string>
  body: unknown
  errcode: number
  at: number
}

export interface PushResult { status: number, body: string }

export interface FakeOpenPlatform {
  /** WECHAT_API_BASE for the client: component APIs and the mini-program APIs alike. */
  readonly url: string
  /** WECHAT_COMPONENT_AUTHORIZE_URL: the authorization page (componentloginpage). */
  readonly authorizeUrl: string
  readonly component: FakeComponent
  /** The fake WeChat serving custom/send, media… with the authorizer tokens. */
  readonly wechat: FakeWechat
  readonly requests: readonly ComponentRequest[]
  /** Calls that minted a token: api_component_token, and api_authorizer_token / api_query_auth per authorizer. */
  readonly componentTokenRefreshes: number
  authorizerTokenRefreshes: (appid?: string) => number
  /** Where the authorization events go (the platform's 授权事件接收URL): needed by the page and the push helpers. */
  setEventsUrl: (url: string) => void
  /** WeChat's ten-minute push of a new component_verify_ticket; resolves with the ticket and the answer. */
  pushTicket: () => Promise<PushResult & { ticket: string }>
  /** The merchant confirms the authorization of `appid` (the page, scanned by its administrator): an authorization code. */
  grant: (appid: string) => string
  /** authorized / updateauthorized notice for an authorization code from `grant`. */
  pushAuthorized: (appid: string, code: string, infoType?: 'authorized' | 'updateauthorized') => Promise<PushResult>
  /** The merchant cancels: the refresh token and access tokens die, then unauthorized is pushed. */
  withdraw: (appid: string) => Promise<PushResult>
  /** Any InfoType, as WeChat would push it (unknown ones too). */
  pushEvent: (fields: PushFieldObject) => Promise<PushResult>
  /**
   * A customer's message to authorizer `appid`, pushed to `urlTemplate` (`…/$APPID$`) as WeChat pushes to the
   * 消息与事件接收URL. `tamper` spoils the msg_signature.
   */
  pushMessage: (urlTemplate: string, appid: string, fields: PushFieldObject, options?: { tamper?: boolean, timestamp?: string, nonce?: string }) => Promise<PushResult>
  /**
   * 全网发布 (the release check WeChat runs before a platform goes live): one of WeChat's test mini programs
   * (RELEASE_TEST_MINI_PROGRAMS, authorized automatically) sends `QUERY_AUTH_CODE:<code>` to `urlTemplate`; the
   * platform must answer at once, exchange the code and send `<code>_from_api` to the sender with custom/send.
   * `text` sends `TESTCOMPONENT_MSG_TYPE_TEXT` instead, which wants the passive reply `…_callback`.
   */
  releaseTest: (urlTemplate: string, kind?: 'query_auth_code' | 'text') => Promise<PushResult & { appid: string, openid: string, code: string }>
  /** The page answers the next visit with this authorizer (default: the first one given). */
  nextAuthorizer: (appid: string) => void
  /** The component_access_token in use expires now (calls with it get 42001). */
  expireComponentToken: () => void
  /** An authorizer's access tokens expire now (calls get 42001). */
  expireAuthorizerToken: (appid: string) => void
  failNext: (api: FakeComponentApi, errcode: number, times?: number) => void
  /** Secrets the fake handed out that must never be stored in clear or logged: refresh tokens, tickets, tokens. */
  issuedSecrets: () => string[]
  refreshTokenOf: (appid: string) => string | undefined
  close: () => Promise<void>
}

export const FAKE_COMPONENT: FakeComponent = Object.freeze({
  appid: 'wxc0a4e00000000001',
  secret: 'fake-component-secret-00000000001',
  token: 'componentToken01',
  encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'
})

export const FAKE_AUTHORIZER: FakeAuthorizer = Object.freeze({
  appid: 'wxa0a4e00000000001',
  nickName: '示例小程序',
  headImg: 'http://wx.qlogo.cn/mmopen/fake-head-img/0',
  userName: 'gh_fa4e00000001',
  funcInfo: [19, 17]
})

const ERRMSG: Record<number, string> = {
  40001: 'invalid credential, access_token is invalid or not latest',
  40013: 'invalid appid',
  40035: 'invalid args',
  40125: 'invalid appsecret',
  41001: 'access_token missing',
  42001: 'access_token expired',
  44002: 'empty post data',
  47001: 'data format error',
  61003: 'component is not authorized by this account',
  61005: 'component ticket is expired',
  61006: 'component ticket is invalid',
  61009: 'code is invalid',
  61010: 'code is expired',
  61011: 'invalid component',
  61023: 'refresh_token is invalid'
}

const TICKET_LIFETIME_MS = 12 * 3600 * 1000


class Refusal extends Error {
  constructor (readonly errcode: number, readonly hint?: string) { super(`errcode ${errcode}`) }
}

interface Grant { appid: string, expiresAt: number, funcInfo: number[] }
interface Authorization { refreshToken: string, authorized: boolean, funcInfo: number[] }
interface ComponentToken { expiresAt: number, status: 'valid' | 'expired' | 'invalid' }

/**
 * Strict as WeChat: every body has exactly its documented fields (40035 otherwise), every component call a live
 * component_access_token in the `component_access_token` query parameter, every code works within its lifetime
 * and a pre_auth_code once. A new component_access_token or authorizer_access_token invalidates the previous one
 * at once, so two processes refreshing on their own would break each other.
 */
export async function startFakeOpenPlatform (options: FakeOpenPlatformOptions = {}): Promise<FakeOpenPlatform> {
  const component = options.component ?? FAKE_COMPONENT
  const authorizers = new Map((options.authorizers ?? [FAKE_AUTHORIZER]).map((a) => [a.appid, a]))
  for (const [appid, userName] of RELEASE_TEST_MINI_PROGRAMS) authorizers.set(appid, { appid, userName, nickName: '全网发布测试', headImg: '', funcInfo: [19] })
  const componentTtl = options.componentTokenTtlSeconds ?? 7200
  const authorizerTtl = options.authorizerTokenTtlSeconds ?? 7200
  const preAuthTtl = options.preAuthCodeTtlSeconds ?? 600
  const authCodeTtl = options.authCodeTtlSeconds ?? 3600
  const tokenDelayMs = options.tokenDelayMs ?? 0
  const crypto = new PushCrypto({ appid: component.appid, token: component.token, encodingAESKey: component.encodingAESKey })
  const tickets = new Map<string, number>()
  const componentTokens = new Map<string, ComponentToken>()
  let currentComponentToken: string | undefined
  const preAuthCodes = new Map<string, { expiresAt: number, used: boolean }>()
  const grants = new Map<string, Grant>()
  const authorizations = new Map<string, Authorization>()
  const refreshCounts = new Map<string, number>()
  const failures = new Map<FakeComponentApi, number[]>()
  const secrets = new Set<string>()
  const requests: ComponentRequest[] = []
  let componentTokenRefreshes = 0
  let eventsUrl: string | undefined
  let nextAuthorizer: string | undefined

  function refuse (reply: FastifyReply, errcode: number, hint?: string): FastifyReply {
    const rid = randomBytes(6).toString('hex')
    const base = ERRMSG[errcode] ?? 'error'
    return reply.code(200).type('application/json; encoding=utf-8').send(JSON.stringify({ errcode, errmsg: `${hint === undefined ? base : `${base} hint: [${hint}]`} rid: ${rid}` }))
  }

  function exactFields (body: Record<string, unknown>, required: string[]): void {
    for (const key of Object.keys(body)) if (!required.includes(key)) throw new Refusal(40035, key)
    for (const key of required) if (typeof body[key] !== 'string' || body[key] === '') throw new Refusal(40035, key)
  }

  function parseBody (raw: unknown): Record<string, unknown> {
    if (!Buffer.isBuffer(raw) || raw.length === 0) throw new Refusal(44002)
    let value: unknown
    try {
      value = JSON.parse(raw.toString('utf8'))
    } catch {
      throw new Refusal(47001)
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Refusal(47001)
    return value as Record<string, unknown>
  }

  function checkComponentToken (request: FastifyRequest): void {
    const query = request.query as Record<string, unknown>
    for (const key of Object.keys(query)) if (key !== 'component_access_token') throw new Refusal(40035, key)
    const raw = query.component_access_token
    if (typeof raw !== 'string' || raw === '') throw new Refusal(41001, 'component_access_token')
    const state = componentTokens.get(raw)
    if (state === undefined) throw new Refusal(40001)
    if (state.status === 'valid' && Date.now() >= state.expiresAt) state.status = 'expired'
    if (state.status === 'expired') throw new Refusal(42001)
    if (state.status === 'invalid') throw new Refusal(40001)
  }

  function checkComponentAppid (body: Record<string, unknown>): void {
    if (body.component_appid !== component.appid) throw new Refusal(61011, 'component_appid')
  }

  function injected (api: FakeComponentApi): void {
    const queue = failures.get(api)
    const next = queue?.shift()
    if (next !== undefined) throw new Refusal(next)
  }

  function secret (value: string): string {
    secrets.add(value)
    return value
  }

  function mintAuthorizerToken (appid: string): string {
    refreshCounts.set(appid, (refreshCounts.get(appid) ?? 0) + 1)
    return secret(wechat.issueToken(appid, authorizerTtl))
  }

  function funcInfo (ids: number[]): unknown[] {
    return ids.map((id) => ({ funcscope_category: { id } }))
  }

  function liveAuthorization (appid: unknown): Authorization {
    const found = typeof appid === 'string' ? authorizations.get(appid) : undefined
    if (found === undefined || !found.authorized) throw new Refusal(61003)
    return found
  }

  const handlers: Record<FakeComponentApi, (request: FastifyRequest, body: Record<string, unknown>) => Promise<Record<string, unknown>>> = {
    async api_component_token (request, body) {
      if (Object.keys(request.query as object).length > 0) throw new Refusal(40035, Object.keys(request.query as object)[0])
      exactFields(body, ['component_appid', 'component_appsecret', 'component_verify_ticket'])
      checkComponentAppid(body)
      if (body.component_appsecret !== component.secret) throw new Refusal(40125)
      const issued = tickets.get(body.component_verify_ticket as string)
      if (issued === undefined) throw new Refusal(61006)
      if (Date.now() - issued >= TICKET_LIFETIME_MS) throw new Refusal(61005)
      injected('api_component_token')
      if (tokenDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, tokenDelayMs))
      // A new fetch invalidates the token before it.
      if (currentComponentToken !== undefined) componentTokens.get(currentComponentToken)!.status = 'invalid'
      const token = secret(`${++componentTokenRefreshes}_component_${randomBytes(60).toString('base64url')}`)
      componentTokens.set(token, { expiresAt: Date.now() + componentTtl * 1000, status: 'valid' })
      currentComponentToken = token
      return { component_access_token: token, expires_in: componentTtl }
    },
    async api_create_preauthcode (request, body) {
      checkComponentToken(request)
      exactFields(body, ['component_appid'])
      checkComponentAppid(body)
      injected('api_create_preauthcode')
      const code = `preauthcode@@@${randomBytes(24).toString('base64url')}`
      preAuthCodes.set(code, { expiresAt: Date.now() + preAuthTtl * 1000, used: false })
      return { pre_auth_code: code, expires_in: preAuthTtl }
    },
    async api_query_auth (request, body) {
      checkComponentToken(request)
      exactFields(body, ['component_appid', 'authorization_code'])
      checkComponentAppid(body)
      const grant = grants.get(body.authorization_code as string)
      if (grant === undefined) throw new Refusal(61009)
      if (Date.now() >= grant.expiresAt) throw new Refusal(61010)
      injected('api_query_auth')
      const auth = authorizations.get(grant.appid)!
      if (!auth.authorized) throw new Refusal(61009)
      return {
        authorization_info: {
          authorizer_appid: grant.appid,
          authorizer_access_token: mintAuthorizerToken(grant.appid),
          expires_in: authorizerTtl,
          authorizer_refresh_token: auth.refreshToken,
          func_info: funcInfo(grant.funcInfo)
        }
      }
    },
    async api_authorizer_token (request, body) {
      checkComponentToken(request)
      exactFields(body, ['component_appid', 'authorizer_appid', 'authorizer_refresh_token'])
      checkComponentAppid(body)
      const auth = liveAuthorization(body.authorizer_appid)
      if (body.authorizer_refresh_token !== auth.refreshToken) throw new Refusal(61023)
      injected('api_authorizer_token')
      if (tokenDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, tokenDelayMs))
      return { authorizer_access_token: mintAuthorizerToken(body.authorizer_appid as string), expires_in: authorizerTtl, authorizer_refresh_token: auth.refreshToken }
    },
    async api_get_authorizer_info (request, body) {
      checkComponentToken(request)
      exactFields(body, ['component_appid', 'authorizer_appid'])
      checkComponentAppid(body)
      const auth = liveAuthorization(body.authorizer_appid)
      injected('api_get_authorizer_info')
      const who = authorizers.get(body.authorizer_appid as string)!
      return {
        authorizer_info: {
          nick_name: who.nickName,
          head_img: who.headImg,
          service_type_info: { id: 0 },
          verify_type_info: { id: -1 },
          user_name: who.userName,
          principal_name: '示例公司',
          signature: '',
          business_info: { open_store: 0, open_scan: 0, open_pay: 0, open_card: 0, open_shake: 0 },
          qrcode_url: 'http://mmbiz.qpic.cn/mmbiz_jpg/fake-qrcode/0',
          account_status: 1,
          MiniProgramInfo: { network: { RequestDomain: [], WsRequestDomain: [], UploadDomain: [], DownloadDomain: [], BizDomain: [], UDPDomain: [] }, categories: [] },
          register_type: 0,
          basic_config: { is_phone_configured: true, is_email_configured: false }
        },
        authorization_info: { authorizer_appid: body.authorizer_appid, authorizer_refresh_token: auth.refreshToken, func_info: funcInfo(auth.funcInfo) }
      }
    }
  }

  function extend (app: FastifyInstance): void {
    for (const api of Object.keys(handlers) as FakeComponentApi[]) {
      app.route({
        method: ['GET', 'POST'],
        url: `/cgi-bin/component/${api}`,
        handler: async function componentApi (request, reply) {
          const query = Object.fromEntries(Object.entries(request.query as Record<string, unknown>).map(([k, v]) => [k, String(v)]))
          let body: unknown
          try {
            if (request.method !== 'POST') throw new Refusal(43002)
            const parsed = parseBody(request.body)
            body = parsed
            const answer = await handlers[api](request, parsed)
            requests.push({ api, query, body, errcode: 0, at: Date.now() })
            return reply.type('application/json; encoding=utf-8').send(JSON.stringify(answer))
          } catch (err) {
            if (!(err instanceof Refusal)) throw err
            requests.push({ api, query, body, errcode: err.errcode, at: Date.now() })
            return refuse(reply, err.errcode, err.hint)
          }
        }
      })
    }
    // The PC authorization page: the merchant's administrator scans and confirms, then WeChat notifies the
    // authorization-event URL and sends the browser back to redirect_uri?auth_code=…&expires_in=….
    app.get('/cgi-bin/componentloginpage', async function loginPage (request, reply) {
      const query = request.query as Record<string, string | undefined>
      const record = (errcode: number): void => { requests.push({ api: 'componentloginpage', query: query as Record<string, string>, body: undefined, errcode, at: Date.now() }) }
      const page = (status: number, text: string): FastifyReply => reply.code(status).type('text/plain; charset=utf-8').send(text)
      if (query.component_appid !== component.appid) { record(61011); return page(400, 'invalid component_appid') }
      const code = query.pre_auth_code === undefined ? undefined : preAuthCodes.get(query.pre_auth_code)
      if (code === undefined || code.used || Date.now() >= code.expiresAt) { record(61009); return page(400, 'pre_auth_code is invalid or expired') }
      let redirect: URL
      try {
        redirect = new URL(query.redirect_uri ?? '')
      } catch {
        record(40035)
        return page(400, 'redirect_uri is not a URL')
      }
      if (query.auth_type !== undefined && query.biz_appid !== undefined) { record(40035); return page(400, 'auth_type and biz_appid are mutually exclusive') }
      code.used = true
      const appid = query.biz_appid ?? nextAuthorizer ?? [...authorizers.keys()][0]!
      nextAuthorizer = undefined
      const authCode = grant(appid)
      if (eventsUrl !== undefined) await pushAuthorized(appid, authCode, 'authorized')
      record(0)
      redirect.searchParams.set('auth_code', authCode)
      redirect.searchParams.set('expires_in', String(authCodeTtl))
      return reply.redirect(redirect.href, 302)
    })
  }

  const wechat = await startFakeWechat({ ...options, apps: [], extend })

  function grant (appid: string): string {
    const who = authorizers.get(appid)
    if (who === undefined) throw new Error(`the fake Open Platform knows no authorizer ${appid}`)
    const existing = authorizations.get(appid)
    const ids = who.funcInfo ?? [19, 17]
    // Re-authorizing after a cancel issues a new refresh token and kills the old.
    const refreshToken = existing?.authorized === true ? existing.refreshToken : secret(`refreshtoken@@@${randomBytes(32).toString('base64url')}`)
    authorizations.set(appid, { refreshToken, authorized: true, funcInfo: ids })
    const code = secret(`queryauthcode@@@${randomBytes(32).toString('base64url')}`)
    grants.set(code, { appid, expiresAt: Date.now() + authCodeTtl * 1000, funcInfo: ids })
    return code
  }

  async function post (url: string, query: Record<string, string>, body: string): Promise<PushResult> {
    const target = new URL(url)
    for (const [k, v] of Object.entries(query)) target.searchParams.set(k, v)
    const res = await fetch(target, { method: 'POST', headers: { 'content-type': 'text/xml' }, body })
    return { status: res.status, body: await res.text() }
  }

  function envelope (fields: PushFieldObject, outer: PushFieldObject, opts: { tamper?: boolean, timestamp?: string, nonce?: string } = {}): { query: Record<string, string>, body: string } {
    const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000).toString()
    const nonce = opts.nonce ?? randomInt(1e9, 1e10 - 1).toString()
    const reply = crypto.encryptReply(stringifyFlatXml(fields), timestamp, nonce)
    const msgSignature = opts.tamper === true ? reply.MsgSignature.replace(/^./, (c) => (c === '0' ? '1' : '0')) : reply.MsgSignature
    return {
      query: { signature: computeSignature(component.token, timestamp, nonce), timestamp, nonce, encrypt_type: 'aes', msg_signature: msgSignature },
      body: stringifyFlatXml({ ...outer, Encrypt: reply.Encrypt })
    }
  }

  async function pushEvent (fields: PushFieldObject): Promise<PushResult> {
    if (eventsUrl === undefined) throw new Error('setEventsUrl first: the fake Open Platform has nowhere to push authorization events')
    const { query, body } = envelope(fields, { AppId: component.appid })
    return await post(eventsUrl, query, body)
  }

  async function pushAuthorized (appid: string, code: string, infoType: 'authorized' | 'updateauthorized' = 'authorized'): Promise<PushResult> {
    const now = Math.floor(Date.now() / 1000)
    return await pushEvent({
      AppId: component.appid,
      CreateTime: now,
      InfoType: infoType,
      AuthorizerAppid: appid,
      AuthorizationCode: code,
      AuthorizationCodeExpiredTime: now + authCodeTtl,
      PreAuthCode: `preauthcode@@@${randomBytes(12).toString('base64url')}`
    })
  }

  return {
    get url () { return wechat.url },
    get authorizeUrl () { return `${wechat.url}/cgi-bin/componentloginpage` },
    component,
    wechat,
    get requests () { return requests },
    get componentTokenRefreshes () { return componentTokenRefreshes },
    authorizerTokenRefreshes (appid) {
      return appid === undefined ? [...refreshCounts.values()].reduce((a, b) => a + b, 0) : refreshCounts.get(appid) ?? 0
    },
    setEventsUrl (url) { eventsUrl = url },
    async pushTicket () {
      const ticket = secret(`ticket@@@${randomBytes(40).toString('base64url')}`)
      tickets.set(ticket, Date.now())
      const result = await pushEvent({ AppId: component.appid, CreateTime: Math.floor(Date.now() / 1000), InfoType: 'component_verify_ticket', ComponentVerifyTicket: ticket })
      return { ...result, ticket }
    },
    grant,
    pushAuthorized,
    async withdraw (appid) {
      const auth = authorizations.get(appid)
      if (auth !== undefined) auth.authorized = false
      wechat.invalidateTokens(appid)
      return await pushEvent({ AppId: component.appid, CreateTime: Math.floor(Date.now() / 1000), InfoType: 'unauthorized', AuthorizerAppid: appid })
    },
    pushEvent,
    async pushMessage (urlTemplate, appid, fields, opts = {}) {
      const { query, body } = envelope(fields, { ToUserName: fields.ToUserName ?? '' }, opts)
      if (typeof fields.FromUserName === 'string') query.openid = fields.FromUserName
      return await post(urlTemplate.replace('$APPID$', appid), query, body)
    },
    async releaseTest (urlTemplate, kind = 'query_auth_code') {
      const [appid, userName] = [...RELEASE_TEST_MINI_PROGRAMS][randomInt(RELEASE_TEST_MINI_PROGRAMS.size)]!
      const openid = `oRelease${randomBytes(10).toString('hex')}`
      const code = kind === 'text' ? '' : grant(appid)
      const fields = {
        ToUserName: userName,
        FromUserName: openid,
        CreateTime: Math.floor(Date.now() / 1000),
        MsgType: 'text',
        Content: kind === 'text' ? 'TESTCOMPONENT_MSG_TYPE_TEXT' : `QUERY_AUTH_CODE:${code}`,
        MsgId: BigInt(randomInt(1e9, 1e10 - 1)) * 1_000_000_000n + BigInt(randomInt(1e9 - 1))
      }
      const { query, body } = envelope(fields, { ToUserName: userName })
      query.openid = openid
      return { ...await post(urlTemplate.replace('$APPID$', appid), query, body), appid, openid, code }
    },
    nextAuthorizer (appid) { nextAuthorizer = appid },
    expireComponentToken () {
      if (currentComponentToken !== undefined) componentTokens.get(currentComponentToken)!.status = 'expired'
    },
    expireAuthorizerToken (appid) { wechat.expireTokens(appid) },
    failNext (api, errcode, times = 1) {
      const queue = failures.get(api) ?? []
      for (let i = 0; i < times; i++) queue.push(errcode)
      failures.set(api, queue)
    },
    issuedSecrets () { return [...secrets] },
    refreshTokenOf (appid) { return authorizations.get(appid)?.refreshToken },
    async close () { await wechat.close() }
  }
}
