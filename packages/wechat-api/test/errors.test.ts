import t from 'tap'
import { createServer } from 'node:net'
import { inspect } from 'node:util'
import {
  createMemoryTokenStore, explainErrcode, explainedErrcodes, WechatApi, WechatApiError, type TokenStore, type WechatApiLogger
} from '../src/index.js'
import { FAKE_APP } from '../src/testing/fake-wechat.js'
import { APPID, OPENID, apiFor, callsTo, fakeFor, rejection } from './helpers.js'

t.test('explanations: every code the console meets has its own line in Chinese and English', async (t) => {
  const expected: Array<[number, RegExp, RegExp]> = [
    [45015, /48 小时/, /48 hours/],
    [45047, /5 条/, /5 replies/],
    [40001, /access_token/, /access token/],
    [42001, /过期/, /expired/],
    [40014, /access_token/, /access token/],
    [40003, /OpenID/, /openid/],
    [45011, /频繁/, /rate limit/],
    [48001, /未授权/, /not authorized/],
    [40007, /media_id/, /media id/],
    [44002, /为空/, /empty/],
    [43004, /拒收/, /refused/],
    [-1, /繁忙/, /busy/]
  ]
  const genericZh = explainErrcode(99999, 'zh')
  const genericEn = explainErrcode(99999, 'en')
  for (const [code, zh, en] of expected) {
    t.match(explainErrcode(code, 'zh'), zh, `${code} zh`)
    t.match(explainErrcode(code, 'en'), en, `${code} en`)
    t.ok(/[\u4e00-\u9fff]/.test(explainErrcode(code, 'zh')), `${code} zh is Chinese`)
    t.notOk(/[\u4e00-\u9fff]/.test(explainErrcode(code, 'en')), `${code} en is not`)
    t.ok(explainedErrcodes().includes(code))
  }
  const lines = explainedErrcodes().map((c) => explainErrcode(c, 'en'))
  t.equal(new Set(lines).size, lines.length, 'no two codes share a line')
  t.notOk(lines.includes(genericEn))
  t.match(genericZh, /99999/)
  t.match(genericEn, /error code 99999/)
  t.equal(explainErrcode(45015), explainErrcode(45015, 'en'), 'English by default')
})

t.test('a WeChat errcode becomes a WechatApiError with errcode, errmsg and explanation, and is not retried', async (t) => {
  const fake = await fakeFor(t)
  const api = apiFor(fake)
  await api.sendText(APPID, OPENID, 'warm')
  fake.failNext('custom/send', 45015)
  const err = await rejection(api.sendText(APPID, OPENID, 'too late'))
  t.ok(err instanceof Error)
  t.match(err, {
    name: 'WechatApiError', code: 'KEFU_WECHAT_API_ERRCODE', statusCode: 502, errcode: 45015,
    appid: APPID, api: 'cgi-bin/message/custom/send'
  })
  t.match(err.errmsg, /^response out of time limit or subscription is canceled rid: [0-9a-f]+$/)
  t.match(err.message, /cgi-bin\/message\/custom\/send failed for wxfa4e000000000001: errcode 45015/)
  t.equal(err.explain('zh'), explainErrcode(45015, 'zh'))
  t.equal(err.explain('en'), explainErrcode(45015, 'en'))
  t.equal(callsTo(fake, 'custom/send').length, 2, 'no retry for 45015')
  t.equal(callsTo(fake, 'stable_token').length, 1, 'no refresh for 45015')
})

