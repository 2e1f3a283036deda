import type { FastifyInstance, LightMyRequestResponse as InjectResponse } from 'fastify'
import { createTestDatabase, type TestDatabase } from '@kefu/db/testing'
import { deleteKeysAtTeardown, startSite, testKeyPrefix, type LogLine } from '@kefu/service/testing'
import authApp, { upsertAccount, type AuthOptions, type SsoClient } from '../src/app.js'

interface Tap {
  teardown: (fn: () => unknown) => void
}

export const ORIGIN = 'http://a.kefu.test'
export const SECRET = 'session-secret-session-secret-0123456789'
/** Cheap scrypt for tests; the production cost has its own test. */
export const FAST_SCRYPT = { N: 1024, r: 8, p: 1 }

export const B1: SsoClient = {
  clientId: 'b1',
  clientSecret: 'b1-secret-b1-secret-b1-secret-b1-secret',
  origins: ['http://b1.kefu.test'],
  redirectUris: ['http://b1.kefu.test/sso/callback'],
  name: 'B one'
}
export const B2: SsoClient = {
  clientId: 'b2',
  clientSecret: 'b2-secret-b2-secret-b2-secret-b2-secret',
  origins: ['http://b2.example', 'http://www.b2.example'],
  redirectUris: ['http://b2.example/sso/callback']
}

export class FakeClock {
  now = 1_790_000_000_000
  readonly read = (): number => this.now
  advance (ms: number): void { this.now += ms }
}

/** A database for this test file alone: real PostgreSQL when DATABASE_URL is set, embedded otherwise. */
export async function fileDatabase (t: Tap, label: string): Promise<TestDatabase> {
  const db = await createTestDatabase(label)
  t.teardown(db.drop)
  return db
}

export type { LogLine }

export interface TestApp {
  app: FastifyInstance
  logs: LogLine[]
  /** Log lines of refusals with this code. */
  refusals: (code: string) => LogLine[]
}

export function redisUrl (): string | undefined {
  const url = process.env.REDIS_URL
  return url === undefined || url === '' ? undefined : url
}

/** The app with test settings. Redis (when REDIS_URL is set) under a random prefix whose keys go at teardown. */
export async function build (t: Tap, db: TestDatabase, overrides: Partial<AuthOptions> = {}, fastifyOptions: { trustProxy?: boolean } = {}): Promise<TestApp> {
  const prefix = overrides.redisPrefix ?? testKeyPrefix('auth')
  deleteKeysAtTeardown(t, prefix, overrides.redisUrl ?? redisUrl())
  const { app, logs } = await startSite(t, authApp, {
    publicUrl: ORIGIN,
    clients: [B1, B2],
    session: { secret: SECRET },
    databaseUrl: db.url,
    poolMax: db.poolMax,
    redisUrl: redisUrl(),
    redisPrefix: prefix,
    scrypt: FAST_SCRYPT,
    ...overrides
  }, { fastify: fastifyOptions })
  return { app, logs, refusals: (code) => logs.filter((l) => l.msg === 'refused' && l.code === code) }
}

export async function addAccount (app: FastifyInstance, username: string, password: string): Promise<void> {
  await upsertAccount(app.prisma, username, password, FAST_SCRYPT)
}

/** A cookie jar over `app.inject`, with the headers a browser on `origin` would send. */
export class Browser {
  readonly jar = new Map<string, string>()

  constructor (readonly app: FastifyInstance, readonly headers: Record<string, string> = {}) {}

  get cookieHeader (): string | undefined {
    if (this.jar.size === 0) return undefined
    return [...this.jar].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('; ')
  }

  absorb (res: InjectResponse): InjectResponse {
    for (const c of res.cookies as Array<{ name: string, value: string, maxAge?: number }>) {
      if (c.value === '' || c.maxAge === 0) this.jar.delete(c.name)
      else this.jar.set(c.name, c.value)
    }
    return res
  }

  async request (method: 'GET' | 'POST', url: string, opts: { headers?: Record<string, string>, payload?: string | object } = {}): Promise<InjectResponse> {
    const cookie = this.cookieHeader
    // A header given as '' is left out (a browser or client that does not send it).
    const headers = Object.fromEntries(Object.entries({ ...this.headers, ...(cookie === undefined ? {} : { cookie }), ...opts.headers }).filter(([, v]) => v !== ''))
    const res = await this.app.inject({
      method,
      url,
      headers,
      ...(opts.payload === undefined ? {} : { payload: opts.payload })
    })
    return this.absorb(res)
  }

  get (url: string, headers: Record<string, string> = {}): Promise<InjectResponse> {
    return this.request('GET', url, { headers })
  }

  /** A JSON POST from A's own page. */
  postJson (url: string, body: object, headers: Record<string, string> = {}): Promise<InjectResponse> {
    return this.request('POST', url, { headers: { 'content-type': 'application/json', origin: ORIGIN, 'sec-fetch-site': 'same-origin', ...headers }, payload: JSON.stringify(body) })
  }

  /** An HTML form POST from A's own page. */
  postForm (url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<InjectResponse> {
    return this.request('POST', url, {
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN, 'sec-fetch-site': 'same-origin', ...headers },
      payload: new URLSearchParams(fields).toString()
    })
  }

  /** GETs the form page and returns its CSRF token. */
  async csrfToken (path = '/login'): Promise<string> {
    const res = await this.get(path)
    const match = /name="_csrf" value="([^"]+)"/.exec(res.body)
    if (match === null) throw new Error(`no CSRF token on ${path} (${res.statusCode})`)
    return match[1]!
  }

  async login (username: string, password: string): Promise<InjectResponse> {
    return this.postJson('/login', { username, password })
  }
}
