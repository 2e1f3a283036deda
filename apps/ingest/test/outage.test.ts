// PostgreSQL and Redis taken away (a TCP proxy cut in front of each) and brought back: every route of ingest answers
// 503 with one line while a server it needs is away (WeChat retries), never 500 and never hangs, and works again by
// itself, announcements of stored pushes included.
import { once, EventEmitter } from 'node:events'
import t from 'tap'
import { createRedisBus } from '@kefu/service'
import { deleteKeysAtTeardown, injected, outageDrill, proxiesInFront, startSite, type Probe, testKeyPrefix } from '@kefu/service/testing'
import ingestApp, { MESSAGES_CHANNEL } from '../src/app.js'
import { APPS, PLAIN_APP, SAFE_APP, fields, fileDatabase, push, send } from './helper.js'

const skip = (process.env.DATABASE_URL === undefined || process.env.REDIS_URL === undefined) && 'needs DATABASE_URL and REDIS_URL (embedded run)'

t.test('every route of ingest through PostgreSQL and Redis outages', { skip }, async (t) => {
  const db = await fileDatabase(t, 'ingest_outage')
  const prefix = testKeyPrefix('ingest')
  deleteKeysAtTeardown(t, prefix)
  const { database, redis } = await proxiesInFront(t, db.url)
  const { app, routes, logs } = await startSite(t, ingestApp, { apps: APPS, databaseUrl: database.url, poolMax: db.poolMax, redisUrl: redis.url, redisPrefix: prefix, docs: true }, { fastify: { bodyLimit: 1024 * 1024 } })

  let sent = 0
  const acknowledged: string[] = []
  const message = (from: string) => fields('text', { fromUserName: from, msgId: 7_000_000_000_000_000_000n + BigInt(++sent) })
  /** Sends a new message; remembers it when WeChat would have heard `success`. */
  async function pushed (app_: typeof SAFE_APP, mode: 'safe' | 'plain', from: string) {
    const msgId = 7_000_000_000_000_000_000n + BigInt(++sent)
    const res = await send(app, app_.appid, push(app_, mode, 'json', fields('text', { fromUserName: from, msgId })))
    if (success(res)) acknowledged.push(msgId.toString())
    return injected(res)
  }
  const success = (a: { statusCode?: number, status?: number, body: string }) => (a.status ?? a.statusCode) === 200 && a.body === 'success'
  const verification = push(PLAIN_APP, 'plain', 'json', message('o_verify'))
  const docs = (route: string, url = route, status = 200): Probe => ({ route: `GET ${route}`, needs: [], send: async () => injected(await app.inject(url)), ok: status })

  const probes: Probe[] = [
    // Need neither server, and must keep answering: the process is up; the URL verification WeChat does when the
    // push URL is saved (a signature check, nothing stored); the OpenAPI document and its UI.
    { route: 'GET /healthz', needs: [], send: async () => injected(await app.inject('/healthz')), ok: 200 },
    // Prometheus keeps scraping through an outage: the metrics live in the process.
    {
      route: 'GET /wechat/:appid',
      needs: [],
      send: async () => injected(await app.inject({ url: `/wechat/${PLAIN_APP.appid}`, query: { ...verification.query, echostr: 'echo-123' } })),
      ok: (a) => a.status === 200 && a.body === 'echo-123'
    },
    docs('/docs'),
    docs('/docs/json'),
    docs('/docs/yaml'),
    docs('/docs/static/index.html', '/docs/static/index.html', 302), // to /docs
    docs('/docs/static/swagger-initializer.js'),
    docs('/docs/static/*', '/docs/static/swagger-ui.css'),

    // /readyz answers for load balancers in its own shape: {"status":"database unreachable"} with 503.
    {
      route: 'GET /readyz',
      needs: ['database'],
      send: async () => injected(await app.inject('/readyz')),
      ok: 200,
      down: (a) => a.body === '{"status":"database unreachable"}'
    },
    // An encrypted push: msg_signature binds the nonce to the content, so only the database is needed (the
    // announcement to consoles is best effort and must not fail the push, nor crash anything, while Redis is away).
    { route: 'POST /wechat/:appid', label: 'safe mode', needs: ['database'], send: () => pushed(SAFE_APP, 'safe', 'o_safe'), ok: success },
    // A plaintext push: its (timestamp, nonce) is claimed in Redis against replays, then it is stored.
    { route: 'POST /wechat/:appid', label: 'plaintext', needs: ['database', 'redis'], send: () => pushed(PLAIN_APP, 'plain', 'o_plain'), ok: success }
  ]
  await outageDrill(t, { routes, probes, proxies: { database, redis }, logs })

  // The bus reconnected by itself: a stored push is announced again.
  const bus = await createRedisBus(process.env.REDIS_URL!)
  t.teardown(() => bus.close())
  const heard = new EventEmitter()
  await bus.subscribe(MESSAGES_CHANNEL, (m) => { if (m.includes('o_after_outage')) heard.emit('message', m) })
  const announced = once(heard, 'message')
  t.equal((await send(app, SAFE_APP.appid, push(SAFE_APP, 'safe', 'json', message('o_after_outage')))).statusCode, 200)
  const [announcement] = await announced as [string]
  t.match(JSON.parse(announcement), { messages: [{ appId: SAFE_APP.appid, openid: 'o_after_outage' }] }, 'announced after Redis came back')
  const stored = await app.prisma.customerMessage.findMany({ where: { msgId: { in: acknowledged } }, select: { msgId: true } })
  t.same(stored.map((r) => r.msgId).sort(), [...acknowledged].sort(), 'every push acknowledged with success, during the drill too, is stored')
})
