// PostgreSQL and Redis taken away (a TCP proxy cut in front of each, for A and the console alike) and brought back:
// every route of the console answers 503 with one line (a page for navigations) while a server it needs is away,
// never 500 and never hangs, and works again by itself; an open live stream says so and ends, and live updates
// flow again once Redis is back (its subscription renewed by itself).
import crypto from 'node:crypto'
import t from 'tap'
import authApp, { upsertAccount } from '@kefu/auth'
import { createPrismaClient } from '@kefu/db'
import { createTestDatabase } from '@kefu/db/testing'
import ingestApp from '@kefu/ingest'
import { createRedisBus, type WechatAppConfig } from '@kefu/service'
import {
  bindServer, deleteKeysAtTeardown, injected, outageDrill, proxiesInFront, startSite, type Answer, type Probe, testKeyPrefix
} from '@kefu/service/testing'
import { SIGNATURE_HEADER, signLogoutMessage } from '@kefu/sso-client'
import { WechatApiError } from '@kefu/wechat-api'
import { startFakeWechat } from '@kefu/wechat-api/testing'
import { buildPush, messageFields } from '@kefu/wechat-crypto'
import workerApp from '@kefu/worker'
import consoleApp from '../src/app.js'
import type { WechatSender } from '../src/common/sender.js'
import { APPS, Agent, PASSWORD, startConsoleSystem, type ConsoleSystem, type Site } from './helper.js'

const skip = (process.env.DATABASE_URL === undefined || process.env.REDIS_URL === undefined) && 'needs DATABASE_URL and REDIS_URL (embedded run)'
const SESSION_SECRET = 'session-secret-session-secret-0123456789'
const NAVIGATE = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8', 'sec-fetch-mode': 'navigate' }
const TEMPLATE_ID = 'tplOutageOrderStatus0001'
const APP: WechatAppConfig = {
  appid: 'wxc0501e00000000a1',
  token: 'outageToken1',
  secret: 'outage-secret-00000000000000000001',
  subscribeTemplates: [{ templateId: TEMPLATE_ID, title: '订单状态提醒', fields: [{ key: 'thing1', kind: 'thing', label: '状态' }], longTerm: false }]
}
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex')

interface SseEvent { event: string, data: any }

