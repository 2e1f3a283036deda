import t from 'tap'
import { explainErrcode, subscribeSendBody, type SubscribeMessageBody } from '../src/index.js'
import { FAKE_APP, type FakeWechat } from '../src/testing/fake-wechat.js'
import { APPID, OPENID, apiFor, callsTo, fakeFor, rejection } from './helpers.js'

const ORDER = 'VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc'
const LONG = 'long-term-template-0000000000000000000001'
const templates = {
  [FAKE_APP.appid]: [
    { templateId: ORDER, fields: [{ key: 'character_string1' }, { key: 'thing2' }, { key: 'phrase3' }, { key: 'time4' }] },
    { templateId: LONG, fields: [{ key: 'thing1' }, { key: 'enum2', values: ['已受理', '已办结'] }] }
  ]
}
const order: SubscribeMessageBody = {
  template_id: ORDER,
  page: 'pages/order/detail?id=42&from=kefu',
  data: { character_string1: { value: 'SN-0042' }, thing2: { value: '您的订单已发货' }, phrase3: { value: '配送中' }, time4: { value: '2026年12月10日 15:01' } }
}

async function fake (t: Parameters<typeof fakeFor>[0]): Promise<FakeWechat> {
  return await fakeFor(t, { subscribeTemplates: templates, pages: { [FAKE_APP.appid]: ['pages/order/detail', 'pages/index/index'] } })
}

t.test('subscribeMessage.send: exactly the documented JSON, a 64-bit msgid kept exact, one send per acceptance', async (t) => {
  const wechat = await fake(t)
  const api = apiFor(wechat)
  wechat.grantSubscription(APPID, OPENID, ORDER, 2)
  const first = await api.sendSubscribeMessage(APPID, OPENID, order)
  const second = await api.sendSubscribeMessage(APPID, OPENID, { ...order, page: undefined, miniprogram_state: 'trial', lang: 'en_US' })
  const sent = wechat.subscribeMessages(APPID)
  t.same([first.msgId, second.msgId], sent.map((s) => s.msgId), 'the msgid WeChat wrote, digit for digit')
  t.ok(BigInt(first.msgId!) > 2n ** 53n, 'beyond what JSON.parse keeps exact')
  const calls = callsTo(wechat, 'subscribe/send')
  t.strictSame(calls.map((r) => r.body), [
    { touser: OPENID, template_id: ORDER, page: 'pages/order/detail?id=42&from=kefu', data: order.data },
    { touser: OPENID, template_id: ORDER, data: order.data, miniprogram_state: 'trial', lang: 'en_US' }
  ])
  t.same(Object.keys(calls[0]!.body as object), ['touser', 'template_id', 'page', 'data'], 'touser first, optional fields only when set')
  for (const r of calls) t.match(r, { method: 'POST', path: '/cgi-bin/message/subscribe/send', query: {}, token: 'valid', appid: APPID, errcode: 0 })
  t.equal(wechat.subscriptionsLeft(APPID, OPENID, ORDER), 0)

  const none = await rejection(api.sendSubscribeMessage(APPID, OPENID, order))
  t.match(none, { code: 'KEFU_WECHAT_API_ERRCODE', errcode: 43101, api: 'cgi-bin/message/subscribe/send', statusCode: 502 })
  t.match(none.explain('en'), /no subscription to this template/)
  t.match(none.explain('zh'), /用户未订阅该模板/)
  t.equal(wechat.subscribeMessages().length, 2, 'a third send without a third acceptance is refused')

  wechat.grantSubscription(APPID, OPENID, LONG, 'long-term')
  for (let i = 0; i < 3; i++) await api.sendSubscribeMessage(APPID, OPENID, { template_id: LONG, data: { thing1: { value: '办理进度更新' }, enum2: { value: '已受理' } } })
  t.equal(wechat.subscriptionsLeft(APPID, OPENID, LONG), 'long-term', 'a long-term subscription never runs out')
})

t.test('through the same stable_token handling: an expired token is renewed once and the send counted once', async (t) => {
  const wechat = await fake(t)
  const api = apiFor(wechat)
  wechat.grantSubscription(APPID, OPENID, ORDER, 1)
  await api.sendSubscribeMessage(APPID, OPENID, order)
  wechat.grantSubscription(APPID, OPENID, ORDER, 1)
  wechat.expireTokens()
  await api.sendSubscribeMessage(APPID, OPENID, order)
  t.same(callsTo(wechat, 'subscribe/send').map((r) => r.errcode), [0, 42001, 0])
  t.equal(wechat.tokenRefreshes, 2)
  t.equal(wechat.subscribeMessages().length, 2)
  t.equal(wechat.subscriptionsLeft(APPID, OPENID, ORDER), 0)
})

