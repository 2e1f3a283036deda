import type { FastifyInstance } from 'fastify'
import { WechatApiError } from '@kefu/wechat-api'
import { adminOf } from '../common/guards.js'
import { BadAuthorization, WechatUnavailable } from '../common/errors.js'
import type { ConsoleComponent } from './tokens.js'

/** api_query_auth's refusals of a code: 61009 invalid (or used by a withdrawn authorization), 61010 expired. */
const CODE_REFUSED = new Set([61009, 61010])

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

  // Owners add mini programs; until the team has an owner role, an administrator (of any mini program) may.
  // An administrator goes to WeChat's authorization page with a new pre_auth_code (used once).
  fastify.get('/component/authorize', async function startAuthorization (request, reply) {
    await adminOf(request, 'authorize a mini program')
    let preAuthCode: string
    try {
      preAuthCode = (await component.api.createPreAuthCode()).preAuthCode
    } catch (err) {
      throw wechatFailure(err)
    }
    return await reply.redirect(component.api.authorizationPageUrl(preAuthCode, `${opts.publicUrl}/component/callback`), 302)
  })

  fastify.get<{ Querystring: { auth_code: string, expires_in?: string } }>('/component/callback', {
    // WeChat's authorization page sends the browser back here: the code is exchanged and the mini program added.
    schema: {
      querystring: {
        type: 'object',
        required: ['auth_code'],
        properties: { auth_code: { type: 'string', minLength: 1, maxLength: 512 }, expires_in: { type: 'string' } }
      }
    }
  }, async function finishAuthorization (request, reply) {
    const agent = await adminOf(request, 'authorize a mini program')
    let auth, info
    try {
      auth = await component.api.queryAuth(request.query.auth_code)
      info = await component.api.authorizerInfo(auth.appid)
    } catch (err) {
      throw wechatFailure(err)
    }
    if (!info.isMiniProgram) throw new BadAuthorization(`${auth.appid} is not a mini program: kefu serves mini programs only`)
    await component.store.authorize({ appid: auth.appid, refreshToken: auth.refreshToken, funcInfo: auth.funcInfo, name: info.nickName, originalId: info.userName, pictureUrl: info.headImg }, agent.username, true)
    request.log.info({ appid: auth.appid, by: agent.username, funcInfo: auth.funcInfo }, 'third-party platform: a mini program authorized')
    return await reply.redirect(`/?authorized=${encodeURIComponent(auth.appid)}`, 303)
  })
}
