// The fake Open Platform's authorization page (componentloginpage), the browser's round trip through it, and what
// the merchant's confirmation does: an authorization code, and the authorized event pushed.
import { randomBytes } from 'node:crypto'
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { FakeOpenPlatform } from './types.js'
import { secret, type PlatformState } from './state.js'

/** The merchant confirms the authorization of `appid` (the page, scanned by its administrator): an authorization code. */
export function grantAuthorization (state: PlatformState, appid: string): string {
  const who = state.authorizers.get(appid)
  if (who === undefined) throw new Error(`the fake Open Platform knows no authorizer ${appid}`)
  const existing = state.authorizations.get(appid)
  const ids = who.funcInfo ?? [19, 17]
  // Re-authorizing after a cancel issues a new refresh token and kills the old.
  const refreshToken = existing?.authorized === true ? existing.refreshToken : secret(state, `refreshtoken@@@${randomBytes(32).toString('base64url')}`)
  state.authorizations.set(appid, { refreshToken, authorized: true, funcInfo: ids })
  const code = secret(state, `queryauthcode@@@${randomBytes(32).toString('base64url')}`)
  state.grants.set(code, { appid, expiresAt: Date.now() + state.authCodeTtl * 1000, funcInfo: ids })
  return code
}

/**
 * The PC authorization page: the merchant's administrator scans and confirms, then WeChat notifies the
 * authorization-event URL and sends the browser back to redirect_uri?auth_code=…&expires_in=….
 */
export function authorizationPage (app: FastifyInstance, state: PlatformState, pushAuthorized: FakeOpenPlatform['pushAuthorized']): void {
  const { component, authorizers, preAuthCodes, requests, authCodeTtl } = state
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
    const appid = query.biz_appid ?? state.nextAuthorizer ?? [...authorizers.keys()][0]!
    state.nextAuthorizer = undefined
    const authCode = grantAuthorization(state, appid)
    if (state.eventsUrl !== undefined) await pushAuthorized(appid, authCode, 'authorized')
    record(0)
    redirect.searchParams.set('auth_code', authCode)
    redirect.searchParams.set('expires_in', String(authCodeTtl))
    return reply.redirect(redirect.href, 302)
  })
}
