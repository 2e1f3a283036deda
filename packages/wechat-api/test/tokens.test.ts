import t from 'tap'
import { createMemoryTokenStore, type WechatApiLogger } from '../src/index.js'
import { FAKE_APP } from '../src/testing/fake-wechat.js'
import { APPID, OPENID, apiFor, callsTo, fakeFor, manualClock, rejection } from './helpers.js'

const STABLE_TOKEN_BODY = { grant_type: 'client_credential', appid: FAKE_APP.appid, secret: FAKE_APP.secret, force_refresh: false }

t.test('one stable_token call with the documented JSON, then the cached token is reused', async (t) => {
  const fake = await fakeFor(t)
  const api = apiFor(fake, { clock: manualClock().now })
  for (let i = 0; i < 3; i++) await api.sendText(APPID, OPENID, `m${i}`)
  const tokenCalls = callsTo(fake, 'stable_token')
  t.equal(tokenCalls.length, 1)
  t.strictSame(tokenCalls[0]?.body, STABLE_TOKEN_BODY)
  t.same(Object.keys(tokenCalls[0]?.body as object), ['grant_type', 'appid', 'secret', 'force_refresh'])
  t.same(tokenCalls[0]?.query, {})
  t.equal(tokenCalls[0]?.method, 'POST')
  t.same(callsTo(fake, 'custom/send').map((r) => [r.token, r.errcode]), [['valid', 0], ['valid', 0], ['valid', 0]])
})

t.test('renewed in normal mode once the clock passes expiry minus the margin, not before', async (t) => {
  const fake = await fakeFor(t)
  const clock = manualClock()
  const api = apiFor(fake, { clock: clock.now, refreshMarginMs: 60_000 })
  await api.sendText(APPID, OPENID, 'a')
  clock.advance(7200_000 - 60_000 - 1)
  await api.sendText(APPID, OPENID, 'b')
  t.equal(callsTo(fake, 'stable_token').length, 1, 'still fresh 1 ms before the margin')
  clock.advance(1)
  await api.sendText(APPID, OPENID, 'c')
  const tokenCalls = callsTo(fake, 'stable_token')
  t.equal(tokenCalls.length, 2, 'renewed at the margin')
  t.strictSame(tokenCalls[1]?.body, STABLE_TOKEN_BODY, 'normal mode: force_refresh false')
})

t.test('the margin is at most half a short token lifetime (no renewal loop)', async (t) => {
  const fake = await fakeFor(t, { tokenTtlSeconds: 100 })
  const clock = manualClock()
  const api = apiFor(fake, { clock: clock.now, refreshMarginMs: 120_000 })
  await api.sendText(APPID, OPENID, 'a')
  await api.sendText(APPID, OPENID, 'b')
  clock.advance(49_999)
  await api.sendText(APPID, OPENID, 'c')
  t.equal(callsTo(fake, 'stable_token').length, 1)
  clock.advance(1)
  await api.sendText(APPID, OPENID, 'd')
  t.equal(callsTo(fake, 'stable_token').length, 2)
})

for (const how of ['invalidated by WeChat', 'failNext 40001', 'failNext 40014'] as const) {
  t.test(`rejected token (${how}): one forced refresh, one retry`, async (t) => {
    const fake = await fakeFor(t)
    const api = apiFor(fake, { clock: manualClock().now })
    await api.sendText(APPID, OPENID, 'warm')
    const first = fake.currentToken()
    if (how === 'invalidated by WeChat') fake.invalidateTokens()
    else fake.failNext('custom/send', how === 'failNext 40001' ? 40001 : 40014)
    await api.sendText(APPID, OPENID, 'after')
    const sends = callsTo(fake, 'custom/send')
    const expectedErrcode = how === 'failNext 40014' ? 40014 : 40001
    t.same(sends.map((r) => r.errcode), [0, expectedErrcode, 0], 'failed once, retried once')
    t.same(sends.slice(1).map((r) => (r.body as { text: { content: string } }).text.content), ['after', 'after'])
    const tokenCalls = callsTo(fake, 'stable_token')
    t.equal(tokenCalls.length, 2)
    t.strictSame(tokenCalls[1]?.body, { ...STABLE_TOKEN_BODY, force_refresh: true })
    t.equal(fake.forcedRefreshes, 1)
    t.not(fake.currentToken(), first, 'a new token')
    t.equal(sends[2]?.token, 'valid')
  })
}

t.test('expired token (42001): renewed in normal mode, retried once', async (t) => {
  const fake = await fakeFor(t)
  const api = apiFor(fake, { clock: manualClock().now })
  await api.sendText(APPID, OPENID, 'warm')
  fake.expireTokens()
  await api.sendText(APPID, OPENID, 'after')
  t.same(callsTo(fake, 'custom/send').map((r) => r.errcode), [0, 42001, 0])
  const tokenCalls = callsTo(fake, 'stable_token')
  t.equal(tokenCalls.length, 2)
  t.strictSame(tokenCalls[1]?.body, STABLE_TOKEN_BODY, 'force_refresh false: WeChat hands out a new token for an expired one')
  t.equal(fake.forcedRefreshes, 0)
  t.equal(fake.tokenRefreshes, 2)
})

