// The plugin in a B app, against a stand-in A that speaks the protocol: redemption, the liveness cache,
// back-channel logout of exactly one A login, A being down, and option checks.
import t from 'tap'
import Fastify, { type FastifyInstance, type LightMyRequestResponse as InjectResponse } from 'fastify'
import { createMemoryStore } from '@kefu/session'
import { parseBasicAuthorization, signLogoutMessage, ssoClient, type SsoClientOptions } from '../src/index.js'

const SECRET = 'client-secret-client-secret-client-secret'
const SESSION_SECRET = 'session-secret-session-secret-session!'

class FakeClock {
  now = 1_790_000_000_000
  readonly read = (): number => this.now
  advance (ms: number): void { this.now += ms }
}

// The stand-in A: tickets map to logins; live logins are a set the test edits. Each login ends 30 s after the last
// activity A heard of (its own clock is the test's), or 120 s after it began.
const IDLE_MS = 30_000
const CAP_MS = 120_000
const tickets = new Map<string, { sub: string, username: string, sid: string }>()
const live = new Set<string>()
const logins = new Map<string, { created: number, lastSeen: number }>()
const reports: Array<{ sid: string, activeAt: number | undefined }> = []
let checks = 0
let down = false
const fakeA = Fastify()
fakeA.addHook('onRequest', async (request, reply) => {
  if (down) return reply.code(503).send({ code: 'DOWN' })
  const creds = parseBasicAuthorization(request.headers.authorization)
  if (creds?.clientId !== 'b1' || creds.clientSecret !== SECRET) return reply.code(401).send({ code: 'KEFU_AUTH_CLIENT_AUTH' })
})
fakeA.post<{ Body: { ticket: string } }>('/sso/redeem', async (request, reply) => {
  const grant = tickets.get(request.body.ticket)
  tickets.delete(request.body.ticket)
  if (grant === undefined) return reply.code(400).send({ code: 'KEFU_AUTH_INVALID_TICKET' })
  return grant
})
fakeA.post<{ Body: { sub: string, sid: string, activeAt?: number } }>('/sso/check', async (request) => {
  checks++
  const { sid, activeAt } = request.body
  reports.push({ sid, activeAt })
  const login = logins.get(sid)
  if (!live.has(sid) || login === undefined) return { active: false }
  const now = clock.now
  if (now >= Math.min(login.lastSeen + IDLE_MS, login.created + CAP_MS)) return { active: false }
  if (activeAt !== undefined) login.lastSeen = Math.max(login.lastSeen, Math.min(activeAt, now))
  return { active: true, expiresAt: Math.min(login.lastSeen + IDLE_MS, login.created + CAP_MS), capAt: login.created + CAP_MS, idleMs: IDLE_MS, now }
})
const aUrl = await fakeA.listen({ port: 0, host: '127.0.0.1' })
t.teardown(() => fakeA.close())

const clock = new FakeClock()
const B = 'http://b.example'

async function buildB (t: { teardown: (fn: () => unknown) => void }, patch: Partial<SsoClientOptions> = {}): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(ssoClient, {
    authUrl: 'http://a.example',
    authInternalUrl: aUrl,
    clientId: 'b1',
    clientSecret: SECRET,
    publicUrl: B,
    now: clock.read,
    session: { store: createMemoryStore({ prefix: 'b1:' }), secret: SESSION_SECRET, cookieName: 'b1', clock: clock.read },
    ...patch
  })
  app.get('/page', async (request, reply) => {
    const script = await app.sso.pageScript(request, reply)
    return reply.type('text/html').send(`<html><head>${script}</head></html>`)
  })
  app.get('/private', { preHandler: app.ssoRequired }, async (request) => ({ user: await request.ssoUser() }))
  app.get('/stream', { config: { ssoActivity: false } }, async (request) => ({ user: await request.ssoUser() }))
  await app.ready()
  t.teardown(() => app.close())
  return app
}

class Browser {
  readonly jar = new Map<string, string>()
  constructor (readonly app: FastifyInstance) {}
  async request (method: 'GET' | 'POST', url: string, headers: Record<string, string> = {}, payload?: object): Promise<InjectResponse> {
    const cookie = [...this.jar].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('; ')
    const res = await this.app.inject({ method, url, headers: { ...(cookie === '' ? {} : { cookie }), ...headers }, ...(payload === undefined ? {} : { payload }) })
    for (const c of res.cookies as Array<{ name: string, value: string, maxAge?: number }>) {
      if (c.value === '' || c.maxAge === 0) this.jar.delete(c.name)
      else this.jar.set(c.name, c.value)
    }
    return res
  }

