import { randomBytes } from 'node:crypto'
import Fastify, { type FastifyInstance, type LightMyRequestResponse as InjectResponse } from 'fastify'
import { createClient, createCluster } from 'redis'
import type { Test } from 'tap'
import {
  createMemoryStore, createRedisStore, kefuSession, type JsonValue, type KefuSessionOptions, type MemoryBackend,
  type SessionStore
} from '../src/index.js'

export const REDIS_URL = process.env.REDIS_URL
/** A Redis Cluster's seed nodes, comma-separated (`pnpm test`'s real run starts one and sets this). */
export const REDIS_CLUSTER_URLS = process.env.REDIS_CLUSTER_URLS === '' ? undefined : process.env.REDIS_CLUSTER_URLS
export const SECRET = 'test-secret-test-secret-test-secret!'

export type StoreKind = 'memory' | 'redis' | 'redis-cluster'

/** The suites that take a kind run on every store; the Redis ones are skipped (and counted) only in the embedded run. */
export const STORE_KINDS: readonly StoreKind[] = ['memory', 'redis']
/** The store contract runs on a Redis Cluster too. */
export const CONTRACT_KINDS: readonly StoreKind[] = ['memory', 'redis', 'redis-cluster']

/** tap's `skip` option for a suite on `kind`: false when it can run here. */
export function skipKind (kind: StoreKind): string | false {
  if (kind === 'redis') return REDIS_URL === undefined ? 'REDIS_URL is not set (embedded run)' : false
  if (kind === 'redis-cluster') return REDIS_CLUSTER_URLS === undefined ? 'REDIS_CLUSTER_URLS is not set (embedded run)' : false
  return false
}

/**
 * A key prefix no other test file (or run) shares, under the root every kefu test writes to (`kefu:test:`, or the
 * run's own from KEFU_TEST_KEY_ROOT under `pnpm test`, which reports keys left behind; see @kefu/service/testing,
 * which this package does not depend on).
 */
export function testPrefix (file: string): string {
  const root = process.env.KEFU_TEST_KEY_ROOT ?? ''
  return `${root.startsWith('kefu:test:') ? root : 'kefu:test:'}session:${file}:${randomBytes(6).toString('hex')}:`
}

function newRedisClient (url: string) {
  const client = createClient({ url, disableOfflineQueue: true })
  client.on('error', () => {})
  return client
}

export type RedisClient = ReturnType<typeof newRedisClient>

/** A connected client to REDIS_URL; on teardown it deletes every key under `prefix` (never FLUSH*) and quits. */
export async function redisFor (t: Test, prefix: string): Promise<RedisClient> {
  if (REDIS_URL === undefined) throw new Error('REDIS_URL is not set')
  const client = newRedisClient(REDIS_URL)
  await client.connect()
  t.teardown(async () => {
    await deleteKeys(client, prefix)
    client.destroy()
  })
  return client
}

export async function deleteKeys (client: RedisClient, prefix: string): Promise<void> {
  const keys: string[] = []
  for await (const batch of client.scanIterator({ MATCH: prefix + '*', COUNT: 500 })) keys.push(...batch)
  // One key per UNLINK: on a cluster's node, keys of different slots cannot go in one command.
  await Promise.all(keys.map(async (key) => await client.unlink(key)))
}

export interface StoreUnderTest {
  store: SessionStore
  /** Only for the Redis kind: the client, to look at keys directly. */
  redis?: RedisClient
}

/**
 * A connected cluster client to REDIS_CLUSTER_URLS (fast failing, like kefu's own), and the store's view of it: each
 * raw command routed by its first key (as `@kefu/service`'s `commandClient` does; this package depends on no kefu
 * package). On teardown it deletes every key under `prefix` from every master.
 */
async function clusterFor (t: Test, prefix: string) {
  if (REDIS_CLUSTER_URLS === undefined) throw new Error('REDIS_CLUSTER_URLS is not set')
  const cluster = createCluster({ rootNodes: REDIS_CLUSTER_URLS.split(',').map((url) => ({ url })), defaults: { disableOfflineQueue: true } })
  cluster.on('error', () => {})
  await cluster.connect()
  t.teardown(async () => {
    for (const master of cluster.masters) await deleteKeys(await cluster.nodeClient(master) as unknown as RedisClient, prefix)
    cluster.destroy()
  })
  const firstKey = (args: readonly string[]): string | undefined =>
    /^EVAL(SHA)?$/i.test(args[0] ?? '') ? (Number(args[2]) > 0 ? args[3] : undefined) : args[1]
  return {
    cluster,
    commands: {
      get isReady () { return cluster.isReady },
      sendCommand: async (args: readonly string[]) => await cluster.sendCommand(firstKey(args), false, [...args])
    }
  }
}

