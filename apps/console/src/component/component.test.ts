// Third-party platform mode in the console, with ingest in that mode beside it, against the fake Open Platform:
// /api/component, an administrator's round trip through WeChat's authorization page, replies going out with the
// authorizer token (refreshed on expiry), and a withdrawal stopping them.
import t from 'tap'
import ingestApp from '@kefu/ingest'
import { generateSecretKey } from '@kefu/secrets'
import { bindServer, deleteKeysAtTeardown, startSite, testKeyPrefix, within } from '@kefu/service/testing'
import { FAKE_AUTHORIZER, FAKE_COMPONENT, startFakeOpenPlatform } from '@kefu/wechat-api/testing/open-platform'
import { messageFields } from '@kefu/wechat-crypto'
import { APPS, Agent, addAgent, startConsoleSystem, signedIn } from '../../test/helper.js'

const APPID = FAKE_AUTHORIZER.appid
const OPENID = 'oCustomer0000000000000000002'
const secretKeys = [generateSecretKey('component-test')]
const redisUrl = process.env.REDIS_URL === '' ? undefined : process.env.REDIS_URL
const tokenPrefix = testKeyPrefix('console-component')
deleteKeysAtTeardown(t, tokenPrefix, redisUrl)

const fake = await startFakeOpenPlatform()
t.teardown(() => fake.close())
const sys = await startConsoleSystem(t, {
  label: 'console_component',
  captureLogs: true,
  console: { component: FAKE_COMPONENT, wechatApiBase: fake.url, componentAuthorizeUrl: fake.authorizeUrl, secretKeys, componentTokenPrefix: tokenPrefix },
  worker: { autoAssignSweepMs: 0 }
})
const bound = await bindServer()
const ingestPrefix = testKeyPrefix('console-component-ingest')
deleteKeysAtTeardown(t, ingestPrefix, redisUrl)
await startSite(t, ingestApp, {
  apps: APPS, prisma: sys.prisma, redisUrl, redisPrefix: ingestPrefix, bus: sys.bus, docs: false, secretKeys,
  component: FAKE_COMPONENT, wechatApiBase: fake.url, componentTokenPrefix: tokenPrefix
}, { server: bound.server, quiet: true })
const ingestUrl = `http://127.0.0.1:${bound.port}`
fake.setEventsUrl(`${ingestUrl}/wechat/component/events`)
await fake.pushTicket()

await addAgent(sys, 'ada', [APPS[0]!.appid], { role: 'admin', owner: true })
await addAgent(sys, 'bob', [APPS[0]!.appid])
await addAgent(sys, 'carl', [APPS[0]!.appid], { role: 'admin' })
const ada = await signedIn(sys, 'ada')
const bob = await signedIn(sys, 'bob')
const carl = await signedIn(sys, 'carl')

/** Waits for `condition`, at most 2 s: the bound issue 21 promises. */
const within2s = (condition: () => Promise<boolean>): Promise<boolean> => within(2000, condition)

t.test('GET /api/component says the mode is on and where to start', async (t) => {
  const res = await bob.api(sys, 'GET', '/api/component')
  t.equal(res.status, 200)
  t.same(res.json(), { configured: true, componentAppid: FAKE_COMPONENT.appid, authorizeUrl: '/component/authorize' })
  t.equal((await new Agent().api(sys, 'GET', '/api/component')).status, 401, 'signed in only')
})

t.test('a console without WECHAT_COMPONENT answers 404', { skip: redisUrl === undefined && 'a second console instance needs REDIS_URL (embedded run)' }, async (t) => {
  const plain = await sys.startConsole({ component: undefined })
  const res = await bob.request(plain, 'GET', '/api/component', { headers: { origin: sys.console.url } })
  t.equal(res.status, 404)
  t.equal((await ada.request(plain, 'GET', '/component/authorize')).status, 404)
})

t.test("an owner authorizes a mini program through WeChat's page; an administrator or an agent may not", async (t) => {
  t.equal((await bob.request(sys.console, 'GET', '/component/authorize')).status, 403)
  t.equal((await carl.request(sys.console, 'GET', '/component/authorize')).status, 403, 'an administrator is not an owner')
  const start = await ada.request(sys.console, 'GET', '/component/authorize')
  t.equal(start.status, 302)
  const page = new URL(start.headers.get('location')!)
  t.equal(page.origin + page.pathname, fake.authorizeUrl, "WeChat's authorization page")
  const back = new URL(page.searchParams.get('redirect_uri')!)
  t.equal(back.origin + back.pathname, `${sys.console.url}/component/callback`)
  const state = back.searchParams.get('state')!
  t.match(state, /^[A-Za-z0-9_-]{43}$/, 'a state bound to this browser')
  t.match(start.headers.getSetCookie().join('\n'), /kefu_component_state=[^;]+; Max-Age=600; Path=\/component\/callback; HttpOnly; SameSite=Lax/)
  t.equal(page.searchParams.get('component_appid'), FAKE_COMPONENT.appid)
  // The merchant scans and confirms: WeChat notifies ingest, then sends the browser back.
  const returned = await fetch(page, { redirect: 'manual' })
  t.equal(returned.status, 302)
  const callback = new URL(returned.headers.get('location')!)
  t.ok(callback.searchParams.get('auth_code'))
  t.equal(callback.searchParams.get('state'), state, 'the state comes back')
  const path = callback.pathname + callback.search
  t.equal((await bob.request(sys.console, 'GET', path)).status, 403, 'only an owner finishes it')
  // An owner's browser that did not start it (a link somebody else made) finishes nothing.
  const olga = new Agent()
  await olga.signIn(sys, 'ada')
  const elsewhere = await olga.request(sys.console, 'GET', path)
  t.equal(elsewhere.status, 400)
  t.match(elsewhere.json().message, /not started from this browser/)
  const forged = new URL(callback)
  forged.searchParams.set('state', 'A'.repeat(43))
  t.equal((await ada.request(sys.console, 'GET', forged.pathname + forged.search)).status, 400, 'another state')
  t.equal(await sys.prisma.agentApp.count({ where: { appId: APPID } }), 0, 'nothing stored for refusals')
  const done = await ada.request(sys.console, 'GET', path)
  t.equal(done.status, 303)
  t.equal(done.headers.get('location'), `/mini-programs?authorized=${APPID}`)
  t.match(done.headers.getSetCookie().join('\n'), /kefu_component_state=;/, 'the state is used once')
  t.match(await sys.prisma.miniProgram.findUnique({ where: { appId: APPID } }), { source: 'component', enabled: true, name: FAKE_AUTHORIZER.nickName, changedBy: 'ada' })
  t.same(await sys.prisma.agentApp.findMany({ where: { appId: APPID }, select: { username: true } }), [{ username: 'ada' }], 'whoever adds it serves it')
  t.equal((await ada.request(sys.console, 'GET', path)).status, 400, 'a second use of the same return')
  t.equal((await ada.request(sys.console, 'GET', `/component/callback?auth_code=made-up&state=${'B'.repeat(43)}`)).status, 400, 'a code WeChat does not know')
  t.equal((await ada.request(sys.console, 'GET', '/component/callback')).status, 400, 'no code')
})

