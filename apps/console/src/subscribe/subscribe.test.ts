import t from 'tap'
import { ORDER_TEMPLATE, addAgent, appsWithTemplates, openedStream, signedIn, startConsoleSystem } from '../../test/helper.js'

const ORDER = ORDER_TEMPLATE.templateId
const NOTICE = 'tplLongTermNotice-000000000000000000000002'
// The first two mini programs with subscribe-message templates; the order template with a fourth field here.
const apps = appsWithTemplates(2, [
  { ...ORDER_TEMPLATE, fields: [...ORDER_TEMPLATE.fields, { key: 'time4', label: '更新时间' }] },
  { templateId: NOTICE, title: '办理进度通知', fields: [{ key: 'thing1', label: '事项' }, { key: 'enum2', label: '进度', values: ['已受理', '已办结'] }], longTerm: true }
])
const sys = await startConsoleSystem(t, { label: 'console_subscribe', apps })
const [SAFE, PLAIN, NO_SECRET] = apps.map((a) => a.appid) as [string, string, string]
const draft = { templateId: ORDER, fields: { character_string1: 'SN-0042', thing2: '机械键盘 87 键', phrase3: '已发货', time4: '2026年12月10日 15:01' }, query: 'orderId=42&from=kefu' }
const longAgo = (): number => Math.floor(Date.now() / 1000) - 49 * 3600
let clock = Math.floor(Date.now() / 1000) - 3600
const at = (): number => clock++

const alice = await signedIn(sys)
const api = (method: string, path: string, body?: unknown, lang?: string) => lang === undefined
  ? alice.api(sys, method, path, body)
  : alice.request(sys.console, method, path, { headers: { 'content-type': 'application/json', origin: sys.console.url, 'accept-language': lang }, body: JSON.stringify(body) })
const subscriptions = async (openid: string, appid = SAFE) => (await api('GET', `/api/conversations/${appid}/${openid}/subscriptions`)).json()
const send = (openid: string, body: unknown, lang?: string, appid = SAFE) => api('POST', `/api/conversations/${appid}/${openid}/subscribe-messages`, body, lang)
const offer = async (openid: string, templateId = ORDER) => (await subscriptions(openid)).templates.find((x: { templateId: string }) => x.templateId === templateId)

/** The customer accepts in the popup: WeChat learns it (the fake) and pushes subscribe_msg_popup_event (ingest). */
async function accept (openid: string, templateId = ORDER, times = 1): Promise<void> {
  for (let i = 0; i < times; i++) {
    sys.fake.grantSubscription(SAFE, openid, templateId, templateId === NOTICE ? 'long-term' : 1)
    await sys.push(SAFE, 'subscribe_msg_popup_event', { from: openid, createTime: at(), items: [{ templateId }] })
  }
}

/** A customer who wrote 49 hours ago (the reply window is closed), then accepted `templateId` `times` times. */
async function wroteLongAgo (openid: string, templateId = ORDER, times = 1): Promise<void> {
  await sys.push(SAFE, 'text', { from: openid, createTime: longAgo() })
  await accept(openid, templateId, times)
}

