// GET /metrics on the console after real traffic: open live streams, replies by outcome and errcode, access-token
// refreshes.
import { setTimeout as delay } from 'node:timers/promises'
import t from 'tap'
import { createMetrics, listenForMetrics } from '@kefu/service'
import { metricValue } from '@kefu/service/testing'
import { APPS, Agent, openStream, startConsoleSystem } from './helper.js'

const metrics = createMetrics()
const sys = await startConsoleSystem(t, { label: 'console_metrics', console: { metrics } })
const listener = await listenForMetrics(metrics, { host: '127.0.0.1', port: 0 })
t.teardown(() => listener.close())
const SAFE = APPS[0]!.appid

async function scrape (): Promise<string> {
  const res = await fetch(listener.url)
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`)
  return await res.text()
}

/** Reads the metric until it shows `wanted` (a stream's end reaches the server a moment after the client closes it). */
async function settlesAt (name: string, wanted: number): Promise<number> {
  let value = metricValue(await scrape(), name)
  for (let i = 0; i < 250 && value !== wanted; i++) {
    await delay(20)
    value = metricValue(await scrape(), name)
  }
  return value
}

t.test('open streams, replies by outcome and errcode, token refreshes', async (t) => {
  const alice = new Agent()
  await alice.signIn(sys)
  t.equal(metricValue(await scrape(), 'kefu_console_open_streams'), 0)
  const stream = await openStream(sys, alice)
  t.equal(metricValue(await scrape(), 'kefu_console_open_streams'), 1, 'an open stream is counted')

  await sys.push(SAFE, 'text', { from: 'o_metrics' })
  const send = (text: string) => alice.api(sys, 'POST', `/api/conversations/${SAFE}/o_metrics/messages`, { type: 'text', text })
  t.equal((await send('您好')).status, 201)
  sys.fake.failNext('custom/send', 45015)
  t.equal((await send('late')).status, 201)

  const text = await scrape()
  t.equal(metricValue(text, 'kefu_console_replies_total', { outcome: 'sent', errcode: '0' }), 1)
  t.equal(metricValue(text, 'kefu_console_replies_total', { outcome: 'refused', errcode: '45015' }), 1)
  t.equal(metricValue(text, 'kefu_console_token_refreshes_total', { appid: SAFE, outcome: 'ok' }), 1, 'one token for both replies')
  t.equal(metricValue(text, 'kefu_http_request_duration_seconds_count', { method: 'POST', route: '/api/conversations/:appid/:openid/messages', status_code: 201 }), 2)

  sys.fake.expireTokens()
  t.equal((await send('after expiry')).status, 201)
  t.equal(metricValue(await scrape(), 'kefu_console_token_refreshes_total', { appid: SAFE }), 2, 'a refresh after WeChat expired the token')

  stream.close()
  t.equal(await settlesAt('kefu_console_open_streams', 0), 0, 'a closed stream is no longer counted')
  t.equal((await alice.request(sys.console, 'GET', '/metrics')).status, 404, 'not on the listener browsers reach')
  t.equal((await fetch(listener.url, { headers: { 'sec-fetch-site': 'cross-site' } })).status, 403, 'not to pages of other sites')
})