  /** The page script's two steps: read the CSRF token from the page, post the ticket from this origin. */
  async signIn (ticket: string): Promise<InjectResponse> {
    const page = await this.request('GET', '/page')
    const csrf = /"csrf":"([^"]+)"/.exec(page.body)![1]!
    return await this.request('POST', '/sso/ticket', { origin: B, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json', 'x-kefu-csrf': csrf }, { ticket })
  }
}

let n = 0
function grant (username: string, sub = '1'): { ticket: string, sid: string, sub: string } {
  n++
  const ticket = String(n).padStart(43, 'T')
  const sid = String(n).padStart(22, 'S')
  tickets.set(ticket, { sub, username, sid })
  live.add(sid)
  logins.set(sid, { created: clock.now, lastSeen: clock.now })
  return { ticket, sid, sub }
}

t.test('a redeemed ticket starts a B session; the A login is asked about at most once per interval', async (t) => {
  const app = await buildB(t)
  const b = new Browser(app)
  const { ticket, sid } = grant('alice')
  const res = await b.signIn(ticket)
  t.equal(res.statusCode, 200)
  t.same(res.json(), { username: 'alice' })
  checks = 0
  t.same((await b.request('GET', '/me')).json(), { username: 'alice' })
  t.equal(checks, 1, 'asked once')
  t.same((await b.request('GET', '/me')).json(), { username: 'alice' })
  t.equal(checks, 1, 'then believed')
  checks = 0
  clock.advance(4000)
  await Promise.all([b.request('GET', '/me'), b.request('GET', '/me'), b.request('GET', '/private')])
  t.equal(checks, 1, 'concurrent requests share one check')
  clock.advance(3999)
  await b.request('GET', '/me')
  t.equal(checks, 1, 'cached until the interval passes')
  live.delete(sid)
  t.equal((await b.request('GET', '/me')).statusCode, 200, 'a missed logout is still believed for < 4 s…')
  clock.advance(1)
  const gone = await b.request('GET', '/me')
  t.equal(gone.statusCode, 401, '…and refused once the interval is over')
  t.equal(gone.json().code, 'KEFU_SSO_LOGIN_REQUIRED')
  t.equal(b.jar.has('b1'), false, 'the B session cookie is cleared')
})

const PERSON = { 'x-kefu-activity': 'person' }
const FETCH = { 'sec-fetch-mode': 'cors', accept: 'application/json' }

t.test('requests the person makes are reported to A as activity; automatic ones are not', async (t) => {
  const app = await buildB(t)
  const b = new Browser(app)
  const { ticket, sid } = grant('alice')
  await b.signIn(ticket)
  const reported = (): Array<number | undefined> => reports.filter((r) => r.sid === sid).map((r) => r.activeAt)
  const stale = (): void => { clock.advance(4000) }

  stale()
  await b.request('GET', '/private', FETCH)
  stale()
  await b.request('GET', '/private', { 'x-kefu-activity': 'background' })
  stale()
  await b.request('GET', '/stream', { 'sec-fetch-mode': 'navigate' })
  stale()
  await b.request('GET', '/sso/status', PERSON)
  t.same(reported().filter((a) => a !== undefined), [], 'an unmarked fetch, a background call, a stream and the status poll are not activity')

  stale()
  const navigated = clock.now
  await b.request('GET', '/private', { 'sec-fetch-mode': 'navigate', accept: 'text/html' })
  t.equal(reported().at(-1), navigated, 'a page navigation is reported with its time')
  stale()
  const clicked = clock.now
  await b.request('GET', '/private', PERSON)
  t.equal(reported().at(-1), clicked, 'so is a call the page marks as the person\'s')

  clock.advance(1000)
  const later = clock.now
  const before = reports.length
  await b.request('GET', '/private', PERSON)
  t.equal(reports.length, before, 'within the interval A is not asked again…')
  clock.advance(3000)
  await b.request('GET', '/private', { 'x-kefu-activity': 'background' })
  t.equal(reports.at(-1)?.activeAt, later, '…and the activity goes with the next check')
  t.equal(logins.get(sid)?.lastSeen, later, 'A moved the login\'s last-seen to it')
})

t.test('once the end A announced has passed, A is asked at once rather than believed for the interval', async (t) => {
  const app = await buildB(t)
  const b = new Browser(app)
  const { ticket, sid } = grant('alice')
  await b.signIn(ticket)
  clock.advance(IDLE_MS - 500)
  t.equal((await b.request('GET', '/private', FETCH)).statusCode, 200, 'A says: ends in 500 ms')
  const before = reports.filter((r) => r.sid === sid).length
  clock.advance(600)
  t.equal((await b.request('GET', '/private', FETCH)).statusCode, 401, 'past it, inside the check interval: asked again, and it has ended')
  t.equal(reports.filter((r) => r.sid === sid).length, before + 1)
})