t.test('after the window: the conversation says so, sends left are offered per template, a send spends one, live', async (t) => {
  const user = 'o_sub_flow'
  await sys.push(SAFE, 'text', { from: user, content: '我的订单呢？', createTime: longAgo() })
  const before = await subscriptions(user)
  t.match(before.window, { open: false, reason: 'closed' })
  t.match(before.notice, /回复窗口已关闭.*用户没有可用的订阅/)
  t.equal(before.canSend, true)
  t.same(before.templates.map((x: Record<string, unknown>) => [x.templateId, x.remaining, x.available]), [[ORDER, 0, false], [NOTICE, 0, false]])
  t.same(before.templates[0].fields, [
    { key: 'character_string1', kind: 'character_string', label: '订单号', rule: '只能是数字、字母或符号，最多 32 个' },
    { key: 'thing2', kind: 'thing', label: '商品名称', rule: '最多 20 个字符（汉字、数字、字母或符号）' },
    { key: 'phrase3', kind: 'phrase', label: '订单状态', rule: '只能是汉字，最多 5 个（如 配送中）' },
    { key: 'time4', kind: 'time', label: '更新时间', rule: '须为 24 小时制时间，可带年月日，时间段用 ~ 连接（如 15:01 或 2019年10月1日 15:01）' }
  ])
  t.match(before.templates[1], { title: '办理进度通知', page: null, longTerm: true, fields: [{ key: 'thing1' }, { key: 'enum2', kind: 'enum', values: ['已受理', '已办结'] }] })

  const refused = await send(user, draft)
  t.equal(refused.status, 409)
  t.match(refused.json(), { code: 'KEFU_CONSOLE_NO_SUBSCRIPTION', message: /没有剩余的订阅次数/ })
  t.equal(sys.fake.subscribeMessages().length, 0, 'WeChat not called')
  t.equal(await sys.prisma.outboundMessage.count({ where: { openid: user } }), 0, 'nothing stored')

  await accept(user, ORDER, 2)
  const offered = await subscriptions(user)
  t.match(offered.notice, /回复窗口已关闭/)
  t.notMatch(offered.notice, /用户没有可用的订阅/)
  t.match(offered.templates[0], { templateId: ORDER, remaining: 2, subscribed: true, available: true })

  const stream = await openedStream(t, sys, alice)
  const res = await send(user, draft)
  t.equal(res.status, 201, res.text)
  const { message, subscription } = res.json()
  const [took] = sys.fake.subscribeMessages(SAFE)
  t.strictSame(took!.body, {
    touser: user,
    template_id: ORDER,
    page: 'pages/order/detail?orderId=42&from=kefu',
    data: { character_string1: { value: 'SN-0042' }, thing2: { value: '机械键盘 87 键' }, phrase3: { value: '已发货' }, time4: { value: '2026年12月10日 15:01' } }
  }, 'exactly what WeChat takes')
  t.match(message, { direction: 'out', type: 'subscribe', status: 'sent', agent: 'alice', templateId: ORDER, fields: draft.fields, pagePath: 'pages/order/detail?orderId=42&from=kefu', msgId: took!.msgId })
  t.match(subscription, { templateId: ORDER, remaining: 1, available: true })
  t.match((await stream.nextOf('outbound')).data, { id: message.id, type: 'subscribe', status: 'sending' }, 'live: sending')
  t.match((await stream.nextOf('outbound')).data, { id: message.id, type: 'subscribe', status: 'sent', msgId: took!.msgId }, 'live: sent')

  // WeChat's delivery result arrives; whatever it says, the count stays (the send was counted when WeChat took it).
  await sys.push(SAFE, 'subscribe_msg_sent_event', { from: user, createTime: Math.floor(Date.now() / 1000) + 1, items: [{ templateId: ORDER, msgId: BigInt(took!.msgId), errorCode: 20001, errorStatus: 'failed:user block' }] })
  t.match((await stream.nextOf('message')).data, { type: 'event', event: 'subscribe_msg_sent_event', subscriptions: [{ templateId: ORDER, msgId: took!.msgId, errorCode: 20001, errorStatus: 'failed:user block' }] }, 'live: the delivery result')
  t.equal((await offer(user)).remaining, 1, 'a failed delivery gives nothing back')

  const timeline = (await api('GET', `/api/conversations/${SAFE}/${user}`)).json()
  t.same(timeline.messages.map((m: { direction: string, type: string, event?: string, status?: string }) => [m.direction, m.type, m.event ?? m.status ?? null]), [
    ['in', 'text', null],
    ['in', 'event', 'subscribe_msg_popup_event'],
    ['in', 'event', 'subscribe_msg_popup_event'],
    ['out', 'subscribe', 'sent'],
    ['in', 'event', 'subscribe_msg_sent_event']
  ])
  t.match(timeline.messages[1].subscriptions, [{ templateId: ORDER, status: 'accept', popupScene: '0' }])
  t.match(timeline.conversation.window, { open: false }, 'a subscribe message does not open the window')

  await sys.push(SAFE, 'text', { from: user, content: '收到了，谢谢', createTime: Math.floor(Date.now() / 1000) })
  t.match((await api('GET', `/api/conversations/${SAFE}/${user}`)).json().conversation.window, { open: true, remaining: 5 }, 'nor uses up its replies')
})

