import { randomBytes } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type {} from '@fastify/cookie'
import { WechatApiError } from '@kefu/wechat-api'
import { ownerOf } from '../common/guards.js'
import { BadAuthorization, WechatUnavailable } from '../common/errors.js'
import type { ConsoleComponent } from './tokens.js'

/** api_query_auth's refusals of a code: 61009 invalid (or used by a withdrawn authorization), 61010 expired. */
const CODE_REFUSED = new Set([61009, 61010])
/** The authorization's round trip: WeChat's page allows 10 minutes for a pre_auth_code, the browser as long. */
const STATE_MAX_AGE_S = 600
const STATE_PATTERN = /^[A-Za-z0-9_-]{43}$/

export interface ComponentRoutesOptions { component: ConsoleComponent, publicUrl: string }

/** Registered only in third-party platform mode. */
export default async function componentRoutes (fastify: FastifyInstance, opts: ComponentRoutesOptions): Promise<void> {
  const component = opts.component

  function wechatFailure (err: unknown): Error {
    if (!(err instanceof WechatApiError)) return err as Error
    if (err.errcode !== null && CODE_REFUSED.has(err.errcode)) return new BadAuthorization('WeChat refused the authorization code (invalid or expired): authorize again')
    return new WechatUnavailable(err.errcode === null ? err.message : `errcode ${err.errcode} ${err.explain('en')}`)
  }

  fastify.get('/api/component', {
    // Whether third-party platform mode is on, and where an administrator starts an authorization.
    schema: {
      response: { 200: { type: 'object', properties: { configured: { type: 'boolean' }, componentAppid: { type: 'string' }, authorizeUrl: { type: 'string' } } } }
    }
  }, async function componentStatus (request) {
    await request.agent()
    return { configured: true, componentAppid: component.config.appid, authorizeUrl: '/component/authorize' }
  })

  // The round trip is bound to the browser that started it: a state in the redirect URI and in a cookie of this
  // path, so that nobody can make an owner's browser finish an authorization somebody else started.
  function stateCookie (request: FastifyRequest): string {
    return request.protocol === 'https' ? '__Secure-kefu_component_state' : 'kefu_component_state'
  }
  const cookieOptions = (request: FastifyRequest): { path: string, httpOnly: true, sameSite: 'lax', secure: boolean } =>
    ({ path: '/component/callback', httpOnly: true, sameSite: 'lax', secure: request.protocol === 'https' })

  // Owners add mini programs (the Mini programs page is theirs); one goes to WeChat's authorization page with a new
  // pre_auth_code (used once).
  fastify.get('/component/authorize', async function startAuthorization (request, reply) {
    await ownerOf(request, 'authorize a mini program')
    let preAuthCode: string
    try {
      preAuthCode = (await component.api.createPreAuthCode()).preAuthCode
    } catch (err) {
      throw wechatFailure(err)
    }
    const state = randomBytes(32).toString('base64url')
    void reply.setCookie(stateCookie(request), state, { ...cookieOptions(request), maxAge: STATE_MAX_AGE_S })
    const back = `${opts.publicUrl}/component/callback?state=${state}`
    return await reply.redirect(component.api.authorizationPageUrl(preAuthCode, back), 302)
  })

  fastify.get<{ Querystring: { auth_code: string, expires_in?: string, state: string } }>('/component/callback', {
    // WeChat's authorization page sends the browser back here: the code is exchanged and the mini program added.
    schema: {
      querystring: {
        type: 'object',
        required: ['auth_code', 'state'],
        properties: { auth_code: { type: 'string', minLength: 1, maxLength: 512 }, expires_in: { type: 'string' }, state: { type: 'string', maxLength: 64 } }
      }
    }
  }, async function finishAuthorization (request, reply) {
    const agent = await ownerOf(request, 'authorize a mini program')
    const expected = request.cookies[stateCookie(request)]
    const given = request.query.state
    if (expected === undefined || !STATE_PATTERN.test(given) || given !== expected) {
      throw new BadAuthorization('this authorization was not started from this browser (or took over 10 minutes): start it again from the Mini programs page')
    }
    void reply.clearCookie(stateCookie(request), cookieOptions(request))
    let auth, info
    try {
      auth = await component.api.queryAuth(request.query.auth_code)
      info = await component.api.authorizerInfo(auth.appid)
    } catch (err) {
      throw wechatFailure(err)
    }
    if (!info.isMiniProgram) throw new BadAuthorization(`${auth.appid} is not a mini program: kefu serves mini programs only`)
    await component.store.authorize({ appid: auth.appid, refreshToken: auth.refreshToken, funcInfo: auth.funcInfo, name: info.nickName, originalId: info.userName, pictureUrl: info.headImg }, agent.username, true)
    // Whoever adds it serves it, as with a mini program added by hand: they assign its agents on the team page.
    await fastify.consoleStore.assign(agent.username, [auth.appid])
    request.log.info({ appid: auth.appid, by: agent.username, funcInfo: auth.funcInfo }, 'third-party platform: a mini program authorized')
    return await reply.redirect(`/mini-programs?authorized=${encodeURIComponent(auth.appid)}`, 303)
  })
}
