// The fake Open Platform's component APIs (cgi-bin/component/…): api_component_token, api_create_preauthcode,
// api_query_auth, api_authorizer_token and api_get_authorizer_info, refusing as WeChat refuses.
import { randomBytes } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { FakeComponentApi } from './types.js'
import { secret, type Authorization, type PlatformState } from './state.js'

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

/** Adds the component APIs to the fake WeChat's `app`, strict as startFakeOpenPlatform says, each request recorded. */
export function componentApis (app: FastifyInstance, state: PlatformState): void {
  const { component, authorizers, tickets, componentTokens, preAuthCodes, grants, authorizations, refreshCounts, failures, requests } = state
  const { componentTtl, authorizerTtl, preAuthTtl, tokenDelayMs } = state

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
    const token = componentTokens.get(raw)
    if (token === undefined) throw new Refusal(40001)
    if (token.status === 'valid' && Date.now() >= token.expiresAt) token.status = 'expired'
    if (token.status === 'expired') throw new Refusal(42001)
    if (token.status === 'invalid') throw new Refusal(40001)
  }

  function checkComponentAppid (body: Record<string, unknown>): void {
    if (body.component_appid !== component.appid) throw new Refusal(61011, 'component_appid')
  }

  function injected (api: FakeComponentApi): void {
    const queue = failures.get(api)
    const next = queue?.shift()
    if (next !== undefined) throw new Refusal(next)
  }

  function mintAuthorizerToken (appid: string): string {
    refreshCounts.set(appid, (refreshCounts.get(appid) ?? 0) + 1)
    return secret(state, state.wechat!.issueToken(appid, authorizerTtl))
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
      if (state.currentComponentToken !== undefined) componentTokens.get(state.currentComponentToken)!.status = 'invalid'
      const token = secret(state, `${++state.componentTokenRefreshes}_component_${randomBytes(60).toString('base64url')}`)
      componentTokens.set(token, { expiresAt: Date.now() + componentTtl * 1000, status: 'valid' })
      state.currentComponentToken = token
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
}