t.test("each field is checked against WeChat's rule for its kind before WeChat is called", async (t) => {
  const user = 'o_sub_fields'
  await wroteLongAgo(user)
  const cases: Array<[string, unknown, RegExp, RegExp]> = [
    ['thing over 20 characters', { ...draft, fields: { ...draft.fields, thing2: '一二三四五六七八九十一二三四五六七八九十一' } }, /商品名称 \(thing2\)：最多 20 个字符/, /商品名称 \(thing2\) at most 20 characters/],
    ['phrase not Chinese', { ...draft, fields: { ...draft.fields, phrase3: 'sent' } }, /订单状态 \(phrase3\)：只能是汉字/, /订单状态 \(phrase3\) Chinese characters only/],
    ['time that is a date', { ...draft, fields: { ...draft.fields, time4: '2026-12-10' } }, /更新时间 \(time4\)：须为 24 小时制时间/, /a 24-hour time/],
    ['character_string with a space', { ...draft, fields: { ...draft.fields, character_string1: 'SN 42' } }, /订单号 \(character_string1\)：只能是数字、字母或符号/, /no spaces/],
    ['a missing field', { ...draft, fields: { ...draft.fields, thing2: undefined } }, /商品名称 \(thing2\)：必填/, /商品名称 \(thing2\): required/],
    ['a field the template lacks', { ...draft, fields: { ...draft.fields, thing9: 'x' } }, /thing9：不是该模板的字段/, /thing9: not a field of this template/],
    ['an empty value', { ...draft, fields: { ...draft.fields, thing2: '  ' } }, /商品名称 \(thing2\)：不能为空/, /must not be empty/],
    ['a query with spaces', { ...draft, query: 'orderId=4 2' }, /页面参数须为 key=value/, /the page query must be key=value pairs/],
    ['a query without a page', { templateId: NOTICE, fields: { thing1: '社保卡补办', enum2: '已受理' }, query: 'id=1' }, /该模板没有配置跳转页面/, /opens no page/],
    ['an enum value outside its values', { templateId: NOTICE, fields: { thing1: '社保卡补办', enum2: '进行中' } }, /进度 \(enum2\)：只能是以下之一：已受理、已办结/, /must be one of: 已受理, 已办结/]
  ]
  for (const [name, body, zh, en] of cases) {
    const inZh = await send(user, JSON.parse(JSON.stringify(body)))
    t.equal(inZh.status, 400, name)
    t.match(inZh.json(), { code: 'KEFU_CONSOLE_BAD_SUBSCRIBE_MESSAGE', message: zh }, `${name} (zh-CN)`)
    t.notMatch(inZh.json().message, /\n/, 'one line')
    t.match((await send(user, JSON.parse(JSON.stringify(body)), 'en')).json().message, en, `${name} (en)`)
  }
  const two = await send(user, { ...draft, fields: { ...draft.fields, thing2: 'x'.repeat(21), phrase3: 'abc' } }, 'en')
  t.match(two.json().message, /thing2\) at most 20 characters.*; 订单状态 \(phrase3\) Chinese characters only/, 'every problem at once')
  t.match((await send(user, { ...draft, templateId: 'nope' })).json(), { statusCode: 404, code: 'KEFU_CONSOLE_NO_SUCH_TEMPLATE' })
  t.match((await send(user, { ...draft, extra: 1 })).json(), { statusCode: 400, message: /body property name must be valid/ }, 'an unknown property is refused, not dropped')
  t.equal(sys.fake.subscribeMessages().filter((s) => s.body.touser === user).length, 0, 'WeChat never called')
  t.equal(await sys.prisma.outboundMessage.count({ where: { openid: user } }), 0, 'nothing stored')
  t.equal((await offer(user)).remaining, 1, 'nothing spent')
})

