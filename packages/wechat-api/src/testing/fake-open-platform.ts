// A local stand-in for WeChat's Open Platform as a third-party platform (第三方平台) sees it, from
// /work/shared/wechat-open-platform.md: the component APIs (api_component_token, api_create_preauthcode,
// api_query_auth, api_authorizer_token, api_get_authorizer_info), the authorization page, and the pushes to the
// platform's two URLs, encrypted with the platform's token and key as WeChat encrypts them. The mini-program APIs
// (custom/send, media, typing…) are the fake WeChat's, on the same address, taking the authorizer tokens minted here.
// This file is the one entry point: its types and startFakeOpenPlatform, which joins the parts in open-platform/.
import type { FastifyInstance } from 'fastify'
import { startFakeWechat } from './fake-wechat.js'
import { authorizationPage, grantAuthorization } from './open-platform/authorization-page.js'
import { componentApis } from './open-platform/component-apis.js'
import { platformPushes } from './open-platform/pushes.js'
import { createPlatformState } from './open-platform/state.js'
import type { FakeAuthorizer, FakeComponent, FakeOpenPlatform, FakeOpenPlatformOptions } from './open-platform/types.js'

export type { ComponentRequest, FakeAuthorizer, FakeComponent, FakeComponentApi, FakeOpenPlatform, FakeOpenPlatformOptions, PushResult } from './open-platform/types.js'

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
