import t from 'tap'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import Fastify, { type FastifyInstance } from 'fastify'
import { createMetrics, installErrorHandler, listenForMetrics, metricsPlugin, type Metrics, type MetricsListener, type MetricsListenerConfig } from '../src/index.js'
import { metricValue } from '../src/testing/index.js'

interface Tap { teardown: (fn: () => unknown) => void }

/** A service with the metrics plugin, and its metrics served on a listener of their own (port 0). */
async function service (t: Tap, listen: Partial<MetricsListenerConfig> = {}, metrics: Metrics = createMetrics()): Promise<{ app: FastifyInstance, listener: MetricsListener }> {
  const app = Fastify({ logger: false })
  installErrorHandler(app, 'KEFU_TEST')
  await app.register(metricsPlugin, { metrics })
  const hits = app.metrics.counter('kefu_test_hits_total', 'hits by kind', ['kind'])
  app.get('/items/:id', async (request) => {
    hits.inc({ kind: 'item' })
    return { id: (request.params as { id: string }).id }
  })
  app.post('/fail', async () => { throw Object.assign(new Error('no'), { statusCode: 400, code: 'KEFU_TEST_BAD' }) })
  t.teardown(() => app.close())
  await app.ready()
  const listener = await listenForMetrics(metrics, { host: '127.0.0.1', port: 0, ...listen })
  t.teardown(() => listener.close())
  return { app, listener }
}

