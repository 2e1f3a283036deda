// The fake Open Platform's types, shared by its entry point (../fake-open-platform.ts, which re-exports them) and its
// parts in this folder, in a module of their own so that no part imports the entry point back.
import type { FastifyInstance } from 'fastify'
import type { PushFieldObject } from '@kefu/wechat-crypto'
import type { FakeWechat, FakeWechatOptions } from '../fake-wechat.js'

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
