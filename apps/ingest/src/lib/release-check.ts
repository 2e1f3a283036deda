// 全网发布: before a third-party platform goes live, WeChat checks it with test accounts of its own
// (RELEASE_TEST_MINI_PROGRAMS and RELEASE_TEST_OFFICIAL_ACCOUNTS), which message the platform's message URL:
// - `TESTCOMPONENT_MSG_TYPE_TEXT` wants the passive (encrypted) reply `TESTCOMPONENT_MSG_TYPE_TEXT_callback`;
// - `QUERY_AUTH_CODE:<code>` wants an empty answer at once, then api_query_auth with that code and a custom/send of
//   `<code>_from_api` to the sender, with the authorizer token the exchange gave;
// - an event wants the passive reply `<Event>from_callback` (older descriptions of the check).
// Nothing of it is stored: the accounts are WeChat's, not customers'.
import { createMemoryTokenStore, RELEASE_TEST_MINI_PROGRAMS, RELEASE_TEST_OFFICIAL_ACCOUNTS, WechatApi, WechatApiError, type ExternalTokens, type WechatComponentApi } from '@kefu/wechat-api'

export const RELEASE_TEST_TEXT = 'TESTCOMPONENT_MSG_TYPE_TEXT'
export const QUERY_AUTH_CODE = 'QUERY_AUTH_CODE:'
/** api_query_auth's refusals of a code (invalid, expired): some reports say the code in Content is refused this way. */
const CODE_REFUSED = new Set([61009, 61010])

export function isReleaseTestAccount (appid: string): boolean {
  return RELEASE_TEST_MINI_PROGRAMS.has(appid) || RELEASE_TEST_OFFICIAL_ACCOUNTS.has(appid)
}

/** What to answer: a passive text reply (its content), or nothing (`success`), and what to do after answering. */
export interface ReleaseCheckAnswer { replyText?: string, after?: () => Promise<void> }

export interface ReleaseCheckOptions {
  api: WechatComponentApi
  wechatApiBase?: string
  fetch?: typeof fetch
  now: () => number
  log: { info: (obj: object, msg: string) => void, warn: (obj: object, msg: string) => void }
}

export function createReleaseCheck (opts: ReleaseCheckOptions): (appid: string, fields: Record<string, unknown>) => ReleaseCheckAnswer {
  /** custom/send of `content` to `openid` of `appid`, with `tokens`' authorizer token. */
  async function send (appid: string, openid: string, content: string, tokens: ExternalTokens): Promise<void> {
    const store = createMemoryTokenStore()
    try {
      const api = new WechatApi({ baseUrl: opts.wechatApiBase, apps: [], tokenStore: store, fetch: opts.fetch, clock: opts.now, externalTokens: tokens })
      await api.sendMessage(appid, openid, { msgtype: 'text', text: { content } })
    } finally {
      await store.close()
    }
  }

  /** The code exchanged; the token it gives answers the sender. Falls back to the token of an authorization already kept. */
  async function answerWithApi (appid: string, openid: string, code: string): Promise<void> {
    let tokens: ExternalTokens
    try {
      const auth = await opts.api.queryAuth(code)
      const token = auth.accessToken
      tokens = { has: (a) => a === appid, token: async () => token, renewRejected: async () => { throw new Error('the release check gives one token') } }
    } catch (err) {
      if (!(err instanceof WechatApiError && err.errcode !== null && CODE_REFUSED.has(err.errcode) && opts.api.has(appid))) throw err
      // The authorization event's code was exchanged first: the authorizer token of the kept authorization serves.
      tokens = opts.api
    }
    await send(appid, openid, `${code}_from_api`, tokens)
  }

  return function releaseCheck (appid, fields) {
    const msgType = fields.MsgType
    const content = typeof fields.Content === 'string' ? fields.Content : ''
    const openid = typeof fields.FromUserName === 'string' ? fields.FromUserName : ''
    if (msgType === 'event' && typeof fields.Event === 'string') return { replyText: `${fields.Event}from_callback` }
    if (msgType === 'text' && content === RELEASE_TEST_TEXT) return { replyText: `${RELEASE_TEST_TEXT}_callback` }
    if (msgType === 'text' && content.startsWith(QUERY_AUTH_CODE) && openid !== '') {
      const code = content.slice(QUERY_AUTH_CODE.length)
      return {
        after: async () => {
          try {
            await answerWithApi(appid, openid, code)
            opts.log.info({ appid }, 'release check: answered through the API')
          } catch (err) {
            opts.log.warn({ appid, err: (err as Error).message }, 'release check: the API answer failed')
          }
        }
      }
    }
    opts.log.info({ appid, msg_type: msgType }, 'release check: a test message kefu does not answer')
    return {}
  }
}