t.test("a customer's message is stored once; replies go out with the authorizer token, refreshed on expiry; withdrawal stops them", async (t) => {
  const message = messageFields({ type: 'text', content: '在吗', toUserName: FAKE_AUTHORIZER.userName, fromUserName: OPENID, msgId: 6100000000000000001n })
  for (let i = 0; i < 2; i++) {
    const res = await fake.pushMessage(`${ingestUrl}/wechat/component/$APPID$`, APPID, message)
    t.same([res.status, res.body], [200, 'success'])
  }
  t.equal(await sys.prisma.customerMessage.count({ where: { appId: APPID } }), 1, 'one row for two deliveries')

  // The owner who authorized it answers from the console: the reply goes out with the authorizer's token.
  const component = sys.console.app.component!
  t.ok(await within2s(async () => component.api.has(APPID)), 'the console knows the mini program is served by the platform')
  const path = `/api/conversations/${APPID}/${OPENID}/messages`
  const first = await ada.api(sys, 'POST', path, { type: 'text', text: '您好，请问有什么可以帮您？' })
  t.equal(first.status, 201, first.text)
  t.match(first.json().message, { status: 'sent' })
  const sent = fake.wechat.requests.filter((r) => r.api === 'custom/send' && r.errcode === 0)
  t.equal(sent.length, 1)
  t.equal(sent[0]!.appid, APPID, "sent with the authorizer's token")
  const refreshes = fake.authorizerTokenRefreshes(APPID)
  fake.expireAuthorizerToken(APPID)
  t.equal((await ada.api(sys, 'POST', path, { type: 'text', text: '还在吗？' })).status, 201)
  t.equal(fake.authorizerTokenRefreshes(APPID), refreshes + 1, 'renewed once after 42001')
  t.equal(fake.wechat.messages(APPID).length, 2)

  // Its credentials are WeChat's, its options the team's: subscribe templates set by the owner are offered at once.
  const template = { templateId: 'tplComponentOrder-00000000000000000000000001', title: '订单状态提醒', fields: ['thing1'] }
  t.equal((await ada.api(sys, 'PUT', `/api/mini-programs/${APPID}/options`, { subscribeTemplates: [template] })).status, 200)
  const offered = (await ada.api(sys, 'GET', `/api/conversations/${APPID}/${OPENID}/subscriptions`)).json()
  t.match(offered, { canSend: true, templates: [{ templateId: template.templateId }] }, 'subscribe messages can go out for it')

  await fake.withdraw(APPID)
  t.ok(await within2s(async () => !component.api.has(APPID)), 'withdrawn: the console stops sending within 2 s')
  const refused = await ada.api(sys, 'POST', path, { type: 'text', text: 'after' })
  t.equal(refused.status, 409)
  t.equal(refused.json().code, 'KEFU_CONSOLE_NO_SECRET')
  t.equal(fake.wechat.messages(APPID).length, 2, 'nothing sent')
  t.equal(await sys.prisma.outboundMessage.count({ where: { appId: APPID } }), 2, 'nothing recorded for the refusal')
  t.equal((await fake.pushMessage(`${ingestUrl}/wechat/component/$APPID$`, APPID, { ...message, MsgId: 6100000000000000002n })).status, 404, 'nothing received')
  t.equal(await sys.prisma.customerMessage.count({ where: { appId: APPID } }), 1, 'history kept')
})

t.test('no refresh token, ticket, code or token is readable in an API response, a page or the console log', async (t) => {
  const secrets = fake.issuedSecrets()
  t.ok(secrets.length >= 4, `${secrets.length} secrets the fake handed out`)
  const seen = [
    (await ada.api(sys, 'GET', '/api/mini-programs')).text,
    (await ada.api(sys, 'GET', `/api/mini-programs/${APPID}`)).text,
    (await ada.api(sys, 'GET', '/api/component')).text,
    (await ada.request(sys.console, 'GET', '/mini-programs')).text,
    JSON.stringify(sys.logs.console)
  ].join('\n')
  t.ok(sys.logs.console.length > 0, 'the log was captured')
  for (const secret of secrets) t.notOk(seen.includes(secret), `${secret.slice(0, 12)}… nowhere`)
})
