import t from 'tap'
import type { FastifyInstance } from 'fastify'
import type { SimulatedSubscribeItem, SimulatedType } from '@kefu/wechat-crypto'
import { PLAIN_APP, SAFE_APP, build, fields, fileDatabase, push, send } from './helper.js'

const db = await fileDatabase(t, 'ingest_subscribe')
const ORDER = 'VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc'
const SHIPPING = '9nLIlbOQZC5Y89AZteFEux3WCXRRRG5Wfzkpssu4bLI'

type SubscribeType = Extract<SimulatedType, `subscribe_msg_${string}`>
interface Options { format?: 'json' | 'xml', jsonList?: 'object' | 'array', createTime?: number, safe?: boolean }

/** A subscribe event from `openid`, signed (and encrypted) as WeChat sends it; the same arguments make a retry. */
function event (type: SubscribeType, openid: string, items: SimulatedSubscribeItem[], opts: Options = {}) {
  const format = opts.format ?? 'json'
  const f = fields(type, { fromUserName: openid, items, format, jsonList: opts.jsonList, createTime: opts.createTime ?? 1765357200 })
  return opts.safe === false ? push(PLAIN_APP, 'plain', format, f) : push(SAFE_APP, 'safe', format, f)
}

async function deliver (app: FastifyInstance, built: ReturnType<typeof event>, appid = SAFE_APP.appid): Promise<void> {
  const res = await send(app, appid, built)
  if (res.statusCode !== 200 || res.body !== 'success') throw new Error(`push refused: ${res.statusCode} ${res.body}`)
}

async function quota (app: FastifyInstance, openid: string): Promise<Record<string, { remaining: number, subscribed: boolean }>> {
  const rows = await app.prisma.subscribeQuota.findMany({ where: { appId: SAFE_APP.appid, openid }, orderBy: { templateId: 'asc' } })
  return Object.fromEntries(rows.map((r) => [r.templateId, { remaining: r.remaining, subscribed: r.subscribed }]))
}

t.test('the three events, in XML and in JSON with either list shape, are stored once each as typed rows', async (t) => {
  const app = await build(t, db)
  const shapes: Array<[string, Options]> = [['xml', { format: 'xml' }], ['json array', { jsonList: 'array' }], ['json object', { jsonList: 'object' }]]
  for (const [label, opts] of shapes) {
    const openid = `o_shape_${label.replace(' ', '_')}`
    await deliver(app, event('subscribe_msg_popup_event', openid, [{ templateId: ORDER, popupScene: 0 }], { ...opts, createTime: 1765357201 }))
    await deliver(app, event('subscribe_msg_sent_event', openid, [{ templateId: ORDER, msgId: 3248682510344192008n, errorCode: 20001, errorStatus: 'failed:user block' }], { ...opts, createTime: 1765357202 }))
    await deliver(app, event('subscribe_msg_change_event', openid, [{ templateId: ORDER }], { ...opts, createTime: 1765357203 }))

    const stored = await app.prisma.customerMessage.findMany({ where: { openid }, orderBy: { id: 'asc' } })
    t.same(stored.map((r) => [r.msgType, r.event, r.format]), [
      ['event', 'subscribe_msg_popup_event', opts.format ?? 'json'],
      ['event', 'subscribe_msg_sent_event', opts.format ?? 'json'],
      ['event', 'subscribe_msg_change_event', opts.format ?? 'json']
    ], `${label}: three rows`)
    t.same(stored.map((r) => JSON.parse(r.msgInfo)), [
      { event: 'subscribe_msg_popup_event', list: [{ template_id: ORDER, status: 'accept', popup_scene: '0' }] },
      { event: 'subscribe_msg_sent_event', list: [{ template_id: ORDER, msg_id: '3248682510344192008', error_code: 20001, error_status: 'failed:user block' }] },
      { event: 'subscribe_msg_change_event', list: [{ template_id: ORDER, status: 'reject', popup_scene: null }] }
    ], `${label}: msg_info is the same whatever the shape`)
    const typed = await app.prisma.subscribeEvent.findMany({ where: { openid }, orderBy: { id: 'asc' } })
    t.match(typed, [
      { messageId: stored[0]!.id, position: 0, appId: SAFE_APP.appid, templateId: ORDER, kind: 'popup', status: 'accept', popupScene: '0', msgId: null, counted: true, wechatCreateTime: 1765357201n },
      { messageId: stored[1]!.id, position: 0, kind: 'sent', status: null, msgId: '3248682510344192008', errorCode: 20001, errorStatus: 'failed:user block', counted: false },
      { messageId: stored[2]!.id, position: 0, kind: 'change', status: 'reject', counted: true }
    ], `${label}: one typed row per item`)
    t.same(await quota(app, openid), { [ORDER]: { remaining: 0, subscribed: false } }, `${label}: accepted once, then turned off`)
  }
})

