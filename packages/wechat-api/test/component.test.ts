// The third-party platform client against the fake Open Platform: the ticket pushed encrypted as WeChat pushes it,
// component_access_token from it, the authorization page and code, authorizer info, replies with the authorizer
// token, expiry and refresh (once across two clients on one Redis), and withdrawal.
import t, { type Test } from 'tap'
import Fastify from 'fastify'
import { PushCrypto, parseXml } from '@kefu/wechat-crypto'
import { createMemoryTokenStore, createRedisTokenStore, WechatApi, WechatComponentApi, type ComponentState, type TokenStore } from '../src/index.js'
import { FAKE_AUTHORIZER, FAKE_COMPONENT, startFakeOpenPlatform, type FakeOpenPlatform } from '../src/testing/fake-open-platform.js'
import { OPENID, REDIS_URL, redisFor, rejection, testPrefix } from './helpers.js'

const APPID = FAKE_AUTHORIZER.appid

/** What a platform's authorization-event URL receives, decrypted with the platform's key; state kept in memory. */
async function platformFor (t: Test, options: Parameters<typeof startFakeOpenPlatform>[0] = {}): Promise<{ fake: FakeOpenPlatform, state: ComponentState & { refreshTokens: Map<string, string>, events: Array<Record<string, unknown>> } }> {
  const fake = await startFakeOpenPlatform(options)
  t.teardown(() => fake.close())
  const crypto = new PushCrypto({ appid: FAKE_COMPONENT.appid, token: FAKE_COMPONENT.token, encodingAESKey: FAKE_COMPONENT.encodingAESKey })
  const events: Array<Record<string, unknown>> = []
  let ticket: string | undefined
  const refreshTokens = new Map<string, string>()
  const receiver = Fastify()
  receiver.addContentTypeParser('text/xml', { parseAs: 'string' }, (_req, body, done) => { done(null, body) })
  receiver.post('/events', async (request, reply) => {
    const q = request.query as Record<string, string>
    const outer = parseXml(request.body as string).value as Record<string, string>
    const inner = { ...parseXml(crypto.decryptPush(q.timestamp!, q.nonce!, outer.Encrypt!, q.msg_signature).message).value as Record<string, unknown> }
    events.push({ ...inner, outerAppId: outer.AppId })
    if (inner.InfoType === 'component_verify_ticket') ticket = inner.ComponentVerifyTicket as string
    return await reply.send('success')
  })
  await receiver.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => receiver.close())
  fake.setEventsUrl(`http://127.0.0.1:${(receiver.server.address() as { port: number }).port}/events`)
  return {
    fake,
    state: {
      events,
      refreshTokens,
      async verifyTicket () { return ticket },
      async refreshToken (appid) { return refreshTokens.get(appid) },
      async saveRefreshToken (appid, token) { refreshTokens.set(appid, token) }
    }
  }
}

function componentFor (fake: FakeOpenPlatform, state: ComponentState, tokenStore: TokenStore = createMemoryTokenStore(), authorized = (appid: string) => appid === APPID): WechatComponentApi {
  return new WechatComponentApi({
    baseUrl: fake.url, component: FAKE_COMPONENT, state, tokenStore, isAuthorizer: authorized, authorizeUrl: fake.authorizeUrl
  })
}

/** Authorizes through the page, as an owner's browser would: the code from the redirect, exchanged. */
async function authorize (fake: FakeOpenPlatform, state: { refreshTokens: Map<string, string> }, component: WechatComponentApi): Promise<void> {
  const { preAuthCode } = await component.createPreAuthCode()
  const page = await fetch(component.authorizationPageUrl(preAuthCode, 'https://console.example/component/callback?x=1'), { redirect: 'manual' })
  const back = new URL(page.headers.get('location')!)
  const auth = await component.queryAuth(back.searchParams.get('auth_code')!)
  state.refreshTokens.set(auth.appid, auth.refreshToken)
}