t.test('a rejected token that is no longer the current one is not refreshed again', async (t) => {
  const fake = await fakeFor(t)
  let holdNext = false
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  // Holds the answer of one send until the test releases it: its 40001 arrives after another call refreshed.
  const gatedFetch: typeof fetch = async (input, init) => {
    const res = await fetch(input, init)
    if (holdNext && String(input).includes('/custom/send')) {
      holdNext = false
      await gate
    }
    return res
  }
  const api = apiFor(fake, { clock: manualClock().now, fetch: gatedFetch })
  await api.sendText(APPID, OPENID, 'warm')
  fake.invalidateTokens()
  holdNext = true
  const late = api.sendText(APPID, OPENID, 'late')
  await fake.waitForRequest((r) => r.api === 'custom/send' && r.errcode === 40001)
  await api.sendText(APPID, OPENID, 'early')
  t.equal(callsTo(fake, 'stable_token').length, 2, 'the early call refreshed')
  release()
  await late
  t.equal(callsTo(fake, 'stable_token').length, 2, 'the late failure found a newer token and did not refresh')
  t.equal(fake.forcedRefreshes, 1)
  t.same(callsTo(fake, 'custom/send').map((r) => [(r.body as { text: { content: string } }).text.content, r.errcode]),
    [['warm', 0], ['late', 40001], ['early', 40001], ['early', 0], ['late', 0]])
})

t.test('the retry happens once: a second rejection is the caller\'s error', async (t) => {
  const fake = await fakeFor(t)
  const api = apiFor(fake, { clock: manualClock().now })
  await api.sendText(APPID, OPENID, 'warm')
  fake.failNext('custom/send', 40001, { times: 2 })
  t.match(await rejection(api.sendText(APPID, OPENID, 'x')), { code: 'KEFU_WECHAT_API_ERRCODE', errcode: 40001, api: 'cgi-bin/message/custom/send', appid: APPID })
  t.equal(callsTo(fake, 'custom/send').length, 3, 'warm, failure, one retry')
  t.equal(callsTo(fake, 'stable_token').length, 2, 'one refresh')
})

t.test('memory store: concurrent callers share one stable_token call, cold and at renewal', async (t) => {
  const fake = await fakeFor(t, { tokenDelayMs: 20 })
  const clock = manualClock()
  const store = createMemoryTokenStore()
  // Two clients in one process sharing the store, as two plugins of one app might.
  const a = apiFor(fake, { clock: clock.now, tokenStore: store })
  const b = apiFor(fake, { clock: clock.now, tokenStore: store })
  const sendAll = async (): Promise<void> => {
    await Promise.all(Array.from({ length: 40 }, async (_, i) => { await (i % 2 === 0 ? a : b).sendText(APPID, OPENID, `m${i}`) }))
  }
  await sendAll()
  t.equal(callsTo(fake, 'stable_token').length, 1, 'cold cache: one fetch')
  clock.advance(7200_000)
  await sendAll()
  t.equal(callsTo(fake, 'stable_token').length, 2, 'expired: one renewal')
  t.equal(fake.maxConcurrentTokenRequests, 1)
  t.equal(callsTo(fake, 'custom/send').filter((r) => r.errcode === 0).length, 80)
})

t.test('a failed token fetch fails every caller that waited for it, with one stable_token call', async (t) => {
  const fake = await fakeFor(t, { tokenDelayMs: 20 })
  const api = apiFor(fake, { clock: manualClock().now })
  fake.failNext('stable_token', -1)
  const results = await Promise.allSettled(Array.from({ length: 10 }, async () => { await api.sendText(APPID, OPENID, 'x') }))
  t.equal(callsTo(fake, 'stable_token').length, 1)
  for (const r of results) {
    t.equal(r.status, 'rejected')
    if (r.status === 'rejected') t.match(r.reason, { code: 'KEFU_WECHAT_API_ERRCODE', errcode: -1, api: 'cgi-bin/stable_token' })
  }
  t.equal(callsTo(fake, 'custom/send').length, 0)
  await api.sendText(APPID, OPENID, 'recovered')
  t.equal(callsTo(fake, 'stable_token').length, 2)
})

t.test('when renewal fails, the cached token is used until it actually expires', async (t) => {
  const fake = await fakeFor(t)
  const clock = manualClock()
  const warnings: string[] = []
  const logger: WechatApiLogger = { info () {}, warn (_obj, msg) { warnings.push(msg) } }
  const api = apiFor(fake, { clock: clock.now, logger })
  await api.sendText(APPID, OPENID, 'warm')
  clock.advance(7200_000 - 1000)
  fake.failNext('stable_token', -1)
  await api.sendText(APPID, OPENID, 'on the old token')
  t.same(callsTo(fake, 'custom/send').map((r) => r.errcode), [0, 0])
  t.equal(callsTo(fake, 'stable_token').length, 2, 'renewal was tried')
  t.match(warnings, [/using the cached token/])
  clock.advance(1000)
  fake.failNext('stable_token', -1)
  t.match(await rejection(api.sendText(APPID, OPENID, 'too late')), { errcode: -1, api: 'cgi-bin/stable_token' })
  t.equal(callsTo(fake, 'custom/send').length, 2)
})

t.test('tokens are per mini program', async (t) => {
  const other = { appid: 'wxfa4e000000000002', secret: 'other-secret-000000000000000002' }
  const fake = await fakeFor(t, { apps: [FAKE_APP, other] })
  const api = apiFor(fake, { apps: [FAKE_APP, other] })
  await api.sendText(APPID, OPENID, 'a')
  await api.sendText(other.appid, OPENID, 'b')
  await api.sendText(other.appid, OPENID, 'c')
  t.same(callsTo(fake, 'stable_token').map((r) => r.appid), [APPID, other.appid])
  t.same(callsTo(fake, 'custom/send').map((r) => [r.appid, r.errcode]), [[APPID, 0], [other.appid, 0], [other.appid, 0]])
  t.not(fake.currentToken(APPID), fake.currentToken(other.appid))
})