t.test('the access token and the secret appear in no error and no log line', async (t) => {
  const fake = await fakeFor(t)
  const logged: string[] = []
  const logger: WechatApiLogger = {
    info (obj, msg) { logged.push(JSON.stringify(obj) + msg) },
    warn (obj, msg) { logged.push(JSON.stringify(obj) + msg) }
  }
  let breakNext: 'network' | 'html' | undefined
  const fetchWithFaults: typeof fetch = async (input, init) => {
    const url = String(input)
    if (breakNext !== undefined && url.includes('/custom/send')) {
      const what = breakNext
      breakNext = undefined
      // Messages that quote the whole URL, token included, as some HTTP stacks do.
      if (what === 'network') throw new TypeError('fetch failed', { cause: new Error(`connect ECONNRESET while requesting ${url}`) })
      return new Response(`<html>502 Bad Gateway for ${url}</html>`, { status: 502, headers: { 'content-type': 'text/html' } })
    }
    return await fetch(input, init)
  }
  const tokenStore = createMemoryTokenStore()
  const api = apiFor(fake, { logger, fetch: fetchWithFaults, tokenStore })
  // Only the call meant to time out gets a short timeout: a loaded machine must not time out the others.
  const impatient = apiFor(fake, { logger, tokenStore, timeoutMs: 100 })
  await api.sendText(APPID, OPENID, 'warm')
  const token = fake.currentToken() as string
  t.ok(token.length > 50)

  const errors: WechatApiError[] = []
  fake.failNext('custom/send', 45015, { errmsg: `echoing ${token} back` })
  errors.push(await rejection(api.sendText(APPID, OPENID, 'a')))
  breakNext = 'network'
  errors.push(await rejection(api.sendText(APPID, OPENID, 'b')))
  breakNext = 'html'
  errors.push(await rejection(api.sendText(APPID, OPENID, 'c')))
  void fake.hangNext('custom/send')
  errors.push(await rejection(impatient.sendText(APPID, OPENID, 'd')))
  errors.push(await rejection(api.getMedia(APPID, 'no-such-media')))
  fake.failNext('custom/send', 40001, { times: 2, errmsg: `token ${token} is bad` })
  errors.push(await rejection(api.sendText(APPID, OPENID, 'e')))
  const newer = fake.currentToken() as string
  t.not(newer, token)
  fake.failNext('custom/send', 40003, { errmsg: `token ${newer} and secret ${FAKE_APP.secret}` })
  errors.push(await rejection(api.sendText(APPID, OPENID, 'f')))
  const cold = apiFor(fake, { logger })
  fake.failNext('stable_token', -1, { errmsg: `busy, secret was ${FAKE_APP.secret}` })
  errors.push(await rejection(cold.sendText(APPID, OPENID, 'g')))
  const wrongSecret = new WechatApi({ baseUrl: fake.url, apps: [{ appid: APPID, secret: 'wrong-secret-0000000000000000001' }], tokenStore: createMemoryTokenStore(), logger })
  errors.push(await rejection(wrongSecret.sendText(APPID, OPENID, 'h')))

  t.same(errors.map((e) => [e.code, e.errcode]), [
    ['KEFU_WECHAT_API_ERRCODE', 45015],
    ['KEFU_WECHAT_API_NETWORK', null],
    ['KEFU_WECHAT_API_BAD_RESPONSE', null],
    ['KEFU_WECHAT_API_TIMEOUT', null],
    ['KEFU_WECHAT_API_ERRCODE', 40007],
    ['KEFU_WECHAT_API_ERRCODE', 40001],
    ['KEFU_WECHAT_API_ERRCODE', 40003],
    ['KEFU_WECHAT_API_ERRCODE', -1],
    ['KEFU_WECHAT_API_ERRCODE', 40125]
  ])
  t.match(errors[0]?.errmsg, /echoing \*\*\* back/, 'scrubbed, the rest kept')
  t.match(errors[1]?.message, /ECONNRESET while requesting/)
  t.match(errors[2]?.message, /HTTP 502/)
  for (const [i, err] of errors.entries()) {
    const views = [err.message, err.stack ?? '', String(err.errmsg), JSON.stringify(err), inspect(err, { depth: 10, showHidden: true })]
    for (const view of views) {
      t.notOk(view.includes(token) || view.includes(newer), `error ${i} (${err.code}) holds no token`)
      t.notOk(view.includes(FAKE_APP.secret) || view.includes('wrong-secret-0000000000000000001'), `error ${i} holds no secret`)
    }
  }
  t.ok(logged.length > 0)
  for (const line of logged) {
    t.notOk(line.includes(token) || line.includes(newer) || line.includes(FAKE_APP.secret), 'log line holds no token or secret')
  }
})

t.test('anything shaped like an access token is scrubbed from errmsg, even one this call never used', async (t) => {
  const fake = await fakeFor(t)
  const api = apiFor(fake)
  const foreign = `86_${'Ab1-_'.repeat(24)}`
  fake.failNext('custom/send', 45047, { errmsg: `out of response count limit, token ${foreign}` })
  const err = await rejection(api.sendText(APPID, OPENID, 'x'))
  t.match(err.errmsg, /^out of response count limit, token \*\*\* rid: [0-9a-f]+$/)
  t.notOk(err.message.includes(foreign))
})

t.test('a timeout is a clear error that says the message may have gone out', async (t) => {
  const fake = await fakeFor(t)
  const tokenStore = createMemoryTokenStore()
  await apiFor(fake, { tokenStore }).sendText(APPID, OPENID, 'warm')
  const api = apiFor(fake, { tokenStore, timeoutMs: 100 })
  void fake.hangNext('custom/send')
  const started = performance.now()
  const err = await rejection(api.sendText(APPID, OPENID, 'slow'))
  t.ok(performance.now() - started < 5000, 'gave up on time')
  t.match(err, { code: 'KEFU_WECHAT_API_TIMEOUT', statusCode: 504, errcode: null, errmsg: null, api: 'cgi-bin/message/custom/send' })
  t.match(err.message, /did not answer within 100 ms/)
  t.match(err.explain('en'), /may or may not have been delivered/)
  t.match(err.explain('zh'), /可能已送达/)
})