t.test('quota: +1 per accept, 0 on a reject, per template; a delivery result changes nothing', async (t) => {
  const app = await build(t, db)
  const user = 'o_quota_arith'
  let at = 1765358000
  const next = (type: SubscribeType, items: SimulatedSubscribeItem[], opts: Options = {}) => deliver(app, event(type, user, items, { ...opts, createTime: at++ }))

  await next('subscribe_msg_popup_event', [{ templateId: ORDER, status: 'accept' }, { templateId: SHIPPING, status: 'reject' }])
  t.same(await quota(app, user), { [ORDER]: { remaining: 1, subscribed: true }, [SHIPPING]: { remaining: 0, subscribed: false } }, 'two templates in one popup')
  await next('subscribe_msg_popup_event', [{ templateId: ORDER }], { format: 'xml' })
  await next('subscribe_msg_popup_event', [{ templateId: ORDER }, { templateId: SHIPPING }])
  t.same(await quota(app, user), { [ORDER]: { remaining: 3, subscribed: true }, [SHIPPING]: { remaining: 1, subscribed: true } }, 'each accept adds one')
  await next('subscribe_msg_sent_event', [{ templateId: ORDER }])
  await next('subscribe_msg_sent_event', [{ templateId: ORDER, errorCode: 20001 }])
  t.same(await quota(app, user), { [ORDER]: { remaining: 3, subscribed: true }, [SHIPPING]: { remaining: 1, subscribed: true } },
    'delivery results, delivered or failed, give nothing back and take nothing (the send counted when WeChat took it)')
  await next('subscribe_msg_popup_event', [{ templateId: ORDER, status: 'reject' }])
  t.same(await quota(app, user), { [ORDER]: { remaining: 0, subscribed: false }, [SHIPPING]: { remaining: 1, subscribed: true } }, 'a reject in a popup: none left')
  await next('subscribe_msg_change_event', [{ templateId: SHIPPING }], { format: 'xml' })
  t.same(await quota(app, user), { [ORDER]: { remaining: 0, subscribed: false }, [SHIPPING]: { remaining: 0, subscribed: false } }, 'turned off in the settings: none left')
  await next('subscribe_msg_popup_event', [{ templateId: ORDER }])
  t.same((await quota(app, user))[ORDER], { remaining: 1, subscribed: true }, 'accepting again starts from zero')
  t.same(await quota(app, 'o_someone_else'), {}, 'per customer')
  await deliver(app, event('subscribe_msg_popup_event', user, [{ templateId: ORDER }], { safe: false, createTime: at++ }), PLAIN_APP.appid)
  t.same((await quota(app, user))[ORDER], { remaining: 1, subscribed: true }, 'per mini program')
  t.equal(await app.prisma.subscribeQuota.count({ where: { appId: PLAIN_APP.appid, openid: user } }), 1)
})

t.test("WeChat's retries count once, sequential or concurrent; two events of one second count twice", async (t) => {
  const app = await build(t, db)
  const user = 'o_quota_retry'
  const accept = (format: 'json' | 'xml') => event('subscribe_msg_popup_event', user, [{ templateId: ORDER }], { format, createTime: 1765359000 })
  await deliver(app, accept('json'))
  // A retry comes with its own timestamp, nonce and signatures; WeChat may also switch nothing else.
  await deliver(app, accept('json'))
  await Promise.all([deliver(app, accept('json')), deliver(app, accept('json')), deliver(app, accept('json'))])
  t.same((await quota(app, user))[ORDER], { remaining: 1, subscribed: true }, 'five deliveries of one accept: one send')
  t.equal(await app.prisma.customerMessage.count({ where: { openid: user } }), 1, 'stored once')
  t.equal(await app.prisma.subscribeEvent.count({ where: { openid: user } }), 1, 'one typed row')

  const second = event('subscribe_msg_popup_event', user, [{ templateId: ORDER }, { templateId: SHIPPING }], { createTime: 1765359000 })
  await Promise.all([deliver(app, second), deliver(app, second)])
  t.same(await quota(app, user), { [ORDER]: { remaining: 2, subscribed: true }, [SHIPPING]: { remaining: 1, subscribed: true } },
    'another popup in the same second is another event (its content tells it apart), counted once')

  const reject = event('subscribe_msg_change_event', user, [{ templateId: ORDER }], { createTime: 1765359001 })
  await deliver(app, reject)
  await deliver(app, event('subscribe_msg_popup_event', user, [{ templateId: ORDER }], { createTime: 1765359002 }))
  await deliver(app, reject)
  t.same((await quota(app, user))[ORDER], { remaining: 1, subscribed: true }, 'a reject retried after a later accept does not undo it')
})

