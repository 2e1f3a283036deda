// PostgreSQL and Redis taken away (a TCP proxy cut in front of each) and brought back: every route of A answers 503
// with one line while a server it needs is away, never 500 and never hangs, and works again by itself.
import crypto from 'node:crypto'
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import {
  deleteKeysAtTeardown, injected, outageDrill, proxiesInFront, startSite, type Answer, type LogLine, type Probe, type TcpProxy, testKeyPrefix
} from '@kefu/service/testing'
import { basicAuthorization } from '@kefu/sso-client'
import authApp from '../src/app.js'
import { B1, B2, Browser, FAST_SCRYPT, ORIGIN, SECRET, addAccount, fileDatabase } from './helper.js'

const skip = (process.env.DATABASE_URL === undefined || process.env.REDIS_URL === undefined) && 'needs DATABASE_URL and REDIS_URL (embedded run)'
const LIMITS = { account: { max: 10_000, windowS: 60 }, ip: { max: 10_000, windowS: 60 } }
const B1_AUTH = basicAuthorization(B1.clientId, B1.clientSecret)
const NAVIGATE = { host: new URL(ORIGIN).host, accept: 'text/html,application/xhtml+xml,*/*;q=0.8', 'sec-fetch-mode': 'navigate' }

interface Tap { teardown: (fn: () => unknown) => void }

interface Outage {
  app: FastifyInstance
  routes: () => string[]
  logs: LogLine[]
  proxies: { database: TcpProxy, redis: TcpProxy }
}

/** A on a database of its own and a Redis key prefix of its own, both reached through proxies the test can cut. */
async function buildBehindProxies (t: Tap, label: string): Promise<Outage> {
  const db = await fileDatabase(t, label)
  const prefix = testKeyPrefix('auth')
  deleteKeysAtTeardown(t, prefix)
  const proxies = await proxiesInFront(t, db.url)
  const { app, routes, logs } = await startSite(t, authApp, {
    publicUrl: ORIGIN,
    clients: [B1, B2],
    session: { secret: SECRET },
    databaseUrl: proxies.database.url,
    poolMax: db.poolMax,
    redisUrl: proxies.redis.url,
    redisPrefix: prefix,
    scrypt: FAST_SCRYPT,
    loginLimits: LIMITS
  })
  await addAccount(app, 'alice', 'alice-password')
  return { app, routes, logs, proxies }
}

function copy (app: FastifyInstance, from: Browser): Browser {
  const b = new Browser(app)
  for (const [k, v] of from.jar) b.jar.set(k, v)
  return b
}

t.test('POST /login with Redis cut: 503 with one line for JSON and form, never 500', { skip: process.env.REDIS_URL === undefined && 'REDIS_URL is not set (embedded run)' }, async (t) => {
  const { app, proxies } = await buildBehindProxies(t, 'auth_outage_login')
  const b = new Browser(app)
  const token = await b.csrfToken()
  await proxies.redis.cut()
  const json = await b.login('alice', 'alice-password')
  t.equal(json.statusCode, 503, json.body)
  t.same(json.json(), { statusCode: 503, code: 'KEFU_AUTH_UNAVAILABLE', error: 'Service Unavailable', message: 'a backing service (database or Redis) is unavailable, try again shortly' })
  const form = await b.postForm('/login', { username: 'alice', password: 'alice-password', _csrf: token }, NAVIGATE)
  t.equal(form.statusCode, 503, 'a form post from the login page')
  t.match(form.headers['content-type'], /^text\/html/, 'is answered with a page')
  t.match(form.body, /服务暂时不可用/)
  const scripted = await b.postForm('/login', { username: 'alice', password: 'alice-password', _csrf: token })
  t.equal(scripted.json().code, 'KEFU_AUTH_UNAVAILABLE', 'a form post by a script gets the JSON error')
  await proxies.redis.restore()
  let back = await b.login('alice', 'alice-password')
  for (let i = 0; back.statusCode !== 200 && i < 100; i++) back = await new Promise((resolve) => setTimeout(resolve, 100)).then(() => b.login('alice', 'alice-password'))
  t.equal(back.statusCode, 200, 'and logs in once Redis is back')
})