export async function makeStore (t: Test, kind: StoreKind, prefix: string, backend?: MemoryBackend): Promise<StoreUnderTest> {
  if (kind === 'memory') return { store: createMemoryStore({ prefix, ...(backend ? { backend } : {}) }) }
  if (kind === 'redis-cluster') {
    const { cluster, commands } = await clusterFor(t, prefix)
    return { store: await createRedisStore({ client: commands, prefix }), redis: cluster as unknown as RedisClient }
  }
  const redis = await redisFor(t, prefix)
  return { store: await createRedisStore({ client: redis, prefix }), redis }
}

/** A clock the test moves by hand: boundaries become exact and instant. */
export class FakeClock {
  now = 1_750_000_000_000
  readonly read = (): number => this.now
  advance (ms: number): void { this.now += ms }
}

/** A promise the test resolves when it wants a slow handler to continue. */
export function gate (): { wait: Promise<void>, open: () => void } {
  let open!: () => void
  const wait = new Promise<void>((resolve) => { open = resolve })
  return { wait, open }
}

/** A minimal browser cookie jar for `app.inject`: stores what Set-Cookie says, honours Max-Age=0. */
export class Browser {
  readonly jar = new Map<string, string>()

  /** `ignoreMaxAge`: a client that keeps replaying the cookie (curl, a thief); only a cleared cookie is dropped. */
  constructor (readonly app: FastifyInstance, readonly headers: Record<string, string> = {}, readonly ignoreMaxAge = false) {}

  get cookieHeader (): string | undefined {
    if (this.jar.size === 0) return undefined
    return [...this.jar].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('; ')
  }

  absorb (res: InjectResponse): InjectResponse {
    for (const c of res.cookies) {
      if (c.value === '' || (c.maxAge === 0 && !this.ignoreMaxAge)) this.jar.delete(c.name)
      else this.jar.set(c.name, c.value)
    }
    return res
  }

  async request (method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>): Promise<InjectResponse> {
    const cookie = this.cookieHeader
    const res = await this.app.inject({
      method,
      url,
      headers: { ...this.headers, ...(cookie === undefined ? {} : { cookie }) },
      ...(payload === undefined ? {} : { payload })
    })
    return this.absorb(res)
  }

  get (url: string): Promise<InjectResponse> { return this.request('GET', url) }
  post (url: string, payload?: Record<string, unknown>): Promise<InjectResponse> { return this.request('POST', url, payload ?? {}) }

  clone (): Browser {
    const b = new Browser(this.app, this.headers, this.ignoreMaxAge)
    for (const [k, v] of this.jar) b.jar.set(k, v)
    return b
  }
}

export interface TestAppOptions extends Partial<KefuSessionOptions> {
  store: SessionStore
  trustProxy?: boolean
  /** Awaited by GET /slow after the session was loaded and before it writes. */
  slowGate?: Promise<void>
  /** More routes, added before the app is ready. */
  routes?: (app: FastifyInstance) => void
}

/**
 * The app every plugin test drives: login/logout/logout-all, a protected route, an optional-session route,
 * a route without sessions, partial data writes and a slow route.
 */
export async function buildApp (t: Test, opts: TestAppOptions): Promise<FastifyInstance> {
  const { trustProxy, slowGate, routes, ...sessionOpts } = opts
  const app = Fastify({ trustProxy: trustProxy ?? false })
  await app.register(kefuSession, { secret: SECRET, cookieName: 'test.sid', ...sessionOpts })

  app.post<{ Body: { id: string, username: string, data?: Record<string, JsonValue> } }>('/login', async (request) => {
    await request.kefuSession.login({ id: request.body.id, username: request.body.username }, request.body.data)
    return { ok: true }
  })
  app.post('/logout', async (request) => {
    await request.kefuSession.logout()
    return { ok: true }
  })
  app.post('/logout-all', { preHandler: app.requireSession }, async (request) => {
    const user = await request.kefuSession.require()
    const ended = await app.kefuSessions.destroyAllForUser(user.id)
    return { ended }
  })
  app.get('/me', { preHandler: app.requireSession }, async (request) => {
    const s = request.kefuSession
    return { user: s.user, handle: s.handle, a: s.get('a') ?? null, b: s.get('b') ?? null, c: s.get('c') ?? null }
  })
  app.get('/whoami', async (request) => ({ user: await request.kefuSession.load() }))
  app.get('/public', async () => ({ ok: true }))
  app.post<{ Body: Record<string, JsonValue> }>('/data', { preHandler: app.requireSession }, async (request) => {
    await request.kefuSession.update(request.body)
    return { ok: true }
  })
  app.get('/sessions', { preHandler: app.requireSession }, async (request) => {
    const user = await request.kefuSession.require()
    return app.kefuSessions.listForUser(user.id)
  })
  app.post<{ Body: Record<string, JsonValue> }>('/slow', { preHandler: app.requireSession }, async (request) => {
    await slowGate
    if (Object.keys(request.body).length > 0) await request.kefuSession.update(request.body)
    return { ok: true }
  })
  routes?.(app)
  await app.ready()
  t.teardown(() => app.close())
  return app
}

export function sessionIdOf (signed: string): string {
  return signed.slice(0, signed.lastIndexOf('.'))
}