async function scrape (listener: MetricsListener, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(listener.url, { headers })
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`)
  return await res.text()
}

t.test('requests are counted by method, route as registered, and status; served on the metrics listener only', async (t) => {
  const { app, listener } = await service(t)
  t.match(listener.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
  for (const id of ['1', '2', '3']) t.equal((await app.inject(`/items/${id}`)).statusCode, 200)
  t.equal((await app.inject({ method: 'POST', url: '/fail' })).statusCode, 400)
  t.equal((await app.inject('/nowhere/at/all')).statusCode, 404)
  const pub = await app.inject('/metrics')
  t.equal(pub.statusCode, 404, 'no /metrics on the public listener')
  t.equal(pub.json().code, 'KEFU_TEST_NOT_FOUND')
  const res = await fetch(listener.url)
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/)
  t.equal(res.headers.get('cache-control'), 'no-store')
  t.equal(res.headers.get('access-control-allow-origin'), null, 'no CORS')
  const text = await res.text()
  const count = (labels: Record<string, string | number>) => metricValue(text, 'kefu_http_request_duration_seconds_count', labels)
  t.equal(count({ method: 'GET', route: '/items/:id', status_code: 200 }), 3, 'three reads of one route, one series')
  t.equal(count({ method: 'POST', route: '/fail', status_code: 400 }), 1)
  t.equal(count({ route: 'unmatched', status_code: 404 }), 2, 'unknown URLs share one series (/metrics among them)')
  t.ok(metricValue(text, 'kefu_http_request_duration_seconds_sum', { route: '/items/:id' }) > 0, 'latency observed')
  t.equal(metricValue(text, 'kefu_test_hits_total', { kind: 'item' }), 3)
  t.match(text, /^nodejs_eventloop_lag_p99_seconds \d/m, 'event-loop delay')
  t.match(text, /^process_cpu_seconds_total \d/m)
  t.equal(count({ route: '/metrics' }), 0, 'scrapes are not counted among the service\'s requests')
  const elsewhere = await fetch(listener.url.replace(/\/metrics$/, '/items/1'))
  t.equal(elsewhere.status, 404, 'the metrics listener serves nothing else')
  t.equal((await elsewhere.json() as { code: string }).code, 'KEFU_METRICS_NOT_FOUND')
})

t.test('two services in one process keep their own registries', async (t) => {
  const a = await service(t)
  const b = await service(t)
  await a.app.inject('/items/1')
  await a.app.inject('/items/2')
  t.equal(metricValue(await scrape(a.listener), 'kefu_test_hits_total'), 2)
  t.equal(metricValue(await scrape(b.listener), 'kefu_test_hits_total'), 0, "b counts none of a's requests")
})

t.test('refused to pages of other sites, served to Prometheus and to a person at the address bar', async (t) => {
  const { listener } = await service(t)
  const own = new URL(listener.url).origin
  const refused: Array<Record<string, string>> = [
    { 'sec-fetch-site': 'cross-site' },
    { 'sec-fetch-site': 'same-site' },
    { origin: 'https://evil.example' },
    { origin: 'null' },
    { origin: own.replace(/:\d+$/, ':81') }
  ]
  for (const headers of refused) {
    const res = await fetch(listener.url, { headers })
    t.equal(res.status, 403, JSON.stringify(headers))
    const body = await res.text()
    t.equal((JSON.parse(body) as { code: string }).code, 'KEFU_METRICS_CROSS_SITE')
    t.notMatch(body, /kefu_http_request_duration_seconds/, 'no metrics in the refusal')
    t.equal(res.headers.get('access-control-allow-origin'), null)
  }
  const allowed: Array<Record<string, string>> = [{}, { 'sec-fetch-site': 'none' }, { 'sec-fetch-site': 'same-origin', origin: own }]
  for (const headers of allowed) {
    t.equal((await fetch(listener.url, { headers })).status, 200, JSON.stringify(headers))
  }
})

t.test('METRICS_TOKEN: only a scrape with the bearer token is answered', async (t) => {
  const token = 'a-metrics-token-for-this-test-0123456789'
  const { listener } = await service(t, { token })
  for (const authorization of [undefined, `Bearer ${token}x`, `Bearer ${token.slice(1)}`, `Basic ${Buffer.from('x:' + token).toString('base64')}`, token]) {
    const res = await fetch(listener.url, { headers: authorization === undefined ? {} : { authorization } })
    t.equal(res.status, 401, String(authorization))
    t.equal(res.headers.get('www-authenticate'), 'Bearer realm="kefu-metrics"')
    const body = await res.text()
    t.equal((JSON.parse(body) as { code: string }).code, 'KEFU_METRICS_UNAUTHORIZED')
    t.notMatch(body, /kefu_http_request_duration_seconds/)
  }
  t.match(await scrape(listener, { authorization: `Bearer ${token}` }), /kefu_http_request_duration_seconds/)
  t.match(await scrape(listener, { authorization: `bearer ${token}` }), /kefu_http_request_duration_seconds/, 'the scheme is case-insensitive (RFC 9110)')
})

t.test('a port already taken stops the start with one line naming METRICS_PORT', async (t) => {
  const { listener } = await service(t)
  const port = Number(new URL(listener.url).port)
  await t.rejects(listenForMetrics(createMetrics(), { host: '127.0.0.1', port }), { message: `METRICS_PORT ${port} on METRICS_HOST 127.0.0.1 cannot be listened on for /metrics: EADDRINUSE` })
})

t.test('disabled: no hooks, every metric a no-op, nothing to serve', async (t) => {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  await app.register(metricsPlugin, { metrics: createMetrics(false) })
  app.get('/items/:id', async () => { app.metrics.counter('kefu_test_hits_total', 'hits').inc(); return {} })
  t.equal(app.metrics.enabled, false)
  t.equal((await app.inject('/items/1')).statusCode, 200, 'app metrics still callable')
  t.equal((await app.inject('/metrics')).statusCode, 404)
  await t.rejects(listenForMetrics(app.metrics, { host: '127.0.0.1', port: 0 }), /disabled/)
})

t.test('runService: the app on PORT, /metrics on METRICS_PORT alone; both close on SIGTERM', async (t) => {
  const fixture = fileURLToPath(new URL('./fixtures/run-service.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], { env: { ...process.env, METRICS_PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<number | null>((resolve) => { child.once('exit', resolve) })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let out = ''
  let err = ''
  child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString() })
  const urls = await new Promise<{ app: string, metrics: string }>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const app = /fixture listening on (http:\/\/\S+?)"/.exec(out)?.[1]
      const metrics = /fixture: metrics at (http:\/\/\S+?)"/.exec(out)?.[1]
      if (app !== undefined && metrics !== undefined) resolve({ app, metrics })
    })
    child.once('exit', (code) => { reject(new Error(`the fixture exited with ${code}: ${err}`)) })
    setTimeout(() => { reject(new Error(`the fixture did not announce both listeners within 30 s: ${out}`)) }, 30_000).unref()
  })
  t.not(new URL(urls.app).port, new URL(urls.metrics).port)
  t.equal((await fetch(urls.app + '/hello')).status, 200)
  t.equal((await fetch(urls.app + '/metrics')).status, 404, 'not on the public listener')
  const text = await (await fetch(urls.metrics)).text()
  t.equal(metricValue(text, 'kefu_http_request_duration_seconds_count', { route: '/hello', status_code: 200 }), 1, "the app's own registry")
  child.kill('SIGTERM')
  t.equal(await exited, 0)
  await t.rejects(fetch(urls.metrics), 'the metrics listener closed too')
})