t.test('the fake refuses what WeChat refuses, and counts nothing for a refusal', async (t) => {
  const wechat = await fake(t)
  wechat.grantSubscription(APPID, OPENID, ORDER, 1)
  const minted = await fetch(`${wechat.url}/cgi-bin/stable_token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'client_credential', appid: APPID, secret: FAKE_APP.secret }) })
  const token = (await minted.json() as { access_token: string }).access_token
  const raw = async (body: unknown): Promise<{ errcode: number, errmsg: string }> => {
    const res = await fetch(`${wechat.url}/cgi-bin/message/subscribe/send?access_token=${token}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    return await res.json() as { errcode: number, errmsg: string }
  }
  const body = subscribeSendBody(OPENID, order)
  const data = order.data
  const cases: Array<[string, unknown, number, RegExp]> = [
    ['unknown field', { ...body, emphasis_keyword: 'x' }, 40035, /hint: \[emphasis_keyword\]/],
    ['no data', { touser: OPENID, template_id: ORDER }, 40035, /hint: \[data\]/],
    ['data as a JSON string (a classic mistake)', { ...body, data: JSON.stringify(data) }, 40035, /hint: \[data\]/],
    ['bad openid', { ...body, touser: 'x' }, 40003, /invalid openid/],
    ['unknown template', { ...body, template_id: 'not-a-template-of-this-app' }, 40037, /invalid template_id/],
    ['missing field', { ...body, data: { ...data, thing2: undefined } }, 47003, /data\.thing2\.value is empty/],
    ['empty value', { ...body, data: { ...data, thing2: { value: ' ' } } }, 47003, /data\.thing2\.value is empty/],
    ['field not in the template', { ...body, data: { ...data, thing9: { value: 'x' } } }, 47003, /data\.thing9 is not a field/],
    ['".DATA" in the key', { ...body, data: { 'thing2.DATA': { value: 'x' } } }, 47003, /data\.thing2\.DATA is not a field/],
    ['a number value', { ...body, data: { ...data, character_string1: { value: 42 } } }, 47003, /data\.character_string1\.value invalid/],
    ['extra key beside value', { ...body, data: { ...data, thing2: { value: 'x', color: '#f00' } } }, 47003, /data\.thing2\.value invalid/],
    ['thing over 20 characters', { ...body, data: { ...data, thing2: { value: '一二三四五六七八九十一二三四五六七八九十一' } } }, 47003, /data\.thing2\.value invalid/],
    ['phrase that is not Chinese', { ...body, data: { ...data, phrase3: { value: 'ddd' } } }, 47003, /data\.phrase3\.value invalid/],
    ['time that is no time', { ...body, data: { ...data, time4: { value: '2023-08-21' } } }, 47003, /data\.time4\.value invalid/],
    ['page not in app.json', { ...body, page: 'pages/nowhere/index?id=1' }, 41030, /invalid page/],
    ['miniprogram_state', { ...body, miniprogram_state: 'beta' }, 40035, /hint: \[miniprogram_state\]/],
    ['lang', { ...body, lang: 'fr_FR' }, 40035, /hint: \[lang\]/]
  ]
  for (const [name, payload, errcode, errmsg] of cases) {
    const answer = await raw(payload)
    t.equal(answer.errcode, errcode, name)
    t.match(answer.errmsg, errmsg, name)
  }
  t.equal(wechat.subscriptionsLeft(APPID, OPENID, ORDER), 1, 'no refusal used the acceptance')
  t.equal((await raw({ ...body, page: '/pages/order/detail?id=1' })).errcode, 0, 'a leading slash is the same page')
  t.equal(wechat.subscriptionsLeft(APPID, OPENID, ORDER), 0)
  wechat.grantSubscription(APPID, OPENID, ORDER, 1)
  wechat.failNext('subscribe/send', 45009)
  t.equal((await raw(body)).errcode, 45009, 'failNext')
  t.equal(wechat.subscriptionsLeft(APPID, OPENID, ORDER), 1, 'an injected failure uses nothing')
  wechat.revokeSubscription(APPID, OPENID, ORDER)
  t.equal((await raw(body)).errcode, 43101, 'turned off')
})

t.test('subscribe errcodes are explained in both languages', async (t) => {
  for (const code of [43101, 47003, 40037, 41030]) {
    t.notMatch(explainErrcode(code, 'en'), /see WeChat's return code reference/, `${code} en`)
    t.notMatch(explainErrcode(code, 'zh'), /请参考微信全局返回码说明/, `${code} zh`)
  }
  t.match(explainErrcode(47003, 'en'), /names the field/)
  t.match(explainErrcode(40037, 'zh'), /templateId/)
})
