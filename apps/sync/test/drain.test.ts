// The B site started as its server starts it (startService): /readyz answers 200 while its store answers, 503
// `draining` from the start of a drain while every other request is still served (with Connection: close), and the
// listener closes once the drain is over.
import t from 'tap'
import { startService } from '@kefu/service'
import { deleteKeysAtTeardown, testKeyPrefix } from '@kefu/service/testing'
import * as sync from '../src/app.js'

const DRAIN_MS = 800

t.test('/readyz: 200 when ready, 503 draining at once after the drain starts; requests served until it ends', async (t) => {
  const redisUrl = process.env.REDIS_URL
  const config = sync.loadConfig({
    PORT: '0',
    METRICS_PORT: '0',
    DRAIN_MS: String(DRAIN_MS),
    LOG_LEVEL: 'warn',
    CLIENT_SECRET: 'a-client-secret-of-32-characters-at-least',
    SESSION_SECRET: 'session-secret-session-secret-0123456789',
    ...(redisUrl === undefined || redisUrl === '' ? {} : { REDIS_URL: redisUrl })
  })
  const redisPrefix = testKeyPrefix('sync')
  deleteKeysAtTeardown(t, redisPrefix)
  const service = await startService({ name: 'sync', service: sync, config, shared: { redisPrefix } })
  t.teardown(() => service.close())

  const ready = await fetch(service.url + '/readyz')
  t.equal(ready.status, 200)
  t.same(await ready.json(), { status: 'ready' })

  const drained = service.drain()
  const started = Date.now()
  const draining = await fetch(service.url + '/readyz')
  t.equal(draining.status, 503, '503 as soon as the drain starts')
  t.same(await draining.json(), { status: 'draining' })
  t.equal(draining.headers.get('connection'), 'close')
  const page = await fetch(service.url + '/healthz')
  t.equal(page.status, 200, 'other requests are still served')
  t.equal(page.headers.get('connection'), 'close', 'telling keep-alive clients to go elsewhere')

  await drained
  t.ok(Date.now() - started >= DRAIN_MS - 50, 'the drain lasts DRAIN_MS')
  await service.close()
  await t.rejects(fetch(service.url + '/healthz'), 'closed after the drain')
})