t.test('every route of A through PostgreSQL and Redis outages', { skip }, async (t) => {
  const { app, routes, logs, proxies } = await buildBehindProxies(t, 'auth_outage')
  const main = new Browser(app)
  t.equal((await main.login('alice', 'alice-password')).statusCode, 200)
  // Signed-in browsers made while everything is up, for the probes that end a session.
  const spares: Browser[] = []
  for (let i = 0; i < 40; i++) {
    const b = new Browser(app)
    await b.login('alice', 'alice-password')
    spares.push(b)
  }
  const ticket = async (b: Browser): Promise<string> => (await b.request('POST', '/sso/ticket?client_id=b1', { headers: { origin: B1.origins[0]!, 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'cors' } })).json().ticket
  const redeem = (value: string) => app.inject({ method: 'POST', url: '/sso/redeem', headers: { authorization: B1_AUTH }, payload: { ticket: value } })
  const login = (await redeem(await ticket(main))).json() as { sub: string, sid: string }
  const state = crypto.randomBytes(16).toString('base64url')
  const json = (check: (body: any) => boolean) => (a: Answer) => a.status === 200 && check(JSON.parse(a.body))

  const probes: Probe[] = [
    // Need neither server, and must keep answering: the process is up; the browser's icon; CORS preflights of
    // /sso/ticket; the login form for someone not signed in (no cookie: no session to look up).
    { route: 'GET /healthz', needs: [], send: async () => injected(await app.inject('/healthz')), ok: 200 },
    // Prometheus keeps scraping through an outage: the metrics live in the process.
    { route: 'GET /favicon.ico', needs: [], send: async () => injected(await app.inject('/favicon.ico')), ok: 204 },
    {
      route: 'OPTIONS *',
      needs: [],
      send: async () => injected(await app.inject({ method: 'OPTIONS', url: '/sso/ticket?client_id=b1', headers: { origin: B1.origins[0]!, 'access-control-request-method': 'POST' } })),
      ok: (a) => a.status === 204
    },
    { route: 'GET /login', label: 'signed out', needs: [], page: true, send: async () => injected(await new Browser(app).get('/login', NAVIGATE)), ok: 200 },

    // /readyz answers for load balancers in its own shape: {"status":"database unreachable"} with 503.
    {
      route: 'GET /readyz',
      needs: ['database'],
      send: async () => injected(await app.inject('/readyz')),
      ok: 200,
      down: (a) => a.body === '{"status":"database unreachable"}'
    },
    { route: 'GET /', needs: ['redis'], page: true, send: async () => injected(await main.get('/', NAVIGATE)), ok: 200 },
    { route: 'GET /login', label: 'signed in', needs: ['redis'], page: true, send: async () => injected(await main.get('/login?return_to=/x', NAVIGATE)), ok: (a) => a.status === 303 },
    { route: 'GET /me', needs: ['redis'], send: async () => injected(await main.get('/me')), ok: json((b) => b.username === 'alice') },
    { route: 'POST /login', label: 'json', needs: ['database', 'redis'], send: async () => injected(await new Browser(app).login('alice', 'alice-password')), ok: 200 },
    {
      route: 'POST /login',
      label: 'form',
      needs: ['database', 'redis'],
      page: true,
      send: async () => {
        const b = new Browser(app)
        return injected(await b.postForm('/login', { username: 'alice', password: 'alice-password', _csrf: await b.csrfToken() }, NAVIGATE))
      },
      ok: (a) => a.status === 303
    },
    {
      route: 'POST /logout',
      needs: ['redis'],
      send: async (up) => injected(await (up ? spares.pop()! : copy(app, main)).postJson('/logout', {})),
      ok: 204
    },
    {
      route: 'POST /sso/ticket',
      needs: ['redis'],
      send: async () => injected(await main.request('POST', '/sso/ticket?client_id=b1', { headers: { origin: B1.origins[0]!, 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'cors' } })),
      ok: json((b) => b.status === 'ticket')
    },
    {
      route: 'GET /sso/authorize',
      needs: ['redis'],
      page: true,
      send: async () => injected(await main.get(`/sso/authorize?client_id=b1&redirect_uri=${encodeURIComponent(B1.redirectUris[0]!)}&state=${state}`, NAVIGATE)),
      ok: (a) => a.status === 303
    },
    {
      route: 'POST /sso/redeem',
      needs: ['redis'],
      // While Redis is away a well-formed ticket cannot even be looked up.
      send: async (up) => injected(await redeem(up ? await ticket(main) : crypto.randomBytes(32).toString('base64url'))),
      ok: json((b) => b.username === 'alice')
    },
    {
      route: 'POST /sso/check',
      needs: ['redis'],
      send: async () => injected(await app.inject({ method: 'POST', url: '/sso/check', headers: { authorization: B1_AUTH }, payload: { sub: login.sub, sid: login.sid } })),
      ok: json((b) => b.active === true)
    }
  ]
  await outageDrill(t, { routes, probes, proxies, logs })
})