t.test('what WeChat refuses is failed in the timeline; a send it did not take goes back, 43101 empties the count', async (t) => {
  const user = 'o_sub_refused'
  await wroteLongAgo(user, ORDER, 2)
  sys.fake.failNext('subscribe/send', 47003, { errmsg: 'argument invalid! data.thing2.value invalid' })
  const invalid = await send(user, draft, 'en')
  t.equal(invalid.status, 201)
  t.match(invalid.json().message, { type: 'subscribe', status: 'failed', errcode: 47003, errmsg: /Invalid template data.*\(data\.thing2\.value\)$/ })
  t.match(invalid.json().subscription, { remaining: 2 }, 'WeChat took nothing: the send is back')

  // The customer turned it off in WeChat and kefu never heard: WeChat says none are left.
  sys.fake.revokeSubscription(SAFE, user, ORDER)
  const none = await send(user, draft)
  t.match(none.json().message, { status: 'failed', errcode: 43101, errmsg: /用户未订阅该模板/ })
  t.match(none.json().subscription, { remaining: 0, subscribed: false, available: false })
  t.equal((await send(user, draft)).status, 409, 'and nothing is offered until they accept again')
  t.same((await sys.prisma.outboundMessage.findMany({ where: { openid: user }, orderBy: { id: 'asc' } })).map((r) => [r.msgType, r.status, r.errcode]), [['subscribe', 'failed', 47003], ['subscribe', 'failed', 43101]])
})

t.test('a long-term subscription never runs out, until the customer turns it off', async (t) => {
  const user = 'o_sub_long'
  await wroteLongAgo(user, NOTICE)
  for (let i = 0; i < 3; i++) t.match((await send(user, { templateId: NOTICE, fields: { thing1: '社保卡补办', enum2: '已受理' } })).json(), { message: { status: 'sent' }, subscription: { longTerm: true, available: true } })
  t.equal(sys.fake.subscribeMessages().filter((s) => s.body.touser === user).length, 3)
  await sys.push(SAFE, 'subscribe_msg_change_event', { from: user, createTime: at(), items: [{ templateId: NOTICE }] })
  t.match(await offer(user, NOTICE), { longTerm: true, subscribed: false, available: false })
  t.equal((await send(user, { templateId: NOTICE, fields: { thing1: '社保卡补办', enum2: '已办结' } })).status, 409)
})

t.test('two agents sending the last acceptance at once: one is sent, the other refused', async (t) => {
  const user = 'o_sub_race'
  await wroteLongAgo(user)
  await addAgent(sys, 'bob', [SAFE])
  const bob = await signedIn(sys, 'bob')
  const [a, b] = await Promise.all([send(user, draft), bob.api(sys, 'POST', `/api/conversations/${SAFE}/${user}/subscribe-messages`, draft)])
  t.same([a.status, b.status].sort(), [201, 409])
  t.equal(sys.fake.subscribeMessages().filter((s) => s.body.touser === user).length, 1)
  t.equal((await offer(user)).remaining, 0)
})

t.test("an agent acts only on their own mini programs: another app's conversation is refused", async (t) => {
  const user = 'o_sub_perm'
  await wroteLongAgo(user)
  await addAgent(sys, 'carol', [PLAIN])
  const carol = await signedIn(sys, 'carol')
  for (const [method, path, body] of [
    ['GET', `/api/conversations/${SAFE}/${user}/subscriptions`],
    ['POST', `/api/conversations/${SAFE}/${user}/subscribe-messages`, draft]
  ] as Array<[string, string, unknown?]>) {
    const res = await carol.api(sys, method, path, body)
    t.equal(res.status, 404, `${method} ${path}`)
    t.equal(res.json().code, 'KEFU_CONSOLE_NOT_FOUND')
    t.notMatch(res.text, /订单|SN-0042/)
  }
  t.equal((await carol.api(sys, 'GET', `/api/conversations/${PLAIN}/${user}/subscriptions`)).status, 404, 'her own app: no such conversation')
  t.equal((await offer(user)).remaining, 1, 'nothing spent')
  t.equal(sys.fake.subscribeMessages().filter((s) => s.body.touser === user).length, 0)

  await sys.push(NO_SECRET, 'text', { from: user, createTime: longAgo() })
  t.match((await send(user, draft, undefined, NO_SECRET)).json(), { statusCode: 409, code: 'KEFU_CONSOLE_NO_SECRET' }, 'a mini program without its AppSecret cannot send')
  t.same((await subscriptions(user, NO_SECRET)).templates, [], 'and offers no templates')
  t.equal((await subscriptions('o_nobody')).statusCode, 404, 'no conversation, nothing offered')
})