t.test('activity in the last check interval before A\'s idle end reaches A before that end: the login outlives it', async (t) => {
  const app = await buildB(t)
  const b = new Browser(app)
  const { ticket, sid } = grant('alice')
  await b.signIn(ticket)
  const end = logins.get(sid)!.created + IDLE_MS
  clock.advance(IDLE_MS - 3000)
  t.equal((await b.request('GET', '/private', FETCH)).statusCode, 200, 'B asks A (not activity): the login ends in 3 s')
  clock.advance(2000)
  const clicked = clock.now
  t.equal((await b.request('GET', '/private', PERSON)).statusCode, 200, 'the person clicks on B 1 s before the end, inside the 4 s interval')
  t.equal(logins.get(sid)!.lastSeen, clicked, 'A heard of it at once, not with the next check (which would come after the end)')
  clock.advance(2000)
  t.ok(clock.now > end, 'past the end A had announced')
  t.equal((await b.request('GET', '/private', FETCH)).statusCode, 200, 'still signed in on B')
  t.ok(clock.now < Math.min(logins.get(sid)!.lastSeen + IDLE_MS, logins.get(sid)!.created + CAP_MS), 'and at A')

  // Earlier in the idle period activity still waits for the interval: one call to A per interval, not one per click.
  clock.advance(1000)
  const before = reports.length
  t.equal((await b.request('GET', '/private', PERSON)).statusCode, 200)
  t.equal(reports.length, before, 'far from the end: not reported at once')
})