t.test('an unreachable WeChat is a network error naming the cause', async (t) => {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => { resolve() }))
  const api = new WechatApi({ baseUrl: `http://127.0.0.1:${port}`, apps: [FAKE_APP], tokenStore: createMemoryTokenStore() })
  const err = await rejection(api.sendText(APPID, OPENID, 'x'))
  t.match(err, { code: 'KEFU_WECHAT_API_NETWORK', statusCode: 502, api: 'cgi-bin/stable_token', appid: APPID })
  t.match(err.message, /ECONNREFUSED/)
  t.match(err.explain('en'), /Could not reach WeChat/)
})

t.test('answers that are not what WeChat documents are BAD_RESPONSE', async (t) => {
  const cases: Array<[string, () => Response, RegExp]> = [
    ['HTTP 500', () => new Response('oops', { status: 500 }), /HTTP 500/],
    ['not JSON', () => new Response('<html></html>', { status: 200, headers: { 'content-type': 'text/html' } }), /not JSON/],
    ['a JSON array', () => Response.json([1]), /not an object/],
    ['no token', () => Response.json({ expires_in: 7200 }), /no access_token/],
    ['zero lifetime', () => Response.json({ access_token: 'x', expires_in: 0 }), /no access_token/]
  ]
  for (const [name, make, message] of cases) {
    const api = new WechatApi({ baseUrl: 'http://wechat.invalid', apps: [FAKE_APP], tokenStore: createMemoryTokenStore(), fetch: async () => make() })
    const err = await rejection(api.sendText(APPID, OPENID, 'x'))
    t.match(err, { code: 'KEFU_WECHAT_API_BAD_RESPONSE', api: 'cgi-bin/stable_token' }, name)
    t.match(err.message, message, name)
  }
})

t.test('configuration errors', async (t) => {
  const fake = await fakeFor(t)
  const api = apiFor(fake, { apps: [FAKE_APP, { appid: 'wxfa4e00000000000f' }] })
  t.notOk(api.hasApp('wxnotconfigured00001'))
  t.notOk(api.hasApp('wxfa4e00000000000f'))
  t.ok(api.hasApp(APPID))
  t.match(await rejection(api.sendText('wxnotconfigured00001', OPENID, 'x')), { code: 'KEFU_WECHAT_API_UNKNOWN_APP', statusCode: 404, message: /is not configured/ })
  t.match(await rejection(api.sendText('wxfa4e00000000000f', OPENID, 'x')), { code: 'KEFU_WECHAT_API_UNKNOWN_APP', message: /has no AppSecret/ })
  t.equal(fake.requests.length, 0, 'nothing reached WeChat')

  const store = createMemoryTokenStore()
  const bad: Array<[string, () => unknown, RegExp]> = [
    ['duplicate', () => new WechatApi({ apps: [FAKE_APP, FAKE_APP], tokenStore: store }), /configured twice/],
    ['empty appid', () => new WechatApi({ apps: [{ appid: '', secret: 's' }], tokenStore: store }), /appid must be/],
    ['base not a URL', () => new WechatApi({ baseUrl: 'api.weixin.qq.com', apps: [], tokenStore: store }), /http\(s\) URL/],
    ['base ftp', () => new WechatApi({ baseUrl: 'ftp://x', apps: [], tokenStore: store }), /http\(s\) URL/],
    ['base with query', () => new WechatApi({ baseUrl: 'https://x/?a=1', apps: [], tokenStore: store }), /query/],
    ['timeout', () => new WechatApi({ apps: [], tokenStore: store, timeoutMs: -1 }), /timeoutMs must be a positive number/],
    ['timeout vs lock', () => new WechatApi({ apps: [], tokenStore: { ...store, lockTtlMs: 5000 } as TokenStore, timeoutMs: 5000 }), /shorter than the token store's lockTtlMs/]
  ]
  for (const [name, make, message] of bad) {
    t.throws(make, { code: 'KEFU_WECHAT_API_BAD_CONFIG', message }, name)
  }
  t.equal(new WechatApi({ apps: [], tokenStore: store }).baseUrl, 'https://api.weixin.qq.com')
  t.equal(new WechatApi({ baseUrl: 'http://127.0.0.1:9/wechat/', apps: [], tokenStore: store }).baseUrl, 'http://127.0.0.1:9/wechat')
})

t.test('a path prefix in the base address is kept', async (t) => {
  const seen: string[] = []
  const api = new WechatApi({
    baseUrl: 'http://gateway.test/wechat/',
    apps: [FAKE_APP],
    tokenStore: createMemoryTokenStore(),
    fetch: async (input) => {
      seen.push(String(input).replace(/access_token=[^&]+/, 'access_token=T'))
      return String(input).includes('stable_token') ? Response.json({ access_token: 'tok', expires_in: 7200 }) : Response.json({ errcode: 0, errmsg: 'ok' })
    }
  })
  await api.setTyping(APPID, OPENID, true)
  t.same(seen, ['http://gateway.test/wechat/cgi-bin/stable_token', 'http://gateway.test/wechat/cgi-bin/message/custom/business/typing?access_token=T'])
})
