import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { installErrorHandler, metricsPlugin, type MetricsPluginOptions } from '../src/index.js'
import { metricValue } from '../src/testing/index.js'

async function service (t: { teardown: (fn: () => unknown) => void }, opts: MetricsPluginOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  installErrorHandler(app, 'KEFU_TEST')
  await app.register(metricsPlugin, opts)
  const hits = app.metrics.counter('kefu_test_hits_total', 'hits by kind', ['kind'])
  app.get('/items/:id', async (request) => {
    hits.inc({ kind: 'item' })
    return { id: (request.params as { id: string }).id }
  })
  app.post('/fail', async () => { throw Object.assign(new Error('no'), { statusCode: 400, code: 'KEFU_TEST_BAD' }) })
  t.teardown(() => app.close())
  await app.ready()
  return app
}

const scrape = async (app: FastifyInstance): Promise<string> => {
  const res = await app.inject('/metrics')
  if (res.statusCode !== 200) throw new Error(`GET /metrics answered ${res.statusCode}`)
  return res.body
}

t.test('requests are counted by method, route as registered, and status; app metrics and event-loop delay are served', async (t) => {
  const app = await service(t)
  for (const id of ['1', '2', '3']) t.equal((await app.inject(`/items/${id}`)).statusCode, 200)
  t.equal((await app.inject({ method: 'POST', url: '/fail' })).statusCode, 400)
  t.equal((await app.inject('/nowhere/at/all')).statusCode, 404)
  const res = await app.inject('/metrics')
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/)
  t.equal(res.headers['cache-control'], 'no-store')
  t.notOk(res.headers['access-control-allow-origin'], 'no CORS')
  const text = res.body
  const count = (labels: Record<string, string | number>) => metricValue(text, 'kefu_http_request_duration_seconds_count', labels)
  t.equal(count({ method: 'GET', route: '/items/:id', status_code: 200 }), 3, 'three reads of one route, one series')
  t.equal(count({ method: 'POST', route: '/fail', status_code: 400 }), 1)
  t.equal(count({ route: 'unmatched', status_code: 404 }), 1, 'unknown URLs share one series')
  t.ok(metricValue(text, 'kefu_http_request_duration_seconds_sum', { route: '/items/:id' }) > 0, 'latency observed')
  t.equal(metricValue(text, 'kefu_test_hits_total', { kind: 'item' }), 3)
  t.match(text, /^nodejs_eventloop_lag_p99_seconds \d/m, 'event-loop delay')
  t.match(text, /^process_cpu_seconds_total \d/m)
})

t.test('two services in one process keep their own registries', async (t) => {
  const a = await service(t)
  const b = await service(t)
  await a.inject('/items/1')
  await a.inject('/items/2')
  t.equal(metricValue(await scrape(a), 'kefu_test_hits_total'), 2)
  t.equal(metricValue(await scrape(b), 'kefu_test_hits_total'), 0, "b counts none of a's requests")
})

t.test('refused to pages of other sites, served to Prometheus and to a person at the address bar', async (t) => {
  const app = await service(t)
  const refused = [
    { 'sec-fetch-site': 'cross-site' },
    { 'sec-fetch-site': 'same-site' },
    { origin: 'https://evil.example' },
    { origin: 'null' },
    { origin: 'http://localhost:81' }
  ]
  for (const headers of refused) {
    const res = await app.inject({ url: '/metrics', headers })
    t.equal(res.statusCode, 403, JSON.stringify(headers))
    t.equal(res.json().code, 'KEFU_METRICS_CROSS_SITE')
    t.notMatch(res.body, /kefu_http_request_duration_seconds/, 'no metrics in the refusal')
    t.notOk(res.headers['access-control-allow-origin'])
  }
  const allowed = [
    {},
    { 'sec-fetch-site': 'none' },
    { 'sec-fetch-site': 'same-origin', origin: 'http://localhost:80' }
  ]
  for (const headers of allowed) {
    t.equal((await app.inject({ url: '/metrics', headers: { host: 'localhost:80', ...headers } })).statusCode, 200, JSON.stringify(headers))
  }
})

t.test('disabled: no /metrics, no hooks, every metric a no-op', async (t) => {
  const app = await service(t, { enabled: false })
  t.equal(app.metrics.enabled, false)
  t.equal((await app.inject('/items/1')).statusCode, 200, 'app metrics still callable')
  t.equal((await app.inject('/metrics')).statusCode, 404)
})
