// The fake WeChat's stable_token: checks the appid and secret, hands out the app's live token or mints one (at once
// on force_refresh, which invalidates the token it replaces), counting calls, refreshes and calls in progress.
import { setTimeout as delay } from 'node:timers/promises'
import { exactFields, Refusal, refusal, type Answer } from './refusals.js'
import { injected, liveToken, mint, type WechatState } from './state.js'

/** Answers a stable_token call whose JSON body is `body`, with the appid it named (for the record). */
export async function stableToken (state: WechatState, body: Record<string, unknown>): Promise<{ answer: Answer, appid?: string }> {
  exactFields(body, '', { grant_type: 'string', appid: 'string', secret: 'string' }, { force_refresh: 'boolean' })
  if (body.grant_type !== 'client_credential') throw new Refusal(40035, 'grant_type')
  const appid = body.appid as string
  const secret = state.apps.get(appid)
  if (secret === undefined) return { answer: refusal(40013), appid }
  if (secret !== body.secret) return { answer: refusal(40125), appid }
  const failed = injected(state, 'stable_token')
  if (failed !== undefined) return { answer: failed, appid }
  state.tokensInFlight++
  state.maxConcurrentTokenRequests = Math.max(state.maxConcurrentTokenRequests, state.tokensInFlight)
  try {
    if (state.tokenDelayMs > 0) await delay(state.tokenDelayMs)
    if (state.tokenHold !== undefined) await state.tokenHold
    const force = body.force_refresh === true
    if (force) state.forcedRefreshes++
    const live = liveToken(state, appid)
    if (live !== undefined && !force) {
      return { answer: { errcode: 0, errmsg: 'ok', extra: { access_token: live.token, expires_in: Math.max(1, Math.floor((live.state.expiresAt - Date.now()) / 1000)) } }, appid }
    }
    // Forcing invalidates the token it replaces, at once (WeChat's rule for force_refresh).
    if (live !== undefined) live.state.status = 'invalid'
    return { answer: { errcode: 0, errmsg: 'ok', extra: { access_token: mint(state, appid), expires_in: state.ttlSeconds } }, appid }
  } finally {
    state.tokensInFlight--
  }
}
