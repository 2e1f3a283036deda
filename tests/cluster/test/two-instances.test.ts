// Two instances of every service on one PostgreSQL and one Redis are one service: each instance has its own
// database pool, its own Redis connections and its own process-local caches, exactly as two processes behind a
// load balancer would; only the servers are shared. Needs real PostgreSQL and Redis (CI's real run).
import t from 'tap'
import crypto from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import authApp, { upsertAccount } from '@kefu/auth'
import consoleApp from '@kefu/console'
import ingestApp from '@kefu/ingest'
import type { WechatAppConfig } from '@kefu/service'
import { deleteKeysAtTeardown, testKeyPrefix } from '@kefu/service/testing'
import { basicAuthorization } from '@kefu/sso-client'
import { buildPush, messageFields, type PushFieldValue } from '@kefu/wechat-crypto'
import { startBackends } from './backends.js'
import { CookieJar } from './cookie-jar.js'

const REDIS_URL = process.env.REDIS_URL
const DATABASE_URL = process.env.DATABASE_URL
const skip = REDIS_URL === undefined || DATABASE_URL === undefined ? 'needs real PostgreSQL and Redis (embedded run)' : false

const APPS: WechatAppConfig[] = [
  { appid: 'wxc1a57e0000000001', token: 'clusterToken1', encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789CLUSTER', secret: 'cluster-secret-00000000000000001' },
  { appid: 'wxc1a57e0000000002', token: 'clusterToken2', secret: 'cluster-secret-00000000000000002' }
]
const [SAFE, PLAIN] = APPS as [WechatAppConfig, WechatAppConfig]
const PASSWORD = 'cluster-password-1'
const SESSION_SECRET = 'session-secret-session-secret-0123456789'
const CLIENT_SECRET = 'cluster-console-client-secret-'.padEnd(48, 'x')
const SCRYPT = { N: 1024, r: 8, p: 1 }

interface Instance { app: FastifyInstance, url: string }

t.test('two instances of each service on one PostgreSQL and one Redis', { skip }, async (t) => {
  const { db, prisma, fake } = await startBackends(t, 'cluster', APPS)
  // One prefix per service, shared by its two instances, as in production; this test's own, so runs never meet.
  const prefix = testKeyPrefix('cluster')
  deleteKeysAtTeardown(t, prefix)

  async function serve<O extends object> (plugin: FastifyPluginAsync<O>, options: (url: string) => O): Promise<Instance> {
    const server = http.createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const app = Fastify({ logger: false, serverFactory: (handler) => { server.on('request', handler); return server } })
    await app.register(fp(plugin), options(url))
    await app.ready()
    t.teardown(async () => {
      await app.close()
      await new Promise<void>((resolve) => { server.close(() => { resolve() }); server.closeAllConnections() })
    })
    return { app, url }
  }

  // Ports first: every instance must know the others' addresses.
  const consoleServers = await Promise.all([0, 1].map(async () => {
    const server = http.createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    t.teardown(async () => { await new Promise<void>((resolve) => { server.close(() => { resolve() }); server.closeAllConnections() }) })
    return server
  }))
  const consoleUrl = `http://127.0.0.1:${(consoleServers[0]!.address() as AddressInfo).port}`
  // Browsers see one origin for the console (the load balancer); here that is instance #1's address.
  const authPublic = 'http://a.cluster.test'
  const authOptions = (): Parameters<typeof authApp>[1] => ({
    publicUrl: authPublic,
    clients: [{ clientId: 'console', clientSecret: CLIENT_SECRET, origins: [consoleUrl], redirectUris: [consoleUrl + '/sso/callback'], logoutUri: consoleUrl + '/sso/logout' }],
    session: { secret: SESSION_SECRET },
    databaseUrl: db.url,
    poolMax: 2,
    redisUrl: REDIS_URL,
    redisPrefix: prefix + 'auth:',
    scrypt: SCRYPT
  })
  const auth = [await serve(authApp, authOptions), await serve(authApp, authOptions)] as const
  const ingestOptions = (): Parameters<typeof ingestApp>[1] => ({ apps: APPS, databaseUrl: db.url, poolMax: 2, redisUrl: REDIS_URL, redisPrefix: prefix + 'ingest:', docs: false })
  const ingest = [await serve(ingestApp, ingestOptions), await serve(ingestApp, ingestOptions)] as const
  const consoles: Instance[] = []
  for (const server of consoleServers) {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const app = Fastify({ logger: false, serverFactory: (handler) => { server.on('request', handler); return server } })
    await app.register(fp(consoleApp), {
      publicUrl: consoleUrl,
      authUrl: authPublic,
      authInternalUrl: auth[0].url,
      clientId: 'console',
      clientSecret: CLIENT_SECRET,
      session: { secret: SESSION_SECRET },
      apps: APPS,
      databaseUrl: db.url,
      poolMax: 2,
      redisUrl: REDIS_URL,
      redisPrefix: prefix + 'console:',
      wechatApiBase: fake.url,
      repliesPerMinute: 3
    })
    await app.ready()
    t.teardown(() => app.close())
    consoles.push({ app, url })
  }
  await upsertAccount(prisma, 'alice', PASSWORD, SCRYPT)
  await prisma.agentApp.createMany({ data: APPS.map((a) => ({ username: 'alice', appId: a.appid })) })

  /** A cookie jar per site; the Host header is the site's public name, whichever instance answers. */
  class Browser {
    readonly jar = new CookieJar()
    constructor (readonly host: string) {}
    async request (instance: Instance, method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<{ status: number, json: () => any, text: string }> {
      const cookie = this.jar.header()
      const res = await fetch(instance.url + path, {
        method,
        redirect: 'manual',
        headers: { host: this.host, ...(cookie === '' ? {} : { cookie }), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body)
      })
      this.jar.take(res)
      const text = await res.text()
      return { status: res.status, text, json: () => JSON.parse(text) }
    }
  }
  const aHost = new URL(authPublic).host
  const cHost = new URL(consoleUrl).host

  async function signedInAgent (): Promise<{ a: Browser, c: Browser }> {
    const a = new Browser(aHost)
    const login = await a.request(auth[0], 'POST', '/login', { origin: authPublic }, { username: 'alice', password: PASSWORD })
    if (login.status !== 200) throw new Error(`login: ${login.status} ${login.text}`)
    const ticket = (await a.request(auth[1], 'POST', '/sso/ticket?client_id=console', { origin: consoleUrl, 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'cors' })).json().ticket
    const c = new Browser(cHost)
    const page = await c.request(consoles[0]!, 'GET', '/')
    const csrf = /"csrf":"([^"]+)"/.exec(page.text)![1]!
    const posted = await c.request(consoles[0]!, 'POST', '/sso/ticket', { origin: consoleUrl, 'sec-fetch-site': 'same-origin', 'x-kefu-csrf': csrf }, { ticket })
    if (posted.status !== 200) throw new Error(`ticket at the console: ${posted.status} ${posted.text}`)
    return { a, c }
  }

  async function push (instance: Instance, app: WechatAppConfig, fields: Record<string, PushFieldValue>, at?: { timestamp: string, nonce: string }): Promise<{ status: number, text: string }> {
    const built = buildPush({ appid: app.appid, token: app.token, encodingAESKey: app.encodingAESKey, mode: app.encodingAESKey === undefined ? 'plain' : 'safe', format: 'json', fields, ...at })
    const res = await fetch(`${instance.url}/wechat/${app.appid}?${new URLSearchParams(built.query).toString()}`, { method: 'POST', headers: { 'content-type': built.contentType }, body: built.body })
    return { status: res.status, text: await res.text() }
  }

  t.test('a login on auth #1 is valid on #2, and a logout on #2 ends it on #1', async (t) => {
    const a = new Browser(aHost)
    t.equal((await a.request(auth[0], 'POST', '/login', { origin: authPublic }, { username: 'alice', password: PASSWORD })).status, 200)
    t.same((await a.request(auth[1], 'GET', '/me', { accept: 'application/json' })).json(), { username: 'alice' }, 'signed in on #2')
    t.equal((await a.request(auth[1], 'POST', '/logout', { origin: authPublic }, {})).status, 204, 'signed out through #2')
    t.equal((await a.request(auth[0], 'GET', '/me', { accept: 'application/json' })).status, 401, 'and #1 agrees')
  })

  t.test('a ticket issued by auth #1 is redeemed through #2, once', async (t) => {
    const a = new Browser(aHost)
    await a.request(auth[0], 'POST', '/login', { origin: authPublic }, { username: 'alice', password: PASSWORD })
    const ticket = (await a.request(auth[0], 'POST', '/sso/ticket?client_id=console', { origin: consoleUrl, 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'cors' })).json().ticket
    const redeem = (instance: Instance): Promise<Response> => fetch(instance.url + '/sso/redeem', {
      method: 'POST',
      headers: { authorization: basicAuthorization('console', CLIENT_SECRET), 'content-type': 'application/json' },
      body: JSON.stringify({ ticket })
    })
    const first = await redeem(auth[1])
    t.equal(first.status, 200)
    t.equal((await first.json() as { username: string }).username, 'alice')
    t.equal((await redeem(auth[0])).status, 400, 'burned everywhere')
  })

  t.test('a push acknowledged by ingest #1 reaches a console stream open on console #2', async (t) => {
    const { c } = await signedInAgent()
    const cookie = c.jar.header()
    const controller = new AbortController()
    t.teardown(() => { controller.abort() })
    const res = await fetch(consoles[1]!.url + '/api/events', { headers: { host: cHost, cookie, accept: 'text/event-stream' }, signal: controller.signal })
    t.equal(res.status, 200, 'console #2 knows the session console #1 started')
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
    let buffer = ''
    const waitFor = async (pattern: RegExp): Promise<string> => {
      const deadline = Date.now() + 5000
      while (!pattern.test(buffer)) {
        if (Date.now() > deadline) throw new Error(`not on the stream: ${pattern}`)
        const { value, done } = await reader.read()
        if (done === true) throw new Error('stream ended')
        buffer += value
      }
      return buffer
    }
    await waitFor(/event: hello/)
    const ack = await push(ingest[0], SAFE, messageFields({ type: 'text', fromUserName: 'oCluster0000000000000000001', content: 'across instances' }))
    t.same(ack, { status: 200, text: 'success' })
    t.match(await waitFor(/across instances/), /event: message\ndata: .*"appId":"wxc1a57e0000000001"/)
  })

  t.test('a plaintext (timestamp, nonce) used on ingest #1 refuses another body on #2', async (t) => {
    const at = { timestamp: String(Math.floor(Date.now() / 1000)), nonce: String(crypto.randomInt(1e9, 1e10 - 1)) }
    const first = await push(ingest[0], PLAIN, messageFields({ type: 'text', fromUserName: 'oCluster0000000000000000002', content: 'original' }), at)
    t.same(first, { status: 200, text: 'success' })
    const other = await push(ingest[1], PLAIN, messageFields({ type: 'text', fromUserName: 'oCluster0000000000000000002', content: 'forged' }), at)
    t.equal(other.status, 401, 'the pair carries one body, whichever instance sees it')
    t.equal(await prisma.customerMessage.count({ where: { appId: PLAIN.appid, msgInfo: { contains: 'forged' } } }), 0, 'nothing stored')
  })

  t.test('console instances share the access token: expired together, refreshed once; the reply limit holds across both', async (t) => {
    const user = 'oCluster0000000000000000003'
    t.same(await push(ingest[0], PLAIN, messageFields({ type: 'text', fromUserName: user, content: 'please answer' })), { status: 200, text: 'success' })
    const { c } = await signedInAgent()
    const reply = (instance: Instance, text: string): Promise<{ status: number, json: () => any }> =>
      c.request(instance, 'POST', `/api/conversations/${PLAIN.appid}/${user}/messages`, { origin: consoleUrl }, { type: 'text', text })
    const warmed = await reply(consoles[0]!, 'first')
    t.equal(warmed.status, 201)
    fake.expireTokens(PLAIN.appid)
    fake.clearRequests()
    const [one, two] = await Promise.all([reply(consoles[0]!, 'second'), reply(consoles[1]!, 'third')])
    t.same([one.status, two.status], [201, 201])
    t.same([one.json().message.status, two.json().message.status], ['sent', 'sent'], 'both delivered after the expiry')
    t.equal(fake.requests.filter((r) => r.api === 'stable_token').length, 1, 'one refresh between the two instances')
    t.equal(fake.requests.filter((r) => r.api === 'custom/send' && r.token === 'valid').length, 2, 'each delivered once with the new token')
    const sends = fake.requests.filter((r) => r.api === 'custom/send').length
    const limited = await reply(consoles[1]!, 'fourth')
    t.equal(limited.status, 429, 'three replies per minute, counted across both instances')
    t.equal(fake.requests.filter((r) => r.api === 'custom/send').length, sends, 'the refused one never reached WeChat')
  })
})