t.test('the ticket arrives encrypted with the platform key, the component token comes from it once', async (t) => {
  const { fake, state } = await platformFor(t)
  const component = componentFor(fake, state)
  const early = await rejection(component.createPreAuthCode())
  t.equal(early.code, 'KEFU_WECHAT_API_TOKEN_UNAVAILABLE', 'no ticket yet: no component token')
  const pushed = await fake.pushTicket()
  t.same([pushed.status, pushed.body], [200, 'success'])
  t.match(state.events[0], { InfoType: 'component_verify_ticket', AppId: FAKE_COMPONENT.appid, outerAppId: FAKE_COMPONENT.appid, ComponentVerifyTicket: pushed.ticket })
  await component.createPreAuthCode()
  await component.createPreAuthCode()
  t.equal(fake.componentTokenRefreshes, 1, 'the component token is cached')
  const tokenCall = fake.requests.find((r) => r.api === 'api_component_token')!
  t.same(Object.keys(tokenCall.body as object).sort(), ['component_appid', 'component_appsecret', 'component_verify_ticket'])
  t.ok(fake.requests.filter((r) => r.api === 'api_create_preauthcode').every((r) => typeof r.query.component_access_token === 'string'), 'passed as component_access_token')
})

t.test('the fake is strict: unknown ticket 61006, extra field 40035, wrong secret 40125, wrong token 40001', async (t) => {
  const { fake } = await platformFor(t)
  const call = async (path: string, body: unknown): Promise<{ errcode?: number }> =>
    await (await fetch(`${fake.url}/cgi-bin/component/${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })).json() as { errcode?: number }
  const { ticket } = await fake.pushTicket().catch(() => ({ ticket: '' }))
  t.equal((await call('api_component_token', { component_appid: FAKE_COMPONENT.appid, component_appsecret: FAKE_COMPONENT.secret, component_verify_ticket: 'made-up' })).errcode, 61006)
  t.equal((await call('api_component_token', { component_appid: FAKE_COMPONENT.appid, component_appsecret: 'wrong-secret-000000000', component_verify_ticket: ticket })).errcode, 40125)
  t.equal((await call('api_component_token', { component_appid: FAKE_COMPONENT.appid, component_appsecret: FAKE_COMPONENT.secret, component_verify_ticket: ticket, extra: 'x' })).errcode, 40035)
  t.equal((await call('api_create_preauthcode?component_access_token=nope', { component_appid: FAKE_COMPONENT.appid })).errcode, 40001)
  t.equal((await call('api_create_preauthcode', { component_appid: FAKE_COMPONENT.appid })).errcode, 41001)
})

t.test('authorization through the page, authorizer info, a reply with the authorizer token', async (t) => {
  const { fake, state } = await platformFor(t)
  await fake.pushTicket()
  const component = componentFor(fake, state)
  await authorize(fake, state, component)
  t.equal(state.refreshTokens.get(APPID), fake.refreshTokenOf(APPID))
  t.match(state.events.at(-1), { InfoType: 'authorized', AuthorizerAppid: APPID }, 'WeChat notified the authorization-event URL too')
  const page = fake.requests.find((r) => r.api === 'componentloginpage')!
  t.equal(page.query.auth_type, '2', 'mini programs only')
  const again = await fetch(component.authorizationPageUrl(page.query.pre_auth_code!, 'https://console.example/cb'), { redirect: 'manual' })
  t.equal(again.status, 400, 'a pre_auth_code works once')

  const info = await component.authorizerInfo(APPID)
  t.match(info, { nickName: FAKE_AUTHORIZER.nickName, headImg: FAKE_AUTHORIZER.headImg, userName: FAKE_AUTHORIZER.userName, isMiniProgram: true, funcInfo: [19, 17] })

  const api = new WechatApi({ baseUrl: fake.url, apps: [], tokenStore: createMemoryTokenStore(), externalTokens: component })
  t.ok(api.hasApp(APPID))
  await api.sendText(APPID, OPENID, 'hello from the platform')
  t.same(fake.wechat.messages(APPID), [{ touser: OPENID, msgtype: 'text', text: { content: 'hello from the platform' } }])
  t.equal(fake.authorizerTokenRefreshes(APPID), 2, 'one token from api_query_auth, one from api_authorizer_token')
  await api.sendText(APPID, OPENID, 'again')
  t.equal(fake.authorizerTokenRefreshes(APPID), 2, 'cached')
})

t.test('expiry: the authorizer token and the component token are renewed once, and the call retried', async (t) => {
  const { fake, state } = await platformFor(t)
  await fake.pushTicket()
  const component = componentFor(fake, state)
  await authorize(fake, state, component)
  const api = new WechatApi({ baseUrl: fake.url, apps: [], tokenStore: createMemoryTokenStore(), externalTokens: component })
  await api.sendText(APPID, OPENID, 'one')
  const before = fake.authorizerTokenRefreshes(APPID)
  fake.expireAuthorizerToken(APPID)
  fake.expireComponentToken()
  await Promise.all([1, 2, 3].map(async (i) => { await api.sendText(APPID, OPENID, `after expiry ${i}`) }))
  t.equal(fake.authorizerTokenRefreshes(APPID), before + 1, 'one authorizer refresh for three rejected sends')
  t.equal(fake.componentTokenRefreshes, 2, 'the component token was renewed once on 42001')
  t.equal(fake.wechat.messages(APPID).length, 4)
})

t.test('withdrawal: no token, no send', async (t) => {
  const { fake, state } = await platformFor(t)
  await fake.pushTicket()
  let authorized = true
  const component = componentFor(fake, state, createMemoryTokenStore(), (appid) => appid === APPID && authorized)
  await authorize(fake, state, component)
  const api = new WechatApi({ baseUrl: fake.url, apps: [], tokenStore: createMemoryTokenStore(), externalTokens: component })
  await api.sendText(APPID, OPENID, 'before')
  const pushed = await fake.withdraw(APPID)
  t.equal(pushed.status, 200)
  t.match(state.events.at(-1), { InfoType: 'unauthorized', AuthorizerAppid: APPID })
  authorized = false
  state.refreshTokens.delete(APPID)
  const err = await rejection(api.sendText(APPID, OPENID, 'after'))
  t.equal(err.code, 'KEFU_WECHAT_API_UNKNOWN_APP')
  const info = await rejection(component.authorizerInfo(APPID))
  t.equal(info.errcode, 61003, 'WeChat: component is not authorized by this account')
  t.equal(fake.wechat.messages(APPID).length, 1)
})

t.test('two instances on one Redis: one component token and one authorizer refresh between them', { skip: REDIS_URL === undefined && 'REDIS_URL is not set (embedded run)' }, async (t) => {
  const prefix = testPrefix('component-two')
  await redisFor(t, prefix)
  const { fake, state } = await platformFor(t, { tokenDelayMs: 50 })
  await fake.pushTicket()
  const stores = await Promise.all([1, 2].map(async () => await createRedisTokenStore({ url: REDIS_URL as string, prefix })))
  t.teardown(async () => { for (const s of stores) await s.close() })
  const [a, b] = stores.map((store) => componentFor(fake, state, store))
  await authorize(fake, state, a!)
  t.equal(fake.componentTokenRefreshes, 1)
  const apis = [a!, b!].map((component) => new WechatApi({ baseUrl: fake.url, apps: [], tokenStore: createMemoryTokenStore(), externalTokens: component }))
  await Promise.all(apis.flatMap((api, n) => [1, 2, 3].map(async (i) => { await api.sendText(APPID, OPENID, `${n}-${i}`) })))
  t.equal(fake.authorizerTokenRefreshes(APPID), 2, 'api_query_auth, then one api_authorizer_token for both instances')
  fake.expireAuthorizerToken(APPID)
  fake.expireComponentToken()
  await Promise.all(apis.flatMap((api, n) => [1, 2, 3].map(async (i) => { await api.sendText(APPID, OPENID, `expired ${n}-${i}`) })))
  t.equal(fake.authorizerTokenRefreshes(APPID), 3, 'one refresh after expiry, across both')
  t.equal(fake.componentTokenRefreshes, 2, 'one component token renewal across both')
  t.equal(fake.wechat.messages(APPID).length, 12)
})