t.test('activity inside the interval reaches A by itself when the interval ends (real time)', async (t) => {
  const app = await buildB(t, { now: Date.now, checkIntervalMs: 300 })
  const b = new Browser(app)
  const { ticket, sid } = grant('alice')
  await b.signIn(ticket)
  await b.request('GET', '/private', PERSON)
  const at = Date.now()
  await b.request('GET', '/private', PERSON)
  const deadline = Date.now() + 5000
  while (!reports.some((r) => r.sid === sid && r.activeAt !== undefined && r.activeAt >= at)) {
    if (Date.now() > deadline) throw new Error('the activity was not reported')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  t.pass('reported without another request')
})

t.test('the B session has no idle limit of its own: it lives while the A login does', async (t) => {
  const app = await buildB(t, { session: { store: createMemoryStore({ prefix: 'b1-idle:' }), secret: SESSION_SECRET, cookieName: 'b1', clock: clock.read, idleTimeoutS: 10, absoluteTimeoutS: 600 } })
  const b = new Browser(app)
  const { ticket, sid } = grant('alice')
  await b.signIn(ticket)
  for (let i = 0; i < 5; i++) {
    clock.advance(20_000)
    logins.get(sid)!.lastSeen = clock.now // the person works at A, or on another B site
    t.equal((await b.request('GET', '/private', FETCH)).statusCode, 200, `${(i + 1) * 20} s without a request here, past this site's 10 s`)
  }
  clock.advance(IDLE_MS + 4000)
  t.equal((await b.request('GET', '/private', FETCH)).statusCode, 401, 'idle everywhere: ended with the A login')
})

t.test('/sso/status tells the page when the login ends; /sso/keepalive reports activity at once', async (t) => {
  const app = await buildB(t, { warnBeforeS: 90, statusPollMs: 2000 })
  const b = new Browser(app)
  t.same((await b.request('GET', '/sso/status')).json(), { active: false, now: clock.now, warnBeforeMs: 90_000, pollMs: 2000, loginPath: '/sso/login?return_to=' }, 'nobody signed in')
  const { ticket, sid } = grant('alice')
  await b.signIn(ticket)
  const signedIn = clock.now
  clock.advance(10_000)
  const status = (await b.request('GET', '/sso/status')).json()
  t.same(status, { active: true, expiresAt: signedIn + IDLE_MS, capAt: signedIn + CAP_MS, now: clock.now, warnBeforeMs: 90_000, pollMs: 2000, loginPath: '/sso/login?return_to=' })
  clock.advance(1000)
  const before = reports.length
  const kept = await b.request('POST', '/sso/keepalive', { origin: B, 'sec-fetch-site': 'same-origin' })
  t.equal(kept.statusCode, 200)
  t.equal(reports.length, before + 1, 'A was asked at once, inside the interval')
  t.equal(reports.at(-1)?.activeAt, clock.now)
  t.equal(kept.json().expiresAt, clock.now + IDLE_MS, 'the login ends later now')
  const hostile: Array<Record<string, string>> = [{ origin: 'http://evil.example' }, {}, { origin: B, 'sec-fetch-site': 'cross-site' }]
  for (const headers of hostile) {
    const res = await b.request('POST', '/sso/keepalive', headers)
    t.equal(res.statusCode, 403, `refused: ${JSON.stringify(headers)}`)
  }
  live.delete(sid)
  clock.advance(4000)
  t.same((await b.request('GET', '/sso/status')).json().active, false, 'ended at A: the page hears it')
  t.equal((await b.request('GET', '/private', FETCH)).statusCode, 401)
})

t.test('the session watch script is served to pages, not counted as activity', async (t) => {
  const app = await buildB(t)
  const res = await app.inject({ url: '/sso/session-watch.js' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /text\/javascript/)
  t.match(res.body, /kefuSessionWatch/)
  t.match(res.body, /保持登录/)
  t.match(res.body, /Stay signed in/)
  t.doesNotThrow(() => new Function(res.body), 'it parses')
})

t.test('back-channel logout ends exactly the B sessions of that A login, at once', async (t) => {
  const app = await buildB(t)
  const first = grant('alice')
  const second = grant('alice')
  const laptop = new Browser(app)
  const phone = new Browser(app)
  await laptop.signIn(first.ticket)
  await phone.signIn(second.ticket)
  const { body, signature } = signLogoutMessage({ iss: 'http://a.example', aud: 'b1', sub: first.sub, sids: [first.sid], iat: clock.now, jti: 'x' }, SECRET)
  const res = await app.inject({ method: 'POST', url: '/sso/logout', headers: { 'content-type': 'application/json', 'kefu-sso-signature': signature }, payload: body })
  t.equal(res.statusCode, 204)
  t.equal((await laptop.request('GET', '/me')).statusCode, 401, 'the laptop, whose A login ended')
  t.equal((await phone.request('GET', '/me')).statusCode, 200, 'the phone, another A login of the same account, stays')
})

t.test('A down: nobody is treated as logged in (503), and the page still renders', async (t) => {
  const app = await buildB(t)
  const b = new Browser(app)
  await b.signIn(grant('alice').ticket)
  clock.advance(5000)
  down = true
  t.teardown(() => { down = false })
  const res = await b.request('GET', '/me')
  t.equal(res.statusCode, 503)
  t.equal(res.json().code, 'KEFU_SSO_AUTH_UNAVAILABLE')
  down = false
  t.equal((await b.request('GET', '/me')).statusCode, 200, 'back when A is back; the B session was kept')
})

t.test('the page script says when the redirect check is due', async (t) => {
  const app = await buildB(t, { silentCheckIntervalS: 60 })
  const b = new Browser(app)
  t.match((await b.request('GET', '/page')).body, /"user":false,"due":true/)
  b.jar.set('kefu_sso_b1_checked', String(clock.now))
  t.match((await b.request('GET', '/page')).body, /"due":false/)
  clock.advance(60_000)
  t.match((await b.request('GET', '/page')).body, /"due":true/)
  b.jar.set('kefu_sso_b1_checked', String(clock.now + 3_600_000))
  t.match((await b.request('GET', '/page')).body, /"due":true/, 'a marker from the future is ignored')
  await b.signIn(grant('alice').ticket)
  t.match((await b.request('GET', '/page')).body, /"user":true/)
})

t.test('options are checked at registration with one line naming the option', async (t) => {
  const bad: Array<[Partial<SsoClientOptions>, RegExp]> = [
    [{ authUrl: 'http://a.example/' }, /^@kefu\/sso-client option authUrl must be an origin/],
    [{ publicUrl: '*' }, /option publicUrl must be an origin/],
    [{ clientId: 'a b' }, /option clientId must be/],
    [{ clientSecret: 'short' }, /option clientSecret must be at least 32/],
    [{ authInternalUrl: 'nope' }, /option authInternalUrl must be an http/],
    [{ checkIntervalMs: 120_000 }, /option checkIntervalMs must be 0 to 60000/],
    [{ session: undefined }, /needs @kefu\/session/]
  ]
  for (const [patch, message] of bad) {
    const app = Fastify()
    app.register(ssoClient, {
      authUrl: 'http://a.example', clientId: 'b1', clientSecret: SECRET, publicUrl: B,
      session: { store: createMemoryStore(), secret: SESSION_SECRET, cookieName: 'b1' },
      ...patch
    })
    await t.rejects(async () => { await app.ready() }, message)
    await app.close()
  }
})
