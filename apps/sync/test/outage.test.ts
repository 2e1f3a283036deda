// PostgreSQL and Redis taken away (a TCP proxy cut in front of each, for A and this B site alike) and brought back:
// every route of the B site answers 503 with one line (a page for navigations) while a server it needs is away,
// never 500 and never hangs, and works again by itself.
import crypto from 'node:crypto'
import t from 'tap'
import authApp, { upsertAccount } from '@kefu/auth'
import type { PrismaClient } from '@kefu/db'
import { createTestDatabase } from '@kefu/db/testing'
import {
  bindServer, deleteKeysAtTeardown, injected, outageDrill, proxiesInFront, startSite, type Answer, type Probe, testKeyPrefix
} from '@kefu/service/testing'
import { SIGNATURE_HEADER, signLogoutMessage } from '@kefu/sso-client'
import syncApp from '../src/app.js'
import { HttpClient, PASSWORD, ShiftedClock, type BSite, type Site } from './helper.js'

const skip = (process.env.DATABASE_URL === undefined || process.env.REDIS_URL === undefined) && 'needs DATABASE_URL and REDIS_URL (embedded run)'
const SESSION_SECRET = 'session-secret-session-secret-0123456789'
const NAVIGATE = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8', 'sec-fetch-mode': 'navigate' }

