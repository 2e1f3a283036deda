import t from 'tap'
import crypto from 'node:crypto'
import { once } from 'node:events'
import { EventEmitter } from 'node:events'
import { createMemoryBus, createRedisBus, type EventBus } from '../src/index.js'

const kinds: Array<[string, () => Promise<EventBus>, string | false]> = [
  ['memory', async () => createMemoryBus(), false],
  ['redis', () => createRedisBus(process.env.REDIS_URL!), process.env.REDIS_URL === undefined && 'REDIS_URL is not set (embedded run)'],
  // Sharded pub/sub on a Redis Cluster (pnpm test's real run starts one).
  ['redis-cluster', () => createRedisBus({ cluster: process.env.REDIS_CLUSTER_URLS!.split(',') }),
    (process.env.REDIS_CLUSTER_URLS ?? '') === '' && 'REDIS_CLUSTER_URLS is not set (embedded run)']
]

for (const [kind, make, skip] of kinds) {
  t.test(`${kind} bus: subscribers get what is published, until they unsubscribe`, { skip }, async (t) => {
    const bus = await make()
    t.teardown(() => bus.close())
    const channel = `kefu:test:${crypto.randomBytes(4).toString('hex')}`
    const got = new EventEmitter()
    const received: string[] = []
    const stop = await bus.subscribe(channel, (m) => { received.push(m); got.emit('message') })
    const other = await bus.subscribe(channel + ':other', () => { t.fail('another channel') })
    const arrived = once(got, 'message')
    await bus.publish(channel, 'hello')
    await arrived
    t.same(received, ['hello'])
    await stop()
    await other()
    await bus.publish(channel, 'after')
    // A round trip on the same connection proves 'after' had its chance to arrive.
    const stop2 = await bus.subscribe(channel, (m) => { if (m === 'probe') got.emit('probe') })
    const probed = once(got, 'probe')
    await bus.publish(channel, 'probe')
    await probed
    await stop2()
    t.same(received, ['hello'], 'nothing after unsubscribe')
  })
}
