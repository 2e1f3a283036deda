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

// The stand-in A: tickets map to logins; live logins are a set the test edits.
const tickets = new Map<string, { sub: string, username: string, sid: string }>()
const live = new Set<string>()
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
fakeA.post<{ Body: { sub: string, sid: string } }>('/sso/check', async (request) => {
  checks++
  return { active: live.has(request.body.sid) }
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
  t.equal(checks, 0, 'A just vouched for it at the redemption')
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
