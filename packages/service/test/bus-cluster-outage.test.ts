// Live fan-out on a Redis Cluster of this test's own (sharded pub/sub): while the master that owns a channel is
// killed, publishing fails at once with an error the services answer 503 for; once it is back, the subscription
// that was open before delivers again within 10 s, without being opened anew.
import t from 'tap'
import crypto from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { setTimeout as delay } from 'node:timers/promises'
import { command, startRedisCluster } from '../../../scripts/redis-cluster.mjs'
import { createRedisBus, isUnavailable } from '../src/index.js'

const skip = (process.env.REDIS_CLUSTER_URLS ?? '') === '' && 'REDIS_CLUSTER_URLS is not set (embedded run)'

t.test('a killed master: publishing on its channels fails at once; the subscription delivers again after its return', { skip }, async (t) => {
  const cluster = await startRedisCluster({ base: 7401 })
  t.teardown(() => cluster.stop())
  const bus = await createRedisBus({ cluster: cluster.urls })
  t.teardown(() => bus.close())
  const channel = `kefu:test:bus-outage:${crypto.randomBytes(4).toString('hex')}`
  const received: string[] = []
  await bus.subscribe(channel, (m) => { received.push(m) })
  await bus.publish(channel, 'before')
  for (let i = 0; i < 100 && !received.includes('before'); i++) await delay(20)
  t.same(received, ['before'])

  // The master that owns the channel's slot: the script splits the slots in three ranges, in port order.
  const slot = Number(await command(cluster.ports[0]!, ['CLUSTER', 'KEYSLOT', channel]))
  const owner = [0, 1, 2].find((i) => slot < Math.floor((i + 1) * 16384 / 3))!
  await cluster.stopNode(owner)
  const started = performance.now()
  const err = await bus.publish(channel, 'during').then(() => undefined, (e: unknown) => e)
  t.ok(performance.now() - started < 2000, 'answered at once')
  t.ok(isUnavailable(err), `an unavailability error: ${String(err)}`)

  await delay(2000)
  await cluster.startNode(owner)
  const back = performance.now()
  while (!received.includes('after') && performance.now() - back < 10_000) {
    await bus.publish(channel, 'after').catch(() => {})
    await delay(100)
  }
  t.ok(received.includes('after'), `delivered again ${Math.round(performance.now() - back)} ms after the master's return`)
})
