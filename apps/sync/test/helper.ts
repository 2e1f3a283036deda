import crypto from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import authApp, { upsertAccount, type AuthOptions, type SsoClient } from '@kefu/auth'
import type { PrismaClient } from '@kefu/db'
import { createTestDatabase, type TestDatabase } from '@kefu/db/testing'
import { bindServer, deleteKeysAtTeardown, startSite, testKeyPrefix, type LogLine } from '@kefu/service/testing'
import syncApp, { type SyncOptions } from '../src/app.js'

interface Tap {
  teardown: (fn: () => unknown) => void
}

export const PASSWORD = 'alice-password'
const SESSION_SECRET = 'session-secret-session-secret-0123456789'

/** Real time plus an offset the test can move forward (the redirect-check marker, the liveness cache). */
export class ShiftedClock {
  offset = 0
  readonly read = (): number => Date.now() + this.offset
  advance (ms: number): void { this.offset += ms }
}

export type { LogLine }

export interface Site {
  app: FastifyInstance
  /** The origin the browser uses, e.g. http://b1.example:41234. */
  url: string
  /** The loopback URL for server-to-server calls. */
  internalUrl: string
  logs: LogLine[]
  refusals: (code: string) => LogLine[]
}

export interface BSite extends Site {
  clientId: string
  clientSecret: string
  clock: ShiftedClock
}

export interface System {
  db: TestDatabase
  a: Site
  bs: BSite[]
  /** Host names the browser must map to 127.0.0.1. */
  hosts: string[]
}

export interface SystemOptions {
  label: string
  aHost: string
  bHosts: string[]
  /** Leave out the logoutUri of these B sites (they learn of a logout at their next check only). */
  noBackChannel?: string[]
  auth?: Partial<AuthOptions>
  sync?: Partial<SyncOptions>
  redisPrefix?: string
}

function redisUrl (): string | undefined {
  const url = process.env.REDIS_URL
  return url === undefined || url === '' ? undefined : url
}

/**
 * A (the account site) and B sites, each on its own loopback port and host name, with a database and a Redis key
 * prefix of their own. Account "alice" exists. Everything closes at teardown.
 */
export async function startSystem (t: Tap, opts: SystemOptions): Promise<System> {
  const db = await createTestDatabase(opts.label)
  t.teardown(db.drop)
  const prefix = opts.redisPrefix ?? testKeyPrefix('sync')
  deleteKeysAtTeardown(t, prefix)
  const aBound = await bindServer()
  const bBound = await Promise.all(opts.bHosts.map(() => bindServer()))
  const aUrl = `http://${opts.aHost}:${aBound.port}`
  const aInternal = `http://127.0.0.1:${aBound.port}`
  const bs = opts.bHosts.map((host, i) => {
    const clientId = host.split('.')[0]!.replace(/[^a-z0-9]/g, '') || `b${i}`
    return {
      clientId,
      clientSecret: `${clientId}-secret-`.padEnd(40, 'x') + crypto.randomBytes(8).toString('hex'),
      url: `http://${host}:${bBound[i]!.port}`,
      internalUrl: `http://127.0.0.1:${bBound[i]!.port}`
    }
  })
  const clients: SsoClient[] = bs.map((b) => ({
    clientId: b.clientId,
    clientSecret: b.clientSecret,
    origins: [b.url],
    redirectUris: [b.url + '/sso/callback'],
    ...(opts.noBackChannel?.includes(b.clientId) === true ? {} : { logoutUri: b.internalUrl + '/sso/logout' })
  }))

  const a = await startSite(t, authApp, {
    publicUrl: aUrl,
    clients,
    session: { secret: SESSION_SECRET },
    databaseUrl: db.url,
    poolMax: db.poolMax,
    redisUrl: redisUrl(),
    redisPrefix: prefix + 'auth:',
    scrypt: { N: 1024, r: 8, p: 1 },
    ...opts.auth
  }, { server: aBound.server })
  await upsertAccount((a.app as unknown as { prisma: PrismaClient }).prisma, 'alice', PASSWORD, { N: 1024, r: 8, p: 1 })

  const bSites: BSite[] = []
  for (const [i, b] of bs.entries()) {
    const clock = new ShiftedClock()
    const s = await startSite(t, syncApp, {
      publicUrl: b.url,
      authUrl: aUrl,
      authInternalUrl: aInternal,
      clientId: b.clientId,
      clientSecret: b.clientSecret,
      session: { secret: SESSION_SECRET, cookieName: `kefu_${b.clientId}` },
      redisUrl: redisUrl(),
      redisPrefix: `${prefix}${b.clientId}:`,
      now: clock.read,
      ...opts.sync
    }, { server: bBound[i]!.server })
    bSites.push({ ...b, app: s.app, logs: s.logs, clock, refusals: refusalsOf(s.logs) })
  }
  return {
    db,
    a: { app: a.app, url: aUrl, internalUrl: aInternal, logs: a.logs, refusals: refusalsOf(a.logs) },
    bs: bSites,
    hosts: [opts.aHost, ...opts.bHosts]
  }
}

