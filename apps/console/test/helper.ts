import type http from 'node:http'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import authApp, { upsertAccount, type AuthOptions } from '@kefu/auth'
import { createPrismaClient, type PrismaClient } from '@kefu/db'
import { generateSecretKey } from '@kefu/secrets'
import { createTestDatabase, type TestDatabase } from '@kefu/db/testing'
import ingestApp from '@kefu/ingest'
import { createMemoryBus, createRedisBus, parseWechatApps, type EventBus, type WechatAppConfig } from '@kefu/service'
import { bindServer, deleteKeysAtTeardown, startSite, testKeyPrefix } from '@kefu/service/testing'
import { startFakeWechat, type FakeWechat } from '@kefu/wechat-api/testing'
import { buildPush, messageFields, type SimulatedSubscribeItem, type SimulatedType } from '@kefu/wechat-crypto'
import type { HistoryOptions } from '@kefu/history'
import workerApp, { type WorkerOptions } from '@kefu/worker'
import consoleApp, { type ConsoleOptions } from '../src/app.js'

interface Tap { teardown: (fn: () => unknown) => void }

export const PASSWORD = 'agent-password-123'
const SESSION_SECRET = 'session-secret-session-secret-0123456789'
/** Two mini programs with secrets (replies work) and one without. */
export const APPS: WechatAppConfig[] = [
  { appid: 'wxc0501e0000000001', token: 'consoleToken1', encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', secret: 'console-secret-000000000000000001' },
  { appid: 'wxc0501e0000000002', token: 'consoleToken2', secret: 'console-secret-000000000000000002' },
  { appid: 'wxc0501e0000000003', token: 'consoleToken3' }
]

/** The order-status subscribe-message template the subscribe tests give a mini program: three fields, a page to open. */
export const ORDER_TEMPLATE = {
  templateId: 'tplOrderStatus-00000000000000000000000000001',
  title: '订单状态提醒',
  fields: [{ key: 'character_string1', label: '订单号' }, { key: 'thing2', label: '商品名称' }, { key: 'phrase3', label: '订单状态' }],
  page: 'pages/order/detail'
}

/** The mini programs of APPS, the first `count` with these subscribe-message templates, read as WECHAT_APPS is read. */
export function appsWithTemplates (count: number, templates: unknown[]): WechatAppConfig[] {
  return parseWechatApps(APPS.map((a, i) => i < count ? { ...a, subscribeTemplates: templates } : a), 'WECHAT_APPS')
}

export interface Site { app: FastifyInstance, url: string, internalUrl: string }

export interface ConsoleSystem {
  db: TestDatabase
  prisma: PrismaClient
  bus: EventBus
  fake: FakeWechat
  a: Site
  console: Site
  ingest: Site
  /** The worker (apps/worker) beside them: the search index, kept media, retention, the assignment sweep. */
  worker: { app: FastifyInstance }
  hosts: string[]
  /** Sends a push through ingest, signed and encrypted as WeChat does; resolves when it is acknowledged. */
  push: (appid: string, type: SimulatedType, options?: { from?: string, content?: string, createTime?: number, items?: SimulatedSubscribeItem[], app?: WechatAppConfig }) => Promise<void>
  /**
   * Another console instance behind the same public URL, on the same database and Redis with a bus of its own (what
   * a second process behind a load balancer is). Needs REDIS_URL: sessions must be shared.
   */
  startConsole: (options?: Partial<ConsoleOptions>) => Promise<Site>
  /** What the console and ingest logged (info and up), when started with `captureLogs`; empty otherwise. */
  logs: { console: unknown[], ingest: unknown[] }
}

/** Creates (or resets) an account at A and makes it an agent of `apps`, with a role and availability. */
export async function addAgent (sys: ConsoleSystem, username: string, apps: string[], options: { role?: 'agent' | 'admin', availability?: 'online' | 'away' | 'offline', owner?: boolean } = {}): Promise<void> {
  await upsertAccount(sys.prisma, username, PASSWORD, { N: 1024, r: 8, p: 1 })
  if (apps.length > 0) await sys.prisma.agentApp.createMany({ data: apps.map((appId) => ({ username, appId })), skipDuplicates: true })
  // An online agent here has a console open (automatic assignment takes only agents whose console is connected).
  const data = { role: options.role ?? 'agent', availability: options.availability ?? 'offline', ...(options.owner === undefined ? {} : { owner: options.owner }), ...(options.availability === 'online' ? { connectedAt: new Date() } : {}) }
  await sys.prisma.agent.upsert({ where: { username }, create: { username, ...data }, update: data })
}

export interface SseEvent { event: string, id?: string, data: any }
export interface EventStream {
  /** The next event, or a rejection after `timeoutMs` (default 3000) with "no event in time". */
  next: (timeoutMs?: number) => Promise<SseEvent>
  /** The next event of this kind, skipping others (heartbeats, other kinds). */
  nextOf: (event: string, timeoutMs?: number) => Promise<SseEvent>
  close: () => void
}

/**
 * Opens /api/events as an EventSource would (on `site`, default the console; reconnecting after `lastEventId` when
 * given) and hands out events as they arrive.
 */
export async function openStream (sys: ConsoleSystem, agent: Agent, site: Site = sys.console, lastEventId?: string): Promise<EventStream> {
  const cookie = agent.cookieHeader(site)
  const controller = new AbortController()
  const res = await fetch(site.internalUrl + '/api/events', {
    headers: { host: new URL(site.url).host, cookie, accept: 'text/event-stream', ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }) },
    signal: controller.signal
  })
  if (res.status !== 200) throw new Error(`events: ${res.status}`)
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  const queue: SseEvent[] = []
  let reading: Promise<ReadableStreamReadResult<string>> | undefined
  async function next (timeoutMs = 3000): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const ready = queue.shift()
      if (ready !== undefined) return ready
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error('no event in time')), Math.max(1, deadline - Date.now())) })
      reading ??= reader.read()
      try {
        const { value, done } = await Promise.race([reading, late])
        reading = undefined
        if (done === true) throw new Error('stream ended')
        buffer += value
      } finally {
        clearTimeout(timer)
      }
      let end: number
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const e: SseEvent = { event: 'message', data: undefined }
        let data: string | undefined
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) e.event = line.slice(7)
          else if (line.startsWith('id: ')) e.id = line.slice(4)
          else if (line.startsWith('data: ')) data = line.slice(6)
        }
        if (data !== undefined) {
          e.data = JSON.parse(data)
          queue.push(e)
        }
      }
    }
  }
  async function nextOf (event: string, timeoutMs = 3000): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const e = await next(Math.max(1, deadline - Date.now()))
      if (e.event === event) return e
    }
  }
  return { next, nextOf, close: () => { controller.abort() } }
}

