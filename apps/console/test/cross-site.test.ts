// Cross-site requests: a page of another origin on the same site (another port, a sibling subdomain) gets the
// agent's SameSite=Lax cookie on its posts. Every state-changing route refuses it (403, one line, nothing stored,
// nothing sent to WeChat), in one place; the same request from the console's own pages works.
import crypto from 'node:crypto'
import t from 'tap'
import { parseWechatApps } from '@kefu/service'
import { SIGNATURE_HEADER, signLogoutMessage } from '@kefu/sso-client'
import { APPS, Agent, addAgent, startConsoleSystem } from './helper.js'

const TEMPLATE = 'tplCrossSiteOrderStatus00000001'
const apps = parseWechatApps([{ ...APPS[0]!, subscribeTemplates: [{ templateId: TEMPLATE, title: '订单状态提醒', fields: [{ key: 'thing1', label: '状态' }] }] }], 'WECHAT_APPS')
const APPID = apps[0]!.appid
const sys = await startConsoleSystem(t, { label: 'console_cross_site', aHost: 'a.kefu.test', consoleHost: 'console.kefu.test', apps })
const own = sys.console.url
const port = Number(new URL(own).port)
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex')

await addAgent(sys, 'alice', [APPID], { role: 'admin' })
await addAgent(sys, 'bob', [])
const alice = new Agent()
await alice.signIn(sys)
const conversation = `/api/conversations/${APPID}/o_cross`
await sys.push(APPID, 'text', { from: 'o_cross', content: '在吗？' })
sys.fake.grantSubscription(APPID, 'o_cross', TEMPLATE, 1)
await sys.push(APPID, 'subscribe_msg_popup_event', { from: 'o_cross', items: [{ templateId: TEMPLATE }] })
const kept = (await alice.api(sys, 'POST', '/api/quick-replies', { scope: 'personal', shortcut: 'kept', text: 'thanks' })).json().quickReply.id as string
const doomed = (await alice.api(sys, 'POST', '/api/quick-replies', { scope: 'personal', shortcut: 'doomed', text: 'bye' })).json().quickReply.id as string

/** The pages that may not change anything here: same scheme and host on another port, a sibling, an opaque origin. */
const FOREIGN: Array<[string, Record<string, string>]> = [
  ['another port', { origin: `http://console.kefu.test:${port === 65535 ? port - 1 : port + 1}`, 'sec-fetch-site': 'same-site' }],
  ['a sibling subdomain', { origin: `http://evil.kefu.test:${port}`, 'sec-fetch-site': 'same-site' }],
  ["Origin 'null' (a sandboxed frame)", { origin: 'null', 'sec-fetch-site': 'cross-site' }],
  ['https instead of http', { origin: `https://console.kefu.test:${port}` }],
  ['no Origin, Sec-Fetch-Site same-site', { 'sec-fetch-site': 'same-site' }],
  ['neither Origin nor Sec-Fetch-Site', {}]
]
const OWN = { origin: own, 'sec-fetch-site': 'same-origin' }