function refusalsOf (logs: LogLine[]): (code: string) => LogLine[] {
  return (code) => logs.filter((l) => l.msg === 'refused' && l.code === code)
}

/** A client over real HTTP to loopback that sends the Host a browser would, with a cookie jar per host name. */
export class HttpClient {
  readonly jars = new Map<string, Map<string, string>>()

  jar (site: Site): Map<string, string> {
    const host = new URL(site.url).hostname
    let jar = this.jars.get(host)
    if (jar === undefined) {
      jar = new Map()
      this.jars.set(host, jar)
    }
    return jar
  }

  async request (site: Site, method: 'GET' | 'POST', path: string, opts: { headers?: Record<string, string>, body?: string } = {}): Promise<{ status: number, headers: Headers, text: string, json: () => any }> {
    const jar = this.jar(site)
    const cookie = [...jar].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('; ')
    const res = await fetch(site.internalUrl + path, {
      method,
      redirect: 'manual',
      // A header given as '' is left out (a client that does not send it).
      headers: Object.fromEntries(Object.entries({ host: new URL(site.url).host, ...(cookie === '' ? {} : { cookie }), ...opts.headers }).filter(([, v]) => v !== '')),
      body: opts.body
    })
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';')
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq).trim()
      const value = decodeURIComponent(pair.slice(eq + 1).trim())
      if (value === '' || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a))) jar.delete(name)
      else jar.set(name, value)
    }
    const text = await res.text()
    return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) }
  }

  /** Logs in at A with a JSON post from A's own page. */
  async loginAtA (a: Site, username = 'alice', password = PASSWORD): Promise<void> {
    const res = await this.request(a, 'POST', '/login', { headers: { 'content-type': 'application/json', origin: a.url }, body: JSON.stringify({ username, password }) })
    if (res.status !== 200) throw new Error(`login at A: ${res.status} ${res.text}`)
  }

  /** Step 5 of the same-site path: B's page asks A for a ticket. */
  async ticketFromA (a: Site, b: BSite): Promise<string> {
    const res = await this.request(a, 'POST', `/sso/ticket?client_id=${b.clientId}`, { headers: { origin: b.url, 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'cors' } })
    const body = res.json()
    if (body.status !== 'ticket') throw new Error('no ticket: ' + res.text)
    return body.ticket
  }

  /** B's page: returns the CSRF token its script would send. */
  async csrfFromB (b: BSite): Promise<string> {
    const res = await this.request(b, 'GET', '/')
    const m = /"csrf":"([^"]+)"/.exec(res.text)
    if (m === null) throw new Error('no csrf on B page: ' + res.status)
    return m[1]!
  }

  /** Step 7: the page posts the ticket to B's backend. */
  postTicketToB (b: BSite, ticket: string, csrf: string, headers: Record<string, string> = {}) {
    return this.request(b, 'POST', '/sso/ticket', {
      headers: { origin: b.url, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json', 'x-kefu-csrf': csrf, ...headers },
      body: JSON.stringify({ ticket })
    })
  }
}