/** openStream, once its `hello` has come; closed when the test ends. */
export async function openedStream (t: Tap, sys: ConsoleSystem, agent: Agent, site?: Site): Promise<EventStream> {
  const stream = await openStream(sys, agent, site)
  t.teardown(stream.close)
  await stream.nextOf('hello')
  return stream
}

/**
 * The A site, the console (a B site of it), ingest and a fake WeChat API, on loopback ports, sharing one database
 * of their own and a bus. Accounts "alice" (assigned to the first two mini programs and the third) and "mallory"
 * (assigned to none) exist.
 */
export async function startConsoleSystem (t: Tap, opts: {
  label: string
  aHost?: string
  consoleHost?: string
  console?: Partial<ConsoleOptions>
  /** The worker's history settings; its media store (and MEDIA_MAX_BYTES) the console's too. */
  history?: Partial<HistoryOptions>
  worker?: Partial<WorkerOptions>
  a?: Partial<AuthOptions>
  apps?: WechatAppConfig[]
  consolePrisma?: (prisma: PrismaClient) => PrismaClient
  captureLogs?: boolean
}): Promise<ConsoleSystem> {
  const apps = opts.apps ?? APPS
  const db = await createTestDatabase(opts.label)
  t.teardown(db.drop)
  const prisma = createPrismaClient({ url: db.url, poolMax: db.poolMax })
  t.teardown(() => prisma.$disconnect())
  const redisUrl = process.env.REDIS_URL === '' ? undefined : process.env.REDIS_URL
  const prefix = testKeyPrefix('console')
  deleteKeysAtTeardown(t, prefix)
  // Channels of this system's own: test files run side by side on one Redis, and another file's announcements
  // (message ids of its database, its agents' changes) must not reach this system's streams.
  const bus = redisUrl === undefined ? createMemoryBus() : await createRedisBus(redisUrl, undefined, { channelPrefix: prefix })
  t.teardown(() => bus.close())
  const fake = await startFakeWechat({
    apps: apps.filter((a) => a.secret !== undefined).map((a) => ({ appid: a.appid, secret: a.secret! })),
    subscribeTemplates: Object.fromEntries(apps.map((a) => [a.appid, a.subscribeTemplates ?? []]))
  })
  t.teardown(() => fake.close())

  const aBound = await bindServer()
  const cBound = await bindServer()
  const iBound = await bindServer()
  const aHost = opts.aHost ?? '127.0.0.1'
  const cHost = opts.consoleHost ?? 'localhost'
  const aUrl = `http://${aHost}:${aBound.port}`
  const cUrl = `http://${cHost}:${cBound.port}`
  const clientSecret = 'console-client-secret-'.padEnd(48, 'x')
  // One KEFU_SECRET_KEY for ingest and every console: each opens the rows the others sealed.
  const secretKeys = [generateSecretKey('test')]

  const logs: ConsoleSystem['logs'] = { console: [], ingest: [] }
  async function site<O extends object> (server: http.Server, plugin: FastifyPluginAsync<O>, options: O, into?: unknown[]): Promise<FastifyInstance> {
    const started = await startSite(t, plugin, options, { server, quiet: into === undefined })
    if (into !== undefined) started.logs.push = (...lines) => into.push(...lines)
    return started.app
  }
  const captured = (which: 'console' | 'ingest'): unknown[] | undefined => opts.captureLogs === true ? logs[which] : undefined

  const a = await site(aBound.server, authApp, {
    publicUrl: aUrl,
    clients: [{ clientId: 'console', clientSecret, origins: [cUrl], redirectUris: [cUrl + '/sso/callback'], logoutUri: `http://127.0.0.1:${cBound.port}/sso/logout` }],
    session: { secret: SESSION_SECRET },
    prisma,
    redisUrl,
    redisPrefix: prefix + 'auth:',
    scrypt: { N: 1024, r: 8, p: 1 },
    ...opts.a
  })
  await upsertAccount(prisma, 'alice', PASSWORD, { N: 1024, r: 8, p: 1 })
  await upsertAccount(prisma, 'mallory', PASSWORD, { N: 1024, r: 8, p: 1 })
  await prisma.agentApp.createMany({ data: apps.map((x) => ({ username: 'alice', appId: x.appid })) })

  const consoleOptions: ConsoleOptions = {
    publicUrl: cUrl,
    authUrl: aUrl,
    authInternalUrl: `http://127.0.0.1:${aBound.port}`,
    clientId: 'console',
    clientSecret,
    session: { secret: SESSION_SECRET },
    apps,
    secretKeys,
    // The console's own client may be wrapped (to count its queries); A and ingest keep the plain one.
    prisma: opts.consolePrisma?.(prisma) ?? prisma,
    redisUrl,
    redisPrefix: prefix + 'console:',
    bus,
    wechatApiBase: fake.url,
    ...(opts.history === undefined ? {} : { history: { store: opts.history.store, maxBytes: opts.history.maxBytes } }),
    ...opts.console
  }
  const c = await site(cBound.server, consoleApp, consoleOptions, captured('console'))
  // Both import their WECHAT_APPS into the one table: a test's own list for the console is ingest's too.
  const i = await site(iBound.server, ingestApp, { apps: consoleOptions.apps ?? apps, secretKeys, prisma, redisUrl, redisPrefix: prefix + 'ingest:', bus, docs: false }, captured('ingest'))

  // Last: its registry reads the mini programs the others imported. Its access tokens are the console's.
  const w = (await startSite(t, workerApp, {
    prisma,
    bus,
    redisUrl,
    secretKeys,
    wechatApiBase: consoleOptions.wechatApiBase,
    wechatTokenPrefix: prefix + 'console:wechat:token:',
    fetch: consoleOptions.fetch,
    now: consoleOptions.now,
    history: opts.history,
    // When an agent counts as connected: the console's setting, which the worker's sweep follows too.
    connectedWithinS: consoleOptions.teamwork?.connectedWithinS,
    ...(consoleOptions.component === undefined ? {} : { component: consoleOptions.component, componentTokenPrefix: consoleOptions.componentTokenPrefix }),
    ...opts.worker
  }, { quiet: true })).app

  const ingestUrl = `http://127.0.0.1:${iBound.port}`
  return {
    db,
    prisma,
    bus,
    fake,
    a: { app: a, url: aUrl, internalUrl: `http://127.0.0.1:${aBound.port}` },
    console: { app: c, url: cUrl, internalUrl: `http://127.0.0.1:${cBound.port}` },
    ingest: { app: i, url: ingestUrl, internalUrl: ingestUrl },
    worker: { app: w },
    hosts: [aHost, cHost],
    logs,
    async startConsole (options = {}) {
      if (redisUrl === undefined) throw new Error('a second console instance needs REDIS_URL (sessions are shared through it)')
      const bound = await bindServer()
      const ownBus = await createRedisBus(redisUrl, undefined, { channelPrefix: prefix })
      t.teardown(() => ownBus.close())
      const app = await site(bound.server, consoleApp, { ...consoleOptions, bus: ownBus, ...options }, captured('console'))
      return { app, url: cUrl, internalUrl: `http://127.0.0.1:${bound.port}` }
    },
    async push (appid, type, options = {}) {
      const app = options.app ?? apps.find((x) => x.appid === appid)!
      const built = buildPush({
        appid,
        token: app.token,
        encodingAESKey: app.encodingAESKey,
        mode: app.encodingAESKey === undefined ? 'plain' : 'safe',
        format: 'json',
        fields: messageFields({ type, fromUserName: options.from, content: options.content, createTime: options.createTime, items: options.items })
      })
      const res = await fetch(`${ingestUrl}/wechat/${appid}?${new URLSearchParams(built.query).toString()}`, { method: 'POST', headers: { 'content-type': built.contentType }, body: built.body })
      const text = await res.text()
      if (res.status !== 200 || text !== 'success') throw new Error(`push refused: ${res.status} ${text}`)
    }
  }
}

