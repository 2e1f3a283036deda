// One HTTP exchange with WeChat's API: the URL with its access_token, the body built afresh for each try, the
// timeout, and whatever goes wrong turned into a WechatApiError with the secret and the tokens scrubbed out.
import { WechatApiError } from './errors.js'

export type Answer<T> = { ok: true, value: T } | { ok: false, errcode: number, errmsg: string }

export interface Call<T> {
  api: string
  method: 'GET' | 'POST'
  query?: Record<string, string>
  /** Built again for the retry: a FormData or a stream cannot be sent twice. */
  body?: () => { body: string | FormData, contentType?: string }
  read: (res: Response, ctx: CallContext) => Promise<Answer<T>>
}

export interface CallContext { appid: string, api: string, maxMediaBytes: number }

/** Where and how calls go: the client's settings that every exchange uses. */
export interface Transport {
  baseUrl: string
  fetchImpl: typeof fetch
  timeoutMs: number
  maxMediaBytes: number
}

/**
 * One HTTP exchange. Whatever goes wrong becomes a WechatApiError with the secret and the tokens of this call
 * (`token`, and `earlier` ones WeChat might still quote) scrubbed out.
 */
export async function attempt<T> (transport: Transport, app: { appid: string, secret: string }, call: Call<T>, token: string | undefined, earlier: string[]): Promise<Answer<T>> {
  const hidden = token === undefined ? [app.secret, ...earlier] : [token, app.secret, ...earlier]
  const params = new URLSearchParams()
  if (token !== undefined) params.set('access_token', token)
  for (const [k, v] of Object.entries(call.query ?? {})) params.set(k, v)
  const search = params.size > 0 ? `?${params.toString()}` : ''
  const init: RequestInit = { method: call.method, signal: AbortSignal.timeout(transport.timeoutMs) }
  if (call.body !== undefined) {
    const { body, contentType } = call.body()
    init.body = body
    if (contentType !== undefined) init.headers = { 'content-type': contentType }
  }
  const ctx: CallContext = { appid: app.appid, api: call.api, maxMediaBytes: transport.maxMediaBytes }
  try {
    const res = await transport.fetchImpl(`${transport.baseUrl}/${call.api}${search}`, init)
    const answer = await call.read(res, ctx)
    return answer.ok ? answer : { ok: false, errcode: answer.errcode, errmsg: scrub(answer.errmsg, hidden) }
  } catch (err) {
    if (err instanceof WechatApiError) throw err
    throw transportError(err, ctx, transport.timeoutMs, hidden)
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

/** WeChat's access tokens look like `86_` followed by a long opaque string: hide any, not only the ones we know. */
const TOKEN_LIKE = /\b\d{1,4}_[A-Za-z0-9_-]{60,}/g

function scrub (text: string, hidden: readonly string[]): string {
  let out = text
  for (const secret of hidden) {
    if (secret !== '') out = out.split(secret).join('***')
  }
  return out.replace(TOKEN_LIKE, '***')
}
