// What the fake Open Platform remembers, shared by its component APIs, its authorization page and its pushes: the
// tickets, tokens and codes it issued, the authorizations, the failures asked for, and every request it answered.
import { RELEASE_TEST_MINI_PROGRAMS } from '../../component.js'
import type { ComponentRequest, FakeAuthorizer, FakeComponent, FakeComponentApi, FakeOpenPlatformOptions } from './types.js'
import type { FakeWechat } from '../fake-wechat.js'

export interface Grant { appid: string, expiresAt: number, funcInfo: number[] }
export interface Authorization { refreshToken: string, authorized: boolean, funcInfo: number[] }
export interface ComponentToken { expiresAt: number, status: 'valid' | 'expired' | 'invalid' }

export interface PlatformState {
  readonly component: FakeComponent
  readonly authorizers: Map<string, FakeAuthorizer>
  readonly componentTtl: number
  readonly authorizerTtl: number
  readonly preAuthTtl: number
  readonly authCodeTtl: number
  readonly tokenDelayMs: number
  readonly tickets: Map<string, number>
  readonly componentTokens: Map<string, ComponentToken>
  currentComponentToken: string | undefined
  readonly preAuthCodes: Map<string, { expiresAt: number, used: boolean }>
  readonly grants: Map<string, Grant>
  readonly authorizations: Map<string, Authorization>
  readonly refreshCounts: Map<string, number>
  readonly failures: Map<FakeComponentApi, number[]>
  readonly secrets: Set<string>
  readonly requests: ComponentRequest[]
  componentTokenRefreshes: number
  eventsUrl: string | undefined
  nextAuthorizer: string | undefined
  /** The fake WeChat the platform runs on: set once it has started (the routes are added while it starts). */
  wechat: FakeWechat | undefined
}

export function createPlatformState (component: FakeComponent, authorizerList: FakeAuthorizer[], options: FakeOpenPlatformOptions): PlatformState {
  const authorizers = new Map(authorizerList.map((a) => [a.appid, a]))
  for (const [appid, userName] of RELEASE_TEST_MINI_PROGRAMS) authorizers.set(appid, { appid, userName, nickName: '全网发布测试', headImg: '', funcInfo: [19] })
  return {
    component,
    authorizers,
    componentTtl: options.componentTokenTtlSeconds ?? 7200,
    authorizerTtl: options.authorizerTokenTtlSeconds ?? 7200,
    preAuthTtl: options.preAuthCodeTtlSeconds ?? 600,
    authCodeTtl: options.authCodeTtlSeconds ?? 3600,
    tokenDelayMs: options.tokenDelayMs ?? 0,
    tickets: new Map(),
    componentTokens: new Map(),
    currentComponentToken: undefined,
    preAuthCodes: new Map(),
    grants: new Map(),
    authorizations: new Map(),
    refreshCounts: new Map(),
    failures: new Map(),
    secrets: new Set(),
    requests: [],
    componentTokenRefreshes: 0,
    eventsUrl: undefined,
    nextAuthorizer: undefined,
    wechat: undefined
  }
}

/** Notes a secret the fake handed out (see FakeOpenPlatform.issuedSecrets) and returns it. */
export function secret (state: PlatformState, value: string): string {
  state.secrets.add(value)
  return value
}