t.test('every route of the console through PostgreSQL and Redis outages', { skip }, async (t) => {
  const db = await createTestDatabase('console_outage')
  t.teardown(db.drop)
  const prefix = testKeyPrefix('console')
  deleteKeysAtTeardown(t, prefix)
  const { database, redis } = await proxiesInFront(t, db.url)
  // Seeding and ingest go straight to the servers: they stand for the rest of the world, which stays up.
  const prisma = createPrismaClient({ url: db.url, poolMax: db.poolMax })
  t.teardown(() => prisma.$disconnect())
  const ingestBus = await createRedisBus(process.env.REDIS_URL!)
  t.teardown(() => ingestBus.close())
  const fake = await startFakeWechat({ apps: [{ appid: APP.appid, secret: APP.secret! }], subscribeTemplates: { [APP.appid]: APP.subscribeTemplates! } })
  t.teardown(() => fake.close())

  const aBound = await bindServer()
  const cBound = await bindServer()
  // fetch cannot choose the Host header, and pages redirect navigations under another name to PUBLIC_URL: each
  // site is reached under the name it has.
  const aUrl = `http://127.0.0.1:${aBound.port}`
  const cUrl = `http://localhost:${cBound.port}`
  const clientSecret = 'console-client-secret-'.padEnd(48, 'x')
  const a = await startSite(t, authApp, {
    publicUrl: aUrl,
    clients: [{ clientId: 'console', clientSecret, origins: [cUrl], redirectUris: [cUrl + '/sso/callback'], logoutUri: `http://127.0.0.1:${cBound.port}/sso/logout` }],
    session: { secret: SESSION_SECRET },
    databaseUrl: database.url,
    poolMax: db.poolMax,
    redisUrl: redis.url,
    redisPrefix: prefix + 'auth:',
    scrypt: { N: 1024, r: 8, p: 1 },
    loginLimits: { account: { max: 10_000, windowS: 60 }, ip: { max: 10_000, windowS: 60 } }
  }, { server: aBound.server })
  const c = await startSite(t, consoleApp, {
    publicUrl: cUrl,
    authUrl: aUrl,
    authInternalUrl: aUrl,
    clientId: 'console',
    clientSecret,
    session: { secret: SESSION_SECRET },
    apps: [APP],
    databaseUrl: database.url,
    poolMax: db.poolMax,
    redisUrl: redis.url,
    redisPrefix: prefix + 'console:',
    wechatApiBase: fake.url,
    repliesPerMinute: 10_000,
    sessionCheckMs: 200
  }, { server: cBound.server })
  const ingest = await startSite(t, ingestApp, { apps: [APP], prisma, prismaConcurrency: db.poolMax, redisUrl: process.env.REDIS_URL!, redisPrefix: prefix + 'ingest:', bus: ingestBus, docs: false })
  // The worker keeps the search index the console reads; it too stands for the rest of the world.
  await startSite(t, workerApp, { prisma, prismaConcurrency: db.poolMax, redisUrl: process.env.REDIS_URL!, bus: ingestBus, wechatApiBase: fake.url, wechatTokenPrefix: prefix + 'console:wechat:token:', autoAssignSweepMs: 0 }, { quiet: true })
  await upsertAccount(prisma, 'alice', PASSWORD, { N: 1024, r: 8, p: 1 })
  await prisma.agentApp.create({ data: { username: 'alice', appId: APP.appid } })
  // An administrator, so that the routes administrators use are probed too.
  await prisma.agent.create({ data: { username: 'alice', role: 'admin', owner: true, availability: 'offline' } })

  async function push (from: string, content = 'hello'): Promise<void> {
    const built = buildPush({ appid: APP.appid, token: APP.token, mode: 'plain', format: 'json', fields: messageFields({ type: 'text', fromUserName: from, content }) })
    const res = await ingest.app.inject({ method: 'POST', url: `/wechat/${APP.appid}`, query: built.query, headers: { 'content-type': built.contentType }, payload: built.body })
    if (res.body !== 'success') throw new Error(`push refused: ${res.statusCode} ${res.body}`)
  }
  /** The customer accepts the template once more: at WeChat (the fake), and through ingest (its popup event). */
  let accepted = 0
  async function accept (from: string): Promise<void> {
    fake.grantSubscription(APP.appid, from, TEMPLATE_ID, 1)
    const fields = messageFields({ type: 'subscribe_msg_popup_event', fromUserName: from, createTime: Math.floor(Date.now() / 1000) + accepted++, items: [{ templateId: TEMPLATE_ID }] })
    const built = buildPush({ appid: APP.appid, token: APP.token, mode: 'plain', format: 'json', fields })
    const res = await ingest.app.inject({ method: 'POST', url: `/wechat/${APP.appid}`, query: built.query, headers: { 'content-type': built.contentType }, payload: built.body })
    if (res.body !== 'success') throw new Error(`push refused: ${res.statusCode} ${res.body}`)
  }
  const A: Site = { app: a.app, url: aUrl, internalUrl: aUrl }
  const C: Site = { app: c.app, url: cUrl, internalUrl: cUrl }
  const sys = { db, prisma, bus: ingestBus, fake, a: A, console: C, ingest: { app: ingest.app, url: '', internalUrl: '' }, hosts: [], push: async () => {} } as unknown as ConsoleSystem

  await push('o_outage')
  await push('o_snoozed') // snoozed over and over, away from the conversation the other probes use
  const alice = new Agent()
  await alice.signIn(sys)
  // Signed in at A, not yet here: the page gives it the CSRF token its sync login posts tickets with.
  const fresh = new Agent()
  await fresh.request(A, 'POST', '/login', { headers: { 'content-type': 'application/json', origin: aUrl }, body: JSON.stringify({ username: 'alice', password: PASSWORD }) })
  const csrf = /"csrf":"([^"]+)"/.exec((await fresh.request(C, 'GET', '/')).text)![1]!
  const mediaId = fake.addMedia(APP.appid, PNG, 'image/png', 'dot.png')
  let shortcuts = 0
  const quickReply = async (): Promise<string> => (await alice.api(sys, 'POST', '/api/quick-replies', { scope: 'personal', shortcut: `q${++shortcuts}`, text: 'thanks' })).json().quickReply.id
  const kept = await quickReply()

  const answer = (r: { status: number, headers: Headers, text: string }): Answer => ({ status: r.status, contentType: r.headers.get('content-type') ?? '', body: r.text })
  /** A browser's navigation (fetch always says Sec-Fetch-Mode: cors): through inject, with the agent's cookies. */
  async function navigate (agent: Agent, target: Site, path: string): Promise<Answer & { location?: string }> {
    const host = new URL(target.url).hostname
    const jar = agent.jars.get(host) ?? new Map<string, string>()
    agent.jars.set(host, jar)
    const cookie = [...jar].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('; ')
    const res = await target.app.inject({ method: 'GET', url: path, headers: { host: new URL(target.url).host, ...NAVIGATE, ...(cookie === '' ? {} : { cookie }) } })
    for (const k of res.cookies as Array<{ name: string, value: string, maxAge?: number }>) {
      if (k.value === '' || k.maxAge === 0) jar.delete(k.name)
      else jar.set(k.name, k.value)
    }
    const location = res.headers.location
    return { ...injected(res), ...(typeof location === 'string' ? { location } : {}) }
  }
  const json = (check: (body: any) => boolean) => (x: Answer) => x.status >= 200 && x.status < 300 && check(JSON.parse(x.body))
  const api = async (method: string, path: string, body?: unknown) => answer(await alice.api(sys, method, path, body))
  const conversation = `/api/conversations/${APP.appid}/o_outage`
  const wellFormedTicket = (): string => crypto.randomBytes(32).toString('base64url')
  const ticketFromA = async (agent: Agent): Promise<string> => (await agent.request(A, 'POST', '/sso/ticket?client_id=console', { headers: { origin: cUrl, 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'cors' } })).json().ticket

  /** The first event of a live stream (then it is closed), or the error answer that refused to open one. */
  async function firstEvent (): Promise<Answer> {
    const controller = new AbortController()
    const cookie = alice.cookieHeader(C)
    try {
      const res = await fetch(cUrl + '/api/events', { headers: { cookie, accept: 'text/event-stream' }, signal: controller.signal })
      if (res.status !== 200) return answer({ status: res.status, headers: res.headers, text: await res.text() })
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
      let text = ''
      while (!/\nevent: \w+\ndata: .*\n\n/.test('\n' + text)) {
        const { value, done } = await reader.read()
        if (done) break
        text += value
      }
      return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: text }
    } finally {
      controller.abort()
    }
  }

  const probes: Probe[] = [
    // Need neither server, and must keep answering: the process is up; the browser's icon; the page's script and
    // style; the session-watch script; the start of the redirect check (a state cookie and a redirect to A); the page
    // of someone not signed in here (no cookie: no session to look up), with its sign-in gate.
    { route: 'GET /healthz', needs: [], send: async () => answer(await alice.request(C, 'GET', '/healthz')), ok: 200 },
    // Prometheus keeps scraping through an outage: the metrics live in the process.
    { route: 'GET /favicon.ico', needs: [], send: async () => answer(await alice.request(C, 'GET', '/favicon.ico')), ok: 204 },
    { route: 'GET /assets/:feature/:name', needs: [], send: async () => answer(await alice.request(C, 'GET', '/assets/shell/console.js')), ok: 200 },
    { route: 'GET /sso/session-watch.js', needs: [], send: async () => answer(await alice.request(C, 'GET', '/sso/session-watch.js')), ok: 200 },
    { route: 'GET /sso/login', needs: [], send: () => navigate(new Agent(), C, '/sso/login?return_to=/'), ok: 303 },
    { route: 'GET /', label: 'signed out', needs: [], page: true, send: () => navigate(new Agent(), C, '/'), ok: 200 },

    // /readyz answers for load balancers in its own shape: {"status":"database unreachable"} with 503.
    { route: 'GET /readyz', needs: ['database'], send: async () => answer(await alice.request(C, 'GET', '/readyz')), ok: 200, down: (x) => x.body === '{"status":"database unreachable"}' },

    // The sign-in: sessions here and A's logins and tickets live in Redis.
    { route: 'GET /', label: 'signed in', needs: ['redis'], page: true, send: () => navigate(alice, C, '/'), ok: (x) => x.status === 200 && x.body.includes('data-username="alice"') },
    { route: 'GET /sso/status', needs: ['redis'], send: async () => answer(await alice.request(C, 'GET', '/sso/status')), ok: json((b) => b.active === true) },
    {
      route: 'POST /sso/keepalive',
      needs: ['redis'],
      send: async () => answer(await alice.request(C, 'POST', '/sso/keepalive', { headers: { origin: cUrl, 'sec-fetch-site': 'same-origin' } })),
      ok: json((b) => b.active === true)
    },
    {
      route: 'POST /sso/ticket',
      needs: ['redis'],
      // While Redis is away A cannot even look a ticket up, so a made-up one is as good as a real one.
      send: async (up) => answer(await fresh.request(C, 'POST', '/sso/ticket', {
        headers: { origin: cUrl, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json', 'x-kefu-csrf': csrf },
        body: JSON.stringify({ ticket: up ? await ticketFromA(fresh) : wellFormedTicket() })
      })),
      ok: json((b) => b.username === 'alice')
    },
    {
      route: 'GET /sso/callback',
      needs: ['redis'],
      page: true,
      send: async (up) => {
        // The redirect check: the console → A's authorize (A's session) → back to the callback with a ticket.
        const authorize = new URL((await navigate(fresh, C, '/sso/login?return_to=/')).location!)
        let back = new URL(cUrl + '/sso/callback')
        back.searchParams.set('state', authorize.searchParams.get('state')!)
        back.searchParams.set('ticket', wellFormedTicket())
        if (up) back = new URL((await navigate(fresh, A, authorize.pathname + authorize.search)).location!)
        return await navigate(fresh, C, back.pathname + back.search)
      },
      ok: (x) => x.status === 303
    },
    {
      route: 'POST /sso/logout',
      needs: ['redis'],
      // A's back channel, for a login that has no session here: verified, then looked up in Redis.
      send: async () => {
        const { body, signature } = signLogoutMessage({ iss: aUrl, aud: 'console', sub: '999', sids: [crypto.randomBytes(16).toString('base64url')], iat: Date.now(), jti: crypto.randomBytes(8).toString('hex') }, clientSecret)
        return answer(await new Agent().request(C, 'POST', '/sso/logout', { headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature }, body }))
      },
      ok: 204
    },

    // The agent's work: the session (Redis) and the agent's mini programs, conversations and replies (PostgreSQL).
    { route: 'GET /api/me', needs: ['redis', 'database'], send: () => api('GET', '/api/me'), ok: json((b) => b.username === 'alice') },
    { route: 'GET /api/conversations', needs: ['redis', 'database'], send: () => api('GET', '/api/conversations'), ok: json((b) => b.conversations.some((x: any) => x.openid === 'o_outage')) },
    { route: 'GET /api/conversations/:appid/:openid', needs: ['redis', 'database'], send: () => api('GET', conversation), ok: json((b) => b.conversation.openid === 'o_outage') },
    { route: 'POST /api/conversations/:appid/:openid/read', needs: ['redis', 'database'], send: () => api('POST', conversation + '/read'), ok: 204 },
    {
      route: 'POST /api/conversations/:appid/:openid/messages',
      needs: ['redis', 'database'],
      // Each reply after a new message from the user: WeChat's reply window allows a few per message.
      send: async (up) => {
        if (up) await push('o_outage', 'one more')
        return await api('POST', conversation + '/messages', { type: 'text', text: 'answer' })
      },
      ok: (x) => x.status === 201 && JSON.parse(x.body).message.status === 'sent'
    },
    {
      // A reply that WeChat refused (seeded straight into the database, which stays up for the world), sent again.
      route: 'POST /api/conversations/:appid/:openid/messages/:id/retry',
      needs: ['redis', 'database'],
      send: async (up) => {
        if (up) await push('o_outage', 'one more')
        const failed = await prisma.outboundMessage.create({ data: { appId: APP.appid, openid: 'o_outage', msgType: 'text', content: JSON.stringify({ msgtype: 'text', text: { content: `again ${crypto.randomUUID()}` } }), status: 'failed', errcode: 45015, errmsg: 'window', agent: 'alice' } })
        return await api('POST', `${conversation}/messages/out-${failed.id}/retry`)
      },
      ok: (x) => x.status === 201 && JSON.parse(x.body).message.status === 'sent'
    },
    { route: 'POST /api/conversations/:appid/:openid/typing', needs: ['redis', 'database'], send: () => api('POST', conversation + '/typing', { typing: true }), ok: 204 },
    {
      route: 'POST /api/apps/:appid/images',
      needs: ['redis', 'database'],
      send: async () => {
        const form = new FormData()
        form.append('media', new Blob([PNG], { type: 'image/png' }), 'dot.png')
        return answer(await alice.request(C, 'POST', `/api/apps/${APP.appid}/images`, { headers: { origin: cUrl }, body: form }))
      },
      ok: json((b) => typeof b.mediaId === 'string')
    },
    { route: 'GET /api/media/:appid/:mediaId', needs: ['redis', 'database'], send: () => api('GET', `/api/media/${APP.appid}/${mediaId}`), ok: (x) => x.status === 200 && x.contentType === 'image/png' },
    { route: 'GET /api/reports', needs: ['redis', 'database'], send: () => api('GET', '/api/reports'), ok: json((b) => Array.isArray(b.apps) && Array.isArray(b.agents)) },
    { route: 'GET /api/reports.csv', needs: ['redis', 'database'], send: () => api('GET', '/api/reports.csv'), ok: (x) => x.status === 200 && x.body.includes('scope,mini_program_or_agent') },
    { route: 'GET /reports', needs: ['redis', 'database'], page: true, send: () => navigate(alice, C, '/reports'), ok: (x) => x.status === 200 && x.body.includes('<svg') },
    { route: 'GET /api/mini-programs', needs: ['redis', 'database'], send: () => api('GET', '/api/mini-programs'), ok: json((b) => b.items.some((p: any) => p.appid === APP.appid)) },
    { route: 'GET /api/mini-programs/:appid', needs: ['redis', 'database'], send: () => api('GET', `/api/mini-programs/${APP.appid}`), ok: json((b) => b.miniProgram.appid === APP.appid) },
    { route: 'GET /mini-programs', needs: ['redis', 'database'], page: true, send: () => navigate(alice, C, '/mini-programs'), ok: (x) => x.status === 200 && x.body.includes('mini-programs.js') },
    // A form with a mistake (400 after the owner check): one added would make alice the administrator of another mini program.
    { route: 'POST /api/mini-programs', needs: ['redis', 'database'], send: () => api('POST', '/api/mini-programs', { appid: 'wx00000000000000ee', token: 'x' }), ok: 400 },
    // A row of WECHAT_APPS: read-only (409), after the owner check and the form's.
    { route: 'PUT /api/mini-programs/:appid', needs: ['redis', 'database'], send: () => api('PUT', `/api/mini-programs/${APP.appid}`, { name: 'x' }), ok: 409 },
    { route: 'POST /api/mini-programs/:appid/rotate-key', needs: ['redis', 'database'], send: () => api('POST', `/api/mini-programs/${APP.appid}/rotate-key`, { encodingAESKey: 'a'.repeat(43) }), ok: 409 },
    { route: 'PUT /api/mini-programs/:appid/enabled', needs: ['redis', 'database'], send: () => api('PUT', `/api/mini-programs/${APP.appid}/enabled`, { enabled: true }), ok: 409 },
    { route: 'PUT /api/mini-programs/:appid/options', needs: ['redis', 'database'], send: () => api('PUT', `/api/mini-programs/${APP.appid}/options`, { transferCustomerService: true }), ok: 409 },
    { route: 'POST /api/mini-programs/:appid/test', needs: ['redis', 'database'], send: () => api('POST', `/api/mini-programs/${APP.appid}/test`), ok: json((b) => typeof b.ok === 'boolean') },
    { route: 'GET /reports/reports.css', needs: [], send: async () => answer(await alice.request(C, 'GET', '/reports/reports.css')), ok: 200 },
    { route: 'GET /api/search', needs: ['redis', 'database'], send: () => api('GET', '/api/search?openid=o_outage'), ok: json((b) => b.results.some((r: any) => r.openid === 'o_outage')) },
    {
      route: 'GET /api/conversations/:appid/:openid/around',
      needs: ['redis', 'database'],
      send: async () => {
        const found = await api('GET', '/api/search?openid=o_outage&limit=1')
        if (found.status !== 200) return found
        return await api('GET', `${conversation}/around?key=${JSON.parse(found.body).results[0]?.key as string}`)
      },
      ok: json((b) => b.messages.some((m: any) => m.openid === 'o_outage'))
    },
    { route: 'GET /api/events', needs: ['redis', 'database'], send: firstEvent, ok: (x) => x.status === 200 && x.body.includes('event: hello') },

    // Subscribe messages (issue #12): what the customer accepted, and a send, which spends one acceptance.
    { route: 'GET /api/subscribe-templates', needs: ['redis', 'database'], send: () => api('GET', '/api/subscribe-templates'), ok: json((b) => b.templates.some((x: any) => x.templateId === TEMPLATE_ID)) },
    { route: 'GET /api/conversations/:appid/:openid/subscriptions', needs: ['redis', 'database'], send: () => api('GET', conversation + '/subscriptions'), ok: json((b) => b.templates[0]?.templateId === TEMPLATE_ID) },
    {
      route: 'POST /api/conversations/:appid/:openid/subscribe-messages',
      needs: ['redis', 'database'],
      // Each send after the customer accepted once more (through ingest, which stays up, and at WeChat).
      send: async (up) => {
        if (up) await accept('o_outage')
        return await api('POST', conversation + '/subscribe-messages', { templateId: TEMPLATE_ID, fields: { thing1: '已发货' } })
      },
      ok: (x) => x.status === 201 && JSON.parse(x.body).message.status === 'sent'
    },

    // Teamwork: assignment, status, notes, the customer panel, quick replies, the team (issue #10).
    { route: 'GET /api/counts', needs: ['redis', 'database'], send: () => api('GET', '/api/counts'), ok: 200 },
    { route: 'GET /api/agents', needs: ['redis', 'database'], send: () => api('GET', '/api/agents'), ok: json((b) => b.agents.some((x: any) => x.username === 'alice')) },
    { route: 'PUT /api/me/availability', needs: ['redis', 'database'], send: () => api('PUT', '/api/me/availability', { availability: 'away' }), ok: json((b) => b.me.availability === 'away') },
    { route: 'PUT /api/me/notifications', needs: ['redis', 'database'], send: () => api('PUT', '/api/me/notifications', { desktop: false, sound: true }), ok: 200 },
    { route: 'PUT /api/agents/:username', needs: ['redis', 'database'], send: () => api('PUT', '/api/agents/alice', { apps: [APP.appid] }), ok: json((b) => b.agent.username === 'alice') },
    { route: 'GET /api/apps/:appid/settings', needs: ['redis', 'database'], send: () => api('GET', `/api/apps/${APP.appid}/settings`), ok: 200 },
    { route: 'PUT /api/apps/:appid/settings', needs: ['redis', 'database'], send: () => api('PUT', `/api/apps/${APP.appid}/settings`, { autoAssign: 'off', maxOpenPerAgent: 5 }), ok: 200 },
    { route: 'POST /api/conversations/:appid/:openid/claim', needs: ['redis', 'database'], send: () => api('POST', conversation + '/claim'), ok: json((b) => b.conversation.assignee === 'alice') },
    { route: 'POST /api/conversations/:appid/:openid/assign', needs: ['redis', 'database'], send: () => api('POST', conversation + '/assign', { to: 'alice', from: 'alice' }), ok: 200 },
    { route: 'POST /api/conversations/:appid/:openid/status', needs: ['redis', 'database'], send: () => api('POST', conversation + '/status', { status: 'open' }), ok: 200 },
    { route: 'POST /api/conversations/:appid/:openid/snooze', needs: ['redis', 'database'], send: () => api('POST', `/api/conversations/${APP.appid}/o_snoozed/snooze`, { until: Date.now() + 3_600_000 }), ok: 200 },
    { route: 'POST /api/conversations/:appid/:openid/notes', needs: ['redis', 'database'], send: () => api('POST', conversation + '/notes', { text: 'called back' }), ok: 201 },
    { route: 'GET /api/conversations/:appid/:openid/customer', needs: ['redis', 'database'], send: () => api('GET', conversation + '/customer'), ok: 200 },
    { route: 'PATCH /api/conversations/:appid/:openid/customer', needs: ['redis', 'database'], send: () => api('PATCH', conversation + '/customer', { tags: ['vip'] }), ok: json((b) => b.customer.tags.includes('vip')) },
    { route: 'PUT /api/conversations/:appid/:openid/name', needs: ['redis', 'database'], send: () => api('PUT', conversation + '/name', { displayName: 'Ada' }), ok: json((b) => b.displayName === 'Ada') },
    { route: 'GET /api/team/settings', needs: ['redis', 'database'], send: () => api('GET', '/api/team/settings'), ok: json((b) => typeof b.settings.timeZone === 'string') },
    { route: 'PUT /api/team/settings', needs: ['redis', 'database'], send: () => api('PUT', '/api/team/settings', { timeZone: 'Asia/Shanghai' }), ok: json((b) => b.settings.timeZone === 'Asia/Shanghai') },
    { route: 'GET /api/conversations/:appid/:openid/profile', needs: ['redis', 'database'], send: () => api('GET', conversation + '/profile'), ok: json((b) => b.status === 'off') },
    { route: 'GET /api/tags', needs: ['redis', 'database'], send: () => api('GET', '/api/tags'), ok: 200 },
    { route: 'GET /api/mentions', needs: ['redis', 'database'], send: () => api('GET', '/api/mentions'), ok: json((b) => Array.isArray(b.mentions)) },
    // No colleague mentions alice here: reading an id nobody has is the lookup's 404 (and 503 when it cannot look).
    { route: 'POST /api/mentions/:id/read', needs: ['redis', 'database'], send: () => api('POST', '/api/mentions/987654321/read'), ok: 404 },
    { route: 'POST /api/mentions/read', needs: ['redis', 'database'], send: () => api('POST', '/api/mentions/read'), ok: json((b) => b.unread === 0) },
    { route: 'GET /api/quick-replies', needs: ['redis', 'database'], send: () => api('GET', '/api/quick-replies'), ok: json((b) => b.quickReplies.some((q: any) => q.id === kept)) },
    { route: 'POST /api/quick-replies', needs: ['redis', 'database'], send: () => api('POST', '/api/quick-replies', { scope: 'personal', shortcut: `q${++shortcuts}`, text: 'hello' }), ok: 201 },
    { route: 'PUT /api/quick-replies/:id', needs: ['redis', 'database'], send: () => api('PUT', `/api/quick-replies/${kept}`, { shortcut: 'kept', text: 'thank you' }), ok: 200 },
    // A quick reply of its own to delete each time the servers are up (made then, while they are).
    { route: 'DELETE /api/quick-replies/:id', needs: ['redis', 'database'], send: async (up) => await api('DELETE', `/api/quick-replies/${up ? await quickReply() : kept}`), ok: 204 }
  ]
  const aLogged = a.logs.length
  await outageDrill(t, { routes: c.routes, probes, proxies: { database, redis }, logs: c.logs })
  t.same(a.logs.slice(aLogged).filter((l) => l.level >= 50).map((l) => l.msg), [], 'nor at A')

  await t.test('an open live stream says "unavailable" and ends when Redis goes; once it is back, pushes arrive live again', async (t) => {
    const controller = new AbortController()
    t.teardown(() => { controller.abort() })
    const cookie = alice.cookieHeader(C)
    async function open (): Promise<(ms?: number) => Promise<SseEvent | 'ended'>> {
      const res = await fetch(cUrl + '/api/events', { headers: { cookie, accept: 'text/event-stream' }, signal: controller.signal })
      if (res.status !== 200) throw new Error(`events: ${res.status}`)
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
      let buffer = ''
      return async function next (ms = 10_000) {
        const deadline = Date.now() + ms
        for (;;) {
          const end = buffer.indexOf('\n\n')
          if (end >= 0) {
            const block = buffer.slice(0, end)
            buffer = buffer.slice(end + 2)
            const event = /^event: (.*)$/m.exec(block)?.[1]
            const data = /^data: (.*)$/m.exec(block)?.[1]
            if (event !== undefined && data !== undefined) return { event, data: JSON.parse(data) }
            continue
          }
          const timer = new Promise<never>((_resolve, reject) => setTimeout(() => { reject(new Error('no event in time')) }, Math.max(1, deadline - Date.now())))
          const { value, done } = await Promise.race([reader.read(), timer])
          if (done === true) return 'ended'
          buffer += value
        }
      }
    }
    const before = await open()
    t.match(await before(), { event: 'hello' })
    await redis.cut('refuse')
    t.match(await before(), { event: 'unavailable' }, 'the stream says why it ends')
    t.equal(await before(), 'ended')
    await redis.restore()
    let after: Awaited<ReturnType<typeof open>> | undefined
    for (const deadline = Date.now() + 20_000; after === undefined && Date.now() < deadline;) {
      after = await open().catch(async () => { await new Promise((resolve) => setTimeout(resolve, 100)); return undefined })
    }
    t.ok(after, 'a new stream opens once Redis is back')
    t.match(await after!(), { event: 'hello' })
    await push('o_after_outage', 'live again')
    t.match(await after!(), { event: 'message', data: { openid: 'o_after_outage', text: 'live again' } }, 'the subscription came back by itself')
  })
})