type Send = (headers: Record<string, string>) => Promise<{ status: number, text: string, json: () => any }>
const json = (method: string, path: string, body?: unknown): Send => async (headers) => await alice.request(sys.console, method, path, body === undefined
  ? { headers }
  : { headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
const upload: Send = async (headers) => {
  const form = new FormData()
  form.append('media', new Blob([PNG], { type: 'image/png' }), 'dot.png')
  return await alice.request(sys.console, 'POST', `/api/apps/${APPID}/images`, { headers, body: form })
}

/** Each family of state-changing routes: the request, and the status the console's own page gets for it. */
const FAMILIES: Array<[string, Send, number]> = [
  ['claim', json('POST', conversation + '/claim'), 200],
  ['assign', json('POST', conversation + '/assign', { to: null, from: 'alice' }), 200],
  ['status', json('POST', conversation + '/status', { status: 'pending' }), 200],
  ['snooze', json('POST', conversation + '/snooze', { until: Date.now() + 3_600_000 }), 200],
  ['read', json('POST', conversation + '/read'), 204],
  ['reply', json('POST', conversation + '/messages', { type: 'text', text: '您好' }), 201],
  ['typing', json('POST', conversation + '/typing', { typing: true }), 204],
  ['upload', upload, 200],
  ['notes', json('POST', conversation + '/notes', { text: 'called back' }), 201],
  ['tags', json('PATCH', conversation + '/customer', { tags: ['vip'] }), 200],
  ['customer', json('PATCH', conversation + '/customer', { note: 'prefers mornings' }), 200],
  ['subscribe', json('POST', conversation + '/subscribe-messages', { templateId: TEMPLATE, fields: { thing1: '已发货' } }), 201],
  ['team', json('PUT', '/api/agents/bob', { apps: [APPID] }), 200],
  ['team: mini program settings', json('PUT', `/api/apps/${APPID}/settings`, { autoAssign: 'off', maxOpenPerAgent: 7 }), 200],
  ['quick replies: add', json('POST', '/api/quick-replies', { scope: 'personal', shortcut: 'hi', text: 'hello' }), 201],
  ['quick replies: edit', json('PUT', `/api/quick-replies/${kept}`, { shortcut: 'kept', text: 'thank you' }), 200],
  ['quick replies: delete', json('DELETE', `/api/quick-replies/${doomed}`), 204],
  ['availability', json('PUT', '/api/me/availability', { availability: 'away' }), 200],
  ['notifications', json('PUT', '/api/me/notifications', { desktop: false, sound: true }), 200],
  ['keep signed in', json('POST', '/sso/keepalive'), 200]
]

// Tables kept by the history worker in the background (the search index, the reports' roll-up, their cursors) move by
// themselves.
const BACKGROUND = new Set(['message_search', 'history_cursor', 'report_daily', 'report_episode'])
const tables = (await sys.prisma.$queryRawUnsafe<Array<{ name: string }>>(
  "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name NOT LIKE '\\_prisma%' ORDER BY 1"
)).map((r) => r.name).filter((name) => !BACKGROUND.has(name))

/** Every row of every table the routes write, as one digest per table. */
async function database (): Promise<Record<string, string>> {
  const digests: Record<string, string> = {}
  for (const name of tables) {
    const [row] = await sys.prisma.$queryRawUnsafe<Array<{ n: number, digest: string }>>(
      `SELECT count(*)::int AS n, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS digest FROM "${name}" t`
    )
    digests[name] = `${row!.n}:${row!.digest}`
  }
  return digests
}

t.ok(tables.includes('conversation') && tables.includes('quick_reply') && tables.includes('stored_media'), 'the tables the routes write are watched')

for (const [family, send, ok] of FAMILIES) {
  t.test(`${family}: refused from any other origin, nothing changed; works from the console's own`, async (t) => {
    const before = await database()
    const calls = sys.fake.requests.length
    for (const [name, headers] of FOREIGN) {
      const res = await send(headers)
      t.equal(res.status, 403, `${name}: ${res.text}`)
      const body = res.json()
      t.equal(body.code, 'KEFU_CONSOLE_CROSS_SITE', name)
      t.match(body.message, new RegExp(`^refused: state-changing requests must come from ${own.replace(/[.]/g, '\\.')} \\(.+\\)$`), `${name}: one readable line`)
      t.notMatch(body.message, /\n/)
    }
    t.same(await database(), before, 'the database is unchanged')
    t.equal(sys.fake.requests.length, calls, 'nothing was sent to WeChat')
    const honest = await send(OWN)
    t.equal(honest.status, ok, `from ${own}: ${honest.text.slice(0, 200)}`)
  })
}

t.test("a page's fetch that sends only Sec-Fetch-Site: same-origin is its own", async (t) => {
  const res = await json('PUT', '/api/me/availability', { availability: 'online' })({ 'sec-fetch-site': 'same-origin' })
  t.equal(res.status, 200, res.text)
  t.equal(res.json().me.availability, 'online')
})

t.test("A's back channel (server to server, no Origin) still ends sessions: its signature is the proof", async (t) => {
  const victim = new Agent()
  await victim.signIn(sys)
  t.equal((await victim.api(sys, 'GET', '/api/me')).status, 200)
  const sub = (await sys.prisma.$queryRawUnsafe<Array<{ id: string }>>('SELECT id::text FROM account WHERE username = $1', 'alice'))[0]!.id
  // What A's "log out everywhere" sends: every A login of the account.
  const sids = (await sys.a.app.kefuSessions.listForUser(sub)).map((s) => s.handle)
  const { body, signature } = signLogoutMessage({ iss: sys.a.url, aud: 'console', sub, sids, iat: Date.now(), jti: crypto.randomBytes(8).toString('hex') }, 'console-client-secret-'.padEnd(48, 'x'))
  const res = await new Agent().request(sys.console, 'POST', '/sso/logout', { headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature }, body })
  t.equal(res.status, 204, res.text)
  t.equal((await victim.api(sys, 'GET', '/api/me')).status, 401, 'the session ended')
})
