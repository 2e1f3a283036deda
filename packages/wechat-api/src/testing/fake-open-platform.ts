// A local stand-in for WeChat's Open Platform as a third-party platform (第三方平台) sees it, from
// /work/shared/wechat-open-platform.md: the component APIs (api_component_token, api_create_preauthcode,
// api_query_auth, api_authorizer_token, api_get_authorizer_info), the authorization page, and the pushes to the
// platform's two URLs, encrypted with the platform's token and key as WeChat encrypts them. The mini-program APIs
// (custom/send, media, typing…) are the fake WeChat's, on the same address, taking the authorizer tokens minted here.
// This file is the one entry point: its types and startFakeOpenPlatform, which joins the parts in open-platform/.
import type { FastifyInstance } from 'fastify'
import type { PushFieldObject } from '@kefu/wechat-crypto'
import { startFakeWechat, type FakeWechat, type FakeWechatOptions } from './fake-wechat.js'
import { authorizationPage, grantAuthorization } from './open-platform/authorization-page.js'
import { componentApis } from './open-platform/component-apis.js'
import { platformPushes } from './open-platform/pushes.js'
import { createPlatformState } from './open-platform/state.js'

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

/**
 * Strict as WeChat: every body has exactly its documented fields (40035 otherwise), every component call a live
 * component_access_token in the `component_access_token` query parameter, every code works within its lifetime
 * and a pre_auth_code once. A new component_access_token or authorizer_access_token invalidates the previous one
 * at once, so two processes refreshing on their own would break each other.
 */
export async function startFakeOpenPlatform (options: FakeOpenPlatformOptions = {}): Promise<FakeOpenPlatform> {
  const component = options.component ?? FAKE_COMPONENT
  const state = createPlatformState(component, options.authorizers ?? [FAKE_AUTHORIZER], options)
  const pushes = platformPushes(state)

  function extend (app: FastifyInstance): void {
    componentApis(app, state)
    authorizationPage(app, state, pushes.pushAuthorized)
  }

  const wechat = await startFakeWechat({ ...options, apps: [], extend })
  state.wechat = wechat

  return {
    get url () { return wechat.url },
    get authorizeUrl () { return `${wechat.url}/cgi-bin/componentloginpage` },
    component,
    wechat,
    get requests () { return state.requests },
    get componentTokenRefreshes () { return state.componentTokenRefreshes },
    authorizerTokenRefreshes (appid) {
      return appid === undefined ? [...state.refreshCounts.values()].reduce((a, b) => a + b, 0) : state.refreshCounts.get(appid) ?? 0
    },
    setEventsUrl (url) { state.eventsUrl = url },
    grant (appid) { return grantAuthorization(state, appid) },
    ...pushes,
    nextAuthorizer (appid) { state.nextAuthorizer = appid },
    expireComponentToken () {
      if (state.currentComponentToken !== undefined) state.componentTokens.get(state.currentComponentToken)!.status = 'expired'
    },
    expireAuthorizerToken (appid) { wechat.expireTokens(appid) },
    failNext (api, errcode, times = 1) {
      const queue = state.failures.get(api) ?? []
      for (let i = 0; i < times; i++) queue.push(errcode)
      state.failures.set(api, queue)
    },
    issuedSecrets () { return [...state.secrets] },
    refreshTokenOf (appid) { return state.authorizations.get(appid)?.refreshToken },
    async close () { await wechat.close() }
  }
}