t.test('WeChat calls that fail because the access token store is away: 503 (try again), not 502 (WeChat failed)', async (t) => {
  const away = (): never => { throw new WechatApiError('KEFU_WECHAT_API_TOKEN_UNAVAILABLE', `access token store unavailable for ${APPS[0]!.appid}: The client is offline`, { appid: APPS[0]!.appid }) }
  const sender = { send: async () => away(), typing: async () => away(), uploadImage: async () => away(), getMedia: async () => away(), failure: () => null, close: async () => {} } as Partial<WechatSender> as WechatSender
  const sys = await startConsoleSystem(t, { label: 'console_token_store_away', console: { sender } })
  const alice = new Agent()
  await alice.signIn(sys)
  const form = new FormData()
  form.append('media', new Blob([PNG], { type: 'image/png' }), 'dot.png')
  const upload = await alice.request(sys.console, 'POST', `/api/apps/${APPS[0]!.appid}/images`, { headers: { origin: sys.console.url }, body: form })
  t.equal(upload.status, 503, upload.text)
  t.match(upload.json(), { statusCode: 503, code: 'KEFU_WECHAT_API_TOKEN_UNAVAILABLE', error: 'Service Unavailable' })
  const media = await alice.api(sys, 'GET', `/api/media/${APPS[0]!.appid}/m1`)
  t.equal(media.status, 503, media.text)
  t.equal(media.json().code, 'KEFU_WECHAT_API_TOKEN_UNAVAILABLE')
})
