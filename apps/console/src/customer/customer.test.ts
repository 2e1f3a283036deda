import { createHmac, timingSafeEqual } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { signProfileRequest } from './profile-lookup.js'
import { APPS, Agent, addAgent, startConsoleSystem } from '../../test/helper.js'

const PROFILE_SECRET = 'profile-secret-for-tests-0123456789abcdef'

/** The business's backend, as the README's example writes it: checks the HMAC over the exact body, the time and the nonce. */
interface Backend { url: string, requests: Array<{ body: string, signature: string }>, answer: (res: http.ServerResponse, body: { openid: string }) => void }
const backend: Backend = {
  url: '',
  requests: [],
  answer: (res) => { res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name: '王小明', fields: [{ label: '会员等级', value: '金卡' }, { label: '最近订单', value: '#20261203-0042 已发货' }], url: 'https://crm.example/customers/42' })) }
}
const seenNonces = new Set<string>()
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    const raw = Buffer.concat(chunks)
    const signature = String(req.headers['x-kefu-signature'] ?? '')
    backend.requests.push({ body: raw.toString(), signature })
    const expected = Buffer.from('sha256=' + createHmac('sha256', PROFILE_SECRET).update(raw).digest('hex'))
    const given = Buffer.from(signature)
    const body = JSON.parse(raw.toString()) as { openid: string, timestamp: number, nonce: string }
    if (given.length !== expected.length || !timingSafeEqual(given, expected) || Math.abs(Date.now() / 1000 - body.timestamp) > 300 || seenNonces.has(body.nonce)) {
      res.writeHead(401).end()
      return
    }
    seenNonces.add(body.nonce)
    backend.answer(res, body)
  })
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
t.teardown(() => new Promise<void>((resolve) => { server.close(() => { resolve() }); server.closeAllConnections() }))
backend.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/kefu/profile`

const [SAFE, PLAIN] = APPS.map((a) => a.appid) as [string, string]
const apps = APPS.map((a) => a.appid === SAFE ? { ...a, profileUrl: backend.url, profileSecret: PROFILE_SECRET } : a)
const sys = await startConsoleSystem(t, { label: 'console_customer', console: { apps, teamwork: { profileTimeoutMs: 300 } }, worker: { autoAssignSweepMs: 0 } })
await addAgent(sys, 'carol', [PLAIN])
const alice = new Agent()
await alice.signIn(sys)
const carol = new Agent()
await carol.signIn(sys, 'carol')
const customer = (appid: string, openid: string, what = 'customer'): string => `/api/conversations/${appid}/${openid}/${what}`

t.test('the panel: openid, mini program, first contact, last entry scene, message counts', async (t) => {
  const first = Math.floor(Date.now() / 1000) - 3600
  await sys.push(SAFE, 'text', { from: 'o_panel', content: 'hi', createTime: first })
  await sys.push(SAFE, 'user_enter_tempsession', { from: 'o_panel', content: 'order-card-42', createTime: first + 60 })
  await sys.push(SAFE, 'text', { from: 'o_panel', content: 'again' })
  await alice.api(sys, 'POST', `/api/conversations/${SAFE}/o_panel/messages`, { type: 'text', text: 'hello' })
  const res = await alice.api(sys, 'GET', customer(SAFE, 'o_panel'))
  t.equal(res.status, 200)
  t.same(res.json().customer, {
    appId: SAFE,
    openid: 'o_panel',
    firstContactAt: first * 1000,
    lastEntry: { sessionFrom: 'order-card-42', at: (first + 60) * 1000 },
    messages: { inbound: 2, outbound: 1 }, // the entry is an event, not a message
    tags: [],
    note: null,
    displayName: null,
    profileLookup: true
  })
})

t.test('tags and a note about the customer: kept, filterable, validated', async (t) => {
  await sys.push(SAFE, 'text', { from: 'o_tagged' })
  const res = await alice.api(sys, 'PATCH', customer(SAFE, 'o_tagged'), { tags: [' VIP ', '退货', 'VIP'], note: '  喜欢电话联系  ' })
  t.equal(res.status, 200)
  t.match(res.json().customer, { tags: ['VIP', '退货'], note: '喜欢电话联系' })
  const byTag = (await alice.api(sys, 'GET', '/api/conversations?tag=VIP&status=all')).json().conversations.map((c: { openid: string }) => c.openid)
  t.same(byTag, ['o_tagged'])
  t.match((await alice.api(sys, 'GET', '/api/tags')).json().tags, [{ tag: 'VIP', count: 1 }, { tag: '退货', count: 1 }])
  t.equal((await alice.api(sys, 'PATCH', customer(SAFE, 'o_tagged'), { note: null })).json().customer.note, null, 'the note cleared')
  for (const body of [{}, { tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, { tags: ['a,b'] }, { tags: [''] }, { tags: ['   '] }, { tags: ['x'.repeat(33)] }, { note: 'x'.repeat(2001) }]) {
    const bad = await alice.api(sys, 'PATCH', customer(SAFE, 'o_tagged'), body)
    t.equal(bad.status, 400, JSON.stringify(body).slice(0, 60))
    t.notMatch(bad.json().message, /\n/)
  }
  t.same((await sys.prisma.conversation.findUniqueOrThrow({ where: { appId_openid: { appId: SAFE, openid: 'o_tagged' } } })).tags, ['VIP', '退货'], 'refused changes stored nothing')
})

t.test('the profile lookup: signed over the exact body, timestamped, with a nonce of its own, cached', async (t) => {
  await sys.push(SAFE, 'text', { from: 'o_profiled' })
  backend.requests.length = 0
  const res = await alice.api(sys, 'GET', customer(SAFE, 'o_profiled', 'profile'))
  t.same(res.json(), { status: 'ok', profile: { name: '王小明', fields: [{ label: '会员等级', value: '金卡' }, { label: '最近订单', value: '#20261203-0042 已发货' }], url: 'https://crm.example/customers/42' } })
  t.equal(backend.requests.length, 1)
  const sent = backend.requests[0]!
  t.match(JSON.parse(sent.body), { appid: SAFE, openid: 'o_profiled', timestamp: Number, nonce: /^[0-9a-f]{32}$/ })
  t.equal(sent.signature, signProfileRequest(sent.body, PROFILE_SECRET))
  t.equal((await alice.api(sys, 'GET', customer(SAFE, 'o_profiled', 'profile'))).json().status, 'ok')
  t.equal(backend.requests.length, 1, 'the second time from the cache')
  await sys.push(SAFE, 'text', { from: 'o_profiled_2' })
  t.equal((await alice.api(sys, 'GET', customer(SAFE, 'o_profiled_2', 'profile'))).json().status, 'ok', 'a backend that refuses a seen nonce answers the next lookup')
  t.equal(backend.requests.length, 2)
  t.not(JSON.parse(backend.requests[1]!.body).nonce, JSON.parse(sent.body).nonce, 'each lookup its own nonce')
  const replayed = await fetch(backend.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-kefu-signature': sent.signature }, body: sent.body })
  t.equal(replayed.status, 401, 'a captured lookup played again within the 5 minutes is refused by its nonce')
})

t.test('a failing, slow, oversized or odd backend costs nothing: "unavailable", and not asked again at once', async (t) => {
  const cases: Array<[string, Backend['answer']]> = [
    ['o_fail_500', (res) => { res.writeHead(500).end() }],
    ['o_fail_slow', (res) => { setTimeout(() => { res.writeHead(200, { 'content-type': 'application/json' }).end('{}') }, 2000).unref() }],
    ['o_fail_big', (res) => { res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name: 'x'.repeat(100_000) })) }],
    ['o_fail_junk', (res) => { res.writeHead(200).end('not json') }],
    ['o_fail_redirect', (res) => { res.writeHead(302, { location: 'http://169.254.169.254/' }).end() }]
  ]
  for (const [openid, answer] of cases) {
    await sys.push(SAFE, 'text', { from: openid })
    backend.answer = answer
    backend.requests.length = 0
    const res = await alice.api(sys, 'GET', customer(SAFE, openid, 'profile'))
    t.equal(res.status, 200, openid)
    t.same(res.json(), { status: 'unavailable' }, openid)
    t.equal((await alice.api(sys, 'GET', customer(SAFE, openid))).status, 200, `${openid}: the panel itself is fine`)
    await alice.api(sys, 'GET', customer(SAFE, openid, 'profile'))
    t.equal(backend.requests.length, 1, `${openid}: the failure is remembered for a while`)
  }
  backend.answer = (res) => { res.writeHead(404).end() }
  await sys.push(SAFE, 'text', { from: 'o_unknown_there' })
  t.same((await alice.api(sys, 'GET', customer(SAFE, 'o_unknown_there', 'profile'))).json(), { status: 'none' }, 'a 404 means the business knows no such customer')
})

t.test('no lookup where none is configured, nor for a conversation that does not exist', async (t) => {
  await sys.push(PLAIN, 'text', { from: 'o_plain_profile' })
  backend.requests.length = 0
  t.same((await alice.api(sys, 'GET', customer(PLAIN, 'o_plain_profile', 'profile'))).json(), { status: 'off' })
  t.equal((await alice.api(sys, 'GET', customer(SAFE, 'o_made_up', 'profile'))).status, 404)
  t.equal(backend.requests.length, 0, 'the backend was never asked')
})

t.test('the panel, its changes, the lookup and the tags refuse another mini program’s conversation', async (t) => {
  backend.requests.length = 0
  for (const [method, path, body] of [
    ['GET', customer(SAFE, 'o_panel')], ['PATCH', customer(SAFE, 'o_panel'), { tags: ['peek'] }], ['GET', customer(SAFE, 'o_panel', 'profile')], ['GET', `/api/tags?appid=${SAFE}`]
  ] as Array<[string, string, unknown?]>) {
    const res = await carol.api(sys, method, path, body)
    t.equal(res.status, 404, `${method} ${path}`)
    t.notMatch(res.text, /o_panel|order-card/)
  }
  t.same((await carol.api(sys, 'GET', '/api/tags')).json().tags, [], 'carol sees no tags of SAFE')
  t.equal(backend.requests.length, 0)
  t.same((await sys.prisma.conversation.findUniqueOrThrow({ where: { appId_openid: { appId: SAFE, openid: 'o_panel' } } })).tags, [])
})

t.test('a display name agents give the customer: trimmed, at most 64 characters, empty clears, live to colleagues', async (t) => {
  await sys.push(SAFE, 'text', { from: 'o_named' })
  const name = (openid: string, displayName: unknown, who = alice): ReturnType<Agent['api']> => who.api(sys, 'PUT', customer(SAFE, openid, 'name'), { displayName })
  const stored = async (): Promise<string | null> => (await sys.prisma.conversation.findUniqueOrThrow({ where: { appId_openid: { appId: SAFE, openid: 'o_named' } } })).displayName
  const res = await name('o_named', '  王小明 · VIP  ')
  t.equal(res.status, 200)
  t.same(res.json(), { displayName: '王小明 · VIP' })
  t.equal(await stored(), '王小明 · VIP')
  t.equal((await alice.api(sys, 'GET', customer(SAFE, 'o_named'))).json().customer.displayName, '王小明 · VIP', 'in the panel')
  const listed = (await alice.api(sys, 'GET', '/api/conversations?status=all&limit=100')).json().conversations.find((c: { openid: string }) => c.openid === 'o_named')
  t.equal(listed.displayName, '王小明 · VIP', 'in the list')
  t.equal((await alice.api(sys, 'GET', `/api/conversations/${SAFE}/o_named?limit=1`)).json().conversation.displayName, '王小明 · VIP', 'in the conversation')
  t.equal((await name('o_named', '字'.repeat(64))).status, 200, '64 characters (not bytes) are fine')
  await name('o_named', 'Ada')
  for (const body of [{ displayName: '字'.repeat(65) }, { displayName: '  ' + 'x'.repeat(65) + '  ' }, { displayName: 'a\u0007b' }, { displayName: 42 }, { displayName: null }, {}, { displayName: 'Ada', extra: 1 }]) {
    const bad = await alice.api(sys, 'PUT', customer(SAFE, 'o_named', 'name'), body)
    t.equal(bad.status, 400, JSON.stringify(body).slice(0, 40))
    t.notMatch(bad.json().message, /\n/)
    t.equal(await stored(), 'Ada', 'nothing stored when refused')
  }
  t.equal((await name('o_made_up_name', 'x')).status, 404, 'no such conversation')
  t.equal((await name('o_named', 'peek', carol)).status, 404, 'not for an agent of another mini program')
  t.equal(await stored(), 'Ada')
  const cleared = await name('o_named', '   ')
  t.same(cleared.json(), { displayName: null }, 'an empty name clears it')
  t.equal(await stored(), null)
})