/** An agent signed in at A and into the console as `username` (default alice). */
export async function signedIn (sys: ConsoleSystem, username?: string): Promise<Agent> {
  const agent = new Agent()
  await agent.signIn(sys, username)
  return agent
}

/** An HTTP client with a cookie jar per host, speaking to loopback with the Host header a browser would send. */
export class Agent {
  readonly jars = new Map<string, Map<string, string>>()

  /** The Cookie header a browser would send to `site` (empty when the jar is). */
  cookieHeader (site: Site): string {
    return [...(this.jars.get(new URL(site.url).hostname) ?? [])].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('; ')
  }

  async request (site: Site, method: string, path: string, opts: { headers?: Record<string, string>, body?: string | FormData } = {}): Promise<{ status: number, headers: Headers, text: string, json: () => any }> {
    const host = new URL(site.url).hostname
    const jar = this.jars.get(host) ?? new Map<string, string>()
    this.jars.set(host, jar)
    const cookie = this.cookieHeader(site)
    const res = await fetch(site.internalUrl + path, {
      method,
      redirect: 'manual',
      headers: { host: new URL(site.url).host, ...(cookie === '' ? {} : { cookie }), ...opts.headers },
      body: opts.body
    })
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';')
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq).trim()
      const value = decodeURIComponent(pair.slice(eq + 1).trim())
      if (value === '' || /max-age=0/i.test(line)) jar.delete(name)
      else jar.set(name, value)
    }
    const text = await res.text()
    return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) }
  }

  /** Signs in at A, then into the console through the sync login's same-site path (ticket → console backend). */
  async signIn (sys: ConsoleSystem, username = 'alice'): Promise<void> {
    const login = await this.request(sys.a, 'POST', '/login', { headers: { 'content-type': 'application/json', origin: sys.a.url }, body: JSON.stringify({ username, password: PASSWORD }) })
    if (login.status !== 200) throw new Error(`login at A: ${login.status} ${login.text}`)
    const ticket = (await this.request(sys.a, 'POST', '/sso/ticket?client_id=console', { headers: { origin: sys.console.url, 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'cors' } })).json()
    if (ticket.status !== 'ticket') throw new Error('no ticket')
    const page = await this.request(sys.console, 'GET', '/')
    const csrf = /"csrf":"([^"]+)"/.exec(page.text)?.[1]
    if (csrf === undefined) throw new Error('no csrf on the console page')
    const posted = await this.request(sys.console, 'POST', '/sso/ticket', {
      headers: { origin: sys.console.url, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json', 'x-kefu-csrf': csrf },
      body: JSON.stringify({ ticket: ticket.ticket })
    })
    if (posted.status >= 300) throw new Error(`ticket at the console: ${posted.status} ${posted.text}`)
  }

  api (sys: ConsoleSystem, method: string, path: string, json?: unknown): Promise<{ status: number, headers: Headers, text: string, json: () => any }> {
    return this.request(sys.console, method, path, json === undefined
      ? { headers: { origin: sys.console.url } }
      : { headers: { 'content-type': 'application/json', origin: sys.console.url }, body: JSON.stringify(json) })
  }
}
