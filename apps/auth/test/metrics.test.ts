// GET /metrics on A after real traffic: logins by outcome, tickets issued and redeemed, back-channel failures.
import t from 'tap'
import Fastify from 'fastify'
import { createMetrics, listenForMetrics } from '@kefu/service'
import { basicAuthorization } from '@kefu/sso-client'
import { metricValue } from '@kefu/service/testing'
import { B1, Browser, addAccount, build, fileDatabase } from './helper.js'

// A B site whose back-channel endpoint answers an error.
const fakeB = Fastify()
fakeB.post('/sso/logout', async (_request, reply) => reply.code(500).send())
const fakeUrl = await fakeB.listen({ port: 0, host: '127.0.0.1' })
t.teardown(() => fakeB.close())

const db = await fileDatabase(t, 'auth_metrics')
const metrics = createMetrics()
const { app } = await build(t, db, { clients: [{ ...B1, logoutUri: `${fakeUrl}/sso/logout` }], metrics })
const listener = await listenForMetrics(metrics, { host: '127.0.0.1', port: 0 })
t.teardown(() => listener.close())
await addAccount(app, 'alice', 'alice-password')
const FROM_B1 = { origin: 'http://b1.kefu.test', 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'cors' }

const redeem = (ticket: string) => app.inject({
  method: 'POST',
  url: '/sso/redeem',
  headers: { authorization: basicAuthorization('b1', B1.clientSecret), 'content-type': 'application/json' },
  payload: { ticket }
})

t.test('the numbers move with logins, tickets and a failed back-channel logout', async (t) => {
  const scrape = async () => {
    const res = await fetch(listener.url)
    t.equal(res.status, 200)
    return await res.text()
  }
  const before = await scrape()
  t.match(before, /# TYPE kefu_session_store_errors_total counter/, 'session store errors are exposed')
  t.equal(metricValue(before, 'kefu_auth_logins_total'), 0)

  t.equal((await new Browser(app).login('alice', 'wrong-password')).statusCode, 401)
  const b = new Browser(app)
  t.equal((await b.login('alice', 'alice-password')).statusCode, 200)
  const ticket = (await b.request('POST', '/sso/ticket?client_id=b1', { headers: FROM_B1 })).json().ticket as string
  t.equal((await redeem(ticket)).statusCode, 200)
  t.equal((await redeem(ticket)).statusCode, 400, 'a used ticket')
  t.equal((await b.postJson('/logout', {})).statusCode, 204)

  const after = await scrape()
  t.equal(metricValue(after, 'kefu_auth_logins_total', { outcome: 'success' }), 1)
  t.equal(metricValue(after, 'kefu_auth_logins_total', { outcome: 'bad_credentials' }), 1)
  t.equal(metricValue(after, 'kefu_auth_tickets_issued_total', { client: 'b1' }), 1)
  t.equal(metricValue(after, 'kefu_auth_ticket_redemptions_total', { client: 'b1', outcome: 'redeemed' }), 1)
  t.equal(metricValue(after, 'kefu_auth_ticket_redemptions_total', { client: 'b1', outcome: 'refused' }), 1)
  t.equal(metricValue(after, 'kefu_auth_back_channel_failures_total', { client: 'b1', reason: 'refused' }), 1)
  t.equal(metricValue(after, 'kefu_http_request_duration_seconds_count', { method: 'POST', route: '/login', status_code: 401 }), 1)
  t.equal((await app.inject('/metrics')).statusCode, 404, 'not on the listener browsers reach')
  t.equal((await fetch(listener.url, { headers: { origin: 'http://b1.kefu.test' } })).status, 403, 'not to pages of other sites, registered B sites included')
})