t.test('many customers accepting at once, templates in either order, each push twice: every accept counted once', async (t) => {
  const app = await build(t, db)
  const users = Array.from({ length: 5 }, (_, i) => `o_quota_burst_${i}`)
  const pushes = Array.from({ length: 40 }, (_, i) => event('subscribe_msg_popup_event', users[i % 5]!,
    i % 2 === 0 ? [{ templateId: ORDER }, { templateId: SHIPPING }] : [{ templateId: SHIPPING }, { templateId: ORDER }],
    { createTime: 1765362000 + i, format: i % 3 === 0 ? 'xml' : 'json' }))
  await Promise.all([...pushes, ...pushes].map((p) => deliver(app, p)))
  for (const user of users) t.same(await quota(app, user), { [ORDER]: { remaining: 8, subscribed: true }, [SHIPPING]: { remaining: 8, subscribed: true } }, user)
})

t.test('a decision WeChat delivers late, after a newer opposite one, is recorded and not counted', async (t) => {
  const app = await build(t, db)
  const user = 'o_quota_late'
  await deliver(app, event('subscribe_msg_popup_event', user, [{ templateId: ORDER }], { createTime: 1765360010 }))
  await deliver(app, event('subscribe_msg_change_event', user, [{ templateId: ORDER }], { createTime: 1765360020 }))
  // An accept from before the reject, whose first deliveries failed.
  await deliver(app, event('subscribe_msg_popup_event', user, [{ templateId: ORDER }], { createTime: 1765360015 }))
  t.same((await quota(app, user))[ORDER], { remaining: 0, subscribed: false })
  const typed = await app.prisma.subscribeEvent.findMany({ where: { openid: user }, orderBy: { id: 'asc' } })
  t.same(typed.map((e) => [e.kind, e.status, e.counted]), [['popup', 'accept', true], ['change', 'reject', true], ['popup', 'accept', false]])
  // And a reject from before an accept.
  await deliver(app, event('subscribe_msg_popup_event', user, [{ templateId: SHIPPING }], { createTime: 1765360030 }))
  await deliver(app, event('subscribe_msg_popup_event', user, [{ templateId: SHIPPING, status: 'reject' }], { createTime: 1765360025 }))
  t.same((await quota(app, user))[SHIPPING], { remaining: 1, subscribed: true })
})

t.test('the quota moves in the transaction that stores the push: a rolled-back insert moves nothing', async (t) => {
  const app = await build(t, db)
  const info = JSON.stringify({ event: 'subscribe_msg_popup_event', list: [{ template_id: ORDER, status: 'accept', popup_scene: '0' }] })
  const row = {
    appId: SAFE_APP.appid, dedupeKey: 'e:o_quota_tx:1765361000:subscribe_msg_popup_event:x', openid: 'o_quota_tx', toUsername: 'gh_1',
    fromUsername: 'o_quota_tx', msgType: 'event', event: 'subscribe_msg_popup_event', msgInfo: info, payload: '{}', format: 'json', wechatCreateTime: 1765361000n
  }
  await t.rejects(app.prisma.$transaction(async (tx) => {
    await tx.customerMessage.create({ data: row })
    t.same(await tx.subscribeQuota.findMany({ where: { openid: 'o_quota_tx' }, select: { remaining: true } }), [{ remaining: 1 }], 'inside: counted')
    throw new Error('roll back')
  }), /roll back/)
  t.same(await quota(app, 'o_quota_tx'), {}, 'after the rollback: nothing')
  t.equal(await app.prisma.subscribeEvent.count({ where: { openid: 'o_quota_tx' } }), 0)
})

t.test('a malformed subscribe event is refused with 400 and stores nothing', async (t) => {
  const app = await build(t, db)
  const user = 'o_quota_bad'
  const base = fields('subscribe_msg_popup_event', { fromUserName: user, items: [{ templateId: ORDER }] })
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['no List', { ...base, List: undefined }, /subscribe_msg_popup_event has no List/],
    ['a status WeChat does not send', { ...base, List: { TemplateId: ORDER, SubscribeStatusString: 'ban', PopupScene: '0' } }, /SubscribeStatusString must be accept or reject, got "ban"/],
    ['no TemplateId', { ...base, List: [{ SubscribeStatusString: 'accept' }] }, /List\[0\]\.TemplateId is missing/]
  ]
  for (const [name, f, message] of cases) {
    const res = await send(app, SAFE_APP.appid, push(SAFE_APP, 'safe', 'json', JSON.parse(JSON.stringify(f))))
    t.equal(res.statusCode, 400, name)
    t.match(res.json().message, message, name)
  }
  t.equal(await app.prisma.customerMessage.count({ where: { openid: user } }), 0)
  t.same(await quota(app, user), {})
})
