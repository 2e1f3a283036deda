import t from 'tap'
import { createMetrics, listenForMetrics } from '@kefu/service'
import { metricValue } from '@kefu/service/testing'
import { PER_APP_SERIES_LIMIT } from '../src/routes/wechat.js'
import { PLAIN_APP, SAFE_APP, build, fields, fileDatabase, push, send } from './helper.js'

const db = await fileDatabase(t, 'ingest_metrics')

t.test('GET /metrics after real pushes: pushes by appid, type and outcome; group commits; requests by route', async (t) => {
  const metrics = createMetrics()
  const app = await build(t, db, { metrics })
  const listener = await listenForMetrics(metrics, { host: '127.0.0.1', port: 0 })
  t.teardown(() => listener.close())
  const text = push(SAFE_APP, 'safe', 'json', fields('text', { fromUserName: 'o_metrics' }))
  t.equal((await send(app, SAFE_APP.appid, text)).body, 'success')
  t.equal((await send(app, SAFE_APP.appid, text)).body, 'success', 'a repeat delivery')
  t.equal((await send(app, PLAIN_APP.appid, push(PLAIN_APP, 'plain', 'xml', fields('user_enter_tempsession', { fromUserName: 'o_metrics' })))).body, 'success')
  const forged = push(SAFE_APP, 'safe', 'json', fields('text', { fromUserName: 'o_metrics' }))
  t.equal((await send(app, SAFE_APP.appid, { ...forged, query: { ...forged.query, msg_signature: '0'.repeat(40) } })).statusCode, 401)
  t.equal((await send(app, 'wx_not_configured', text)).statusCode, 404)

  t.equal((await app.inject('/metrics')).statusCode, 404, 'not on the listener WeChat reaches')
  const res = await fetch(listener.url)
  t.equal(res.status, 200)
  const body = await res.text()
  const pushes = (labels: Record<string, string>) => metricValue(body, 'kefu_ingest_pushes_total', labels)
  t.equal(pushes({ appid: SAFE_APP.appid, type: 'text', outcome: 'stored' }), 1)
  t.equal(pushes({ appid: SAFE_APP.appid, type: 'text', outcome: 'duplicate' }), 1)
  t.equal(pushes({ appid: PLAIN_APP.appid, type: 'user_enter_tempsession', outcome: 'stored' }), 1)
  t.equal(pushes({ appid: SAFE_APP.appid, outcome: 'KEFU_INGEST_BAD_SIGNATURE' }), 1)
  t.equal(pushes({ appid: 'unknown', outcome: 'KEFU_INGEST_UNKNOWN_APP' }), 1, 'an appid that is not configured is not a label of its own')
  t.equal(metricValue(body, 'kefu_ingest_commit_batch_size_sum'), 3, 'every row that went to the database, in group commits')
  t.ok(metricValue(body, 'kefu_ingest_commit_batch_size_count') >= 1 && metricValue(body, 'kefu_ingest_commit_batch_size_count') <= 3)
  t.equal(metricValue(body, 'kefu_ingest_commit_duration_seconds_count'), metricValue(body, 'kefu_ingest_commit_batch_size_count'), 'one commit latency per batch')
  t.ok(metricValue(body, 'kefu_ingest_commit_duration_seconds_sum') > 0)
  t.equal(metricValue(body, 'kefu_http_request_duration_seconds_count', { method: 'POST', route: '/wechat/:appid', status_code: 200 }), 3)
  t.equal(metricValue(body, 'kefu_http_request_duration_seconds_count', { method: 'POST', route: '/wechat/:appid', status_code: 401 }), 1)
  t.match(body, /^nodejs_eventloop_lag_p99_seconds /m)

  t.equal((await fetch(listener.url, { headers: { 'sec-fetch-site': 'cross-site' } })).status, 403, 'not to pages of other sites')
})

t.test('disabled metrics (the benchmark\'s comparison) still store pushes', async (t) => {
  const app = await build(t, db, { metrics: createMetrics(false) })
  t.equal((await send(app, SAFE_APP.appid, push(SAFE_APP, 'safe', 'xml', fields('text', { fromUserName: 'o_metrics_off' })))).body, 'success')
  t.equal((await app.inject('/metrics')).statusCode, 404)
})

t.test('over 200 mini programs, pushes are counted together (appid many), not a series each', async (t) => {
  const metrics = createMetrics()
  const others = Array.from({ length: PER_APP_SERIES_LIMIT }, (_, i) => ({ appid: `wx3e7c${i.toString(16).padStart(12, '0')}`, token: `seriesToken${i}` }))
  const app = await build(t, db, { metrics, apps: [SAFE_APP, PLAIN_APP, ...others] })
  const listener = await listenForMetrics(metrics, { host: '127.0.0.1', port: 0 })
  t.teardown(() => listener.close())
  t.equal((await send(app, SAFE_APP.appid, push(SAFE_APP, 'safe', 'json', fields('text', { fromUserName: 'o_metrics_many' })))).body, 'success')
  t.equal((await send(app, 'wx_not_configured', push(SAFE_APP, 'safe', 'json', fields('text', { fromUserName: 'o_metrics_many' })))).statusCode, 404)
  const body = await (await fetch(listener.url)).text()
  t.equal(metricValue(body, 'kefu_ingest_pushes_total', { appid: 'many', type: 'text', outcome: 'stored' }), 1)
  t.equal(metricValue(body, 'kefu_ingest_pushes_total', { appid: 'unknown', outcome: 'KEFU_INGEST_UNKNOWN_APP' }), 1, 'unknown stays unknown')
  t.notMatch(body, new RegExp(`kefu_ingest_pushes_total\\{[^}]*appid="${SAFE_APP.appid}"`), 'no series of its own')
})