t.test('every route of a B site through PostgreSQL and Redis outages', { skip }, async (t) => {
  const db = await createTestDatabase('sync_outage')
  t.teardown(db.drop)
  const prefix = testKeyPrefix('sync')
  deleteKeysAtTeardown(t, prefix)
  const { database, redis } = await proxiesInFront(t, db.url)

  const aBound = await bindServer()
  const bBound = await bindServer()
  // fetch cannot choose the Host header, and pages redirect navigations under another name to PUBLIC_URL: each
  // site is reached under the name it has.
  const aUrl = `http://127.0.0.1:${aBound.port}`
  const bUrl = `http://localhost:${bBound.port}`
  const clientSecret = 'b-secret-'.padEnd(40, 'x') + crypto.randomBytes(8).toString('hex')
  const a = await startSite(t, authApp, {
    publicUrl: aUrl,
    clients: [{ clientId: 'b', clientSecret, origins: [bUrl], redirectUris: [bUrl + '/sso/callback'], logoutUri: `http://127.0.0.1:${bBound.port}/sso/logout` }],
    session: { secret: SESSION_SECRET },
    databaseUrl: database.url,
    poolMax: db.poolMax,
    redisUrl: redis.url,
    redisPrefix: prefix + 'auth:',
    scrypt: { N: 1024, r: 8, p: 1 },
    loginLimits: { account: { max: 10_000, windowS: 60 }, ip: { max: 10_000, windowS: 60 } }
  }, { server: aBound.server })
  await upsertAccount((a.app as unknown as { prisma: PrismaClient }).prisma, 'alice', PASSWORD, { N: 1024, r: 8, p: 1 })
  const b = await startSite(t, syncApp, {
    publicUrl: bUrl,
    authUrl: aUrl,
    authInternalUrl: `http://127.0.0.1:${aBound.port}`,
    clientId: 'b',
    clientSecret,
    session: { secret: SESSION_SECRET, cookieName: 'kefu_b' },
    redisUrl: redis.url,
    redisPrefix: prefix + 'b:'
  }, { server: bBound.server })
  const A: Site = { app: a.app, url: aUrl, internalUrl: `http://127.0.0.1:${aBound.port}`, logs: a.logs, refusals: () => [] }
  const B: BSite = { app: b.app, url: bUrl, internalUrl: bUrl, logs: b.logs, refusals: () => [], clientId: 'b', clientSecret, clock: new ShiftedClock() }

  // Signed in at A and, through the same-site path, here.
  const main = new HttpClient()
  await main.loginAtA(A)
  const csrf = await main.csrfFromB(B)
  const signedIn = await main.postTicketToB(B, await main.ticketFromA(A, B), csrf)
  t.equal(signedIn.status, 200)
  const answer = (r: { status: number, headers: Headers, text: string }): Answer => ({ status: r.status, contentType: r.headers.get('content-type') ?? '', body: r.text })
  /** A browser's navigation (fetch always says Sec-Fetch-Mode: cors): through inject, with the client's cookies. */
  async function navigate (client: HttpClient, site: Site, path: string): Promise<Answer & { location?: string }> {
    const jar = client.jar(site)
    const cookie = [...jar].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('; ')
    const res = await site.app.inject({ method: 'GET', url: path, headers: { host: new URL(site.url).host, ...NAVIGATE, ...(cookie === '' ? {} : { cookie }) } })
    for (const c of res.cookies as Array<{ name: string, value: string, maxAge?: number }>) {
      if (c.value === '' || c.maxAge === 0) jar.delete(c.name)
      else jar.set(c.name, c.value)
    }
    const location = res.headers.location
    return { ...injected(res), ...(typeof location === 'string' ? { location } : {}) }
  }
  const json = (check: (body: any) => boolean) => (x: Answer) => x.status === 200 && check(JSON.parse(x.body))
  const wellFormedTicket = (): string => crypto.randomBytes(32).toString('base64url')

  const probes: Probe[] = [
    // Need neither server, and must keep answering: the process is up; the browser's icon; the session-watch
    // script; the start of the redirect check (a state cookie and a redirect to A); the page of someone not signed
    // in here (no cookie: no session to look up), with its sign-in gate.
    { route: 'GET /healthz', needs: [], send: async () => answer(await main.request(B, 'GET', '/healthz')), ok: 200 },
    // Prometheus keeps scraping through an outage: the metrics live in the process.
    { route: 'GET /favicon.ico', needs: [], send: async () => answer(await main.request(B, 'GET', '/favicon.ico')), ok: 204 },
    { route: 'GET /sso/session-watch.js', needs: [], send: async () => answer(await main.request(B, 'GET', '/sso/session-watch.js')), ok: 200 },
    { route: 'GET /sso/login', needs: [], send: () => navigate(new HttpClient(), B, '/sso/login?return_to=/'), ok: 303 },
    { route: 'GET /', label: 'signed out', needs: [], page: true, send: () => navigate(new HttpClient(), B, '/'), ok: 200 },

    // B's sessions live in Redis, and so do A's logins and tickets that B asks about.
    // /readyz answers for load balancers in its own shape: {"status":"Redis unreachable"} with 503.
    { route: 'GET /readyz', needs: ['redis'], send: async () => answer(await main.request(B, 'GET', '/readyz')), ok: 200, down: (x) => x.body === '{"status":"Redis unreachable"}' },
    { route: 'GET /', label: 'signed in', needs: ['redis'], page: true, send: () => navigate(main, B, '/'), ok: (x) => x.status === 200 && x.body.includes('id="username">alice<') },
    { route: 'GET /me', needs: ['redis'], send: async () => answer(await main.request(B, 'GET', '/me')), ok: json((body) => body.username === 'alice') },
    { route: 'GET /sso/status', needs: ['redis'], send: async () => answer(await main.request(B, 'GET', '/sso/status')), ok: json((body) => body.active === true) },
    {
      route: 'POST /sso/keepalive',
      needs: ['redis'],
      send: async () => answer(await main.request(B, 'POST', '/sso/keepalive', { headers: { origin: bUrl, 'sec-fetch-site': 'same-origin' } })),
      ok: json((body) => body.active === true)
    },
    {
      route: 'POST /sso/ticket',
      needs: ['redis'],
      // While Redis is away A cannot even look a ticket up, so a made-up one is as good as a real one.
      send: async (up) => answer(await main.postTicketToB(B, up ? await main.ticketFromA(A, B) : wellFormedTicket(), csrf)),
      ok: json((body) => body.username === 'alice')
    },
    {
      route: 'GET /sso/callback',
      needs: ['redis'],
      page: true,
      send: async (up) => {
        // The redirect check: B → A's authorize (A's session) → back to B's callback with a ticket and the state.
        const authorize = new URL((await navigate(main, B, '/sso/login?return_to=/me')).location!)
        let back = new URL(bUrl + '/sso/callback')
        back.searchParams.set('state', authorize.searchParams.get('state')!)
        back.searchParams.set('ticket', wellFormedTicket())
        if (up) back = new URL((await navigate(main, A, authorize.pathname + authorize.search)).location!)
        return await navigate(main, B, back.pathname + back.search)
      },
      ok: (x) => x.status === 303
    },
    {
      route: 'POST /sso/logout',
      needs: ['redis'],
      // A's back channel, for a login that has no session here: verified, then looked up in Redis.
      send: async () => {
        const { body, signature } = signLogoutMessage({ iss: aUrl, aud: 'b', sub: '999', sids: [crypto.randomBytes(16).toString('base64url')], iat: Date.now(), jti: crypto.randomBytes(8).toString('hex') }, clientSecret)
        return answer(await new HttpClient().request(B, 'POST', '/sso/logout', { headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature }, body }))
      },
      ok: 204
    }
  ]
  const aLogged = a.logs.length
  await outageDrill(t, { routes: b.routes, probes, proxies: { database, redis }, logs: b.logs })
  t.same(a.logs.slice(aLogged).filter((l) => l.level >= 50).map((l) => l.msg), [], 'nor at A')
})
