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

t.test('redis bus: a channel prefix keeps two systems on one Redis apart', { skip: process.env.REDIS_URL === undefined && 'REDIS_URL is not set (embedded run)' }, async (t) => {
  const tag = crypto.randomBytes(4).toString('hex')
  const mine = await createRedisBus(process.env.REDIS_URL!, undefined, { channelPrefix: `kefu:t:${tag}:a:` })
  const mineToo = await createRedisBus(process.env.REDIS_URL!, undefined, { channelPrefix: `kefu:t:${tag}:a:` })
  const theirs = await createRedisBus(process.env.REDIS_URL!, undefined, { channelPrefix: `kefu:t:${tag}:b:` })
  const plain = await createRedisBus(process.env.REDIS_URL!)
  for (const bus of [mine, mineToo, theirs, plain]) t.teardown(() => bus.close())
  const heard: string[] = []
  const got = new EventEmitter()
  await mine.subscribe('kefu:messages', (m) => { heard.push(m); got.emit('message') })
  await theirs.publish('kefu:messages', 'theirs')
  await plain.publish('kefu:messages', 'unprefixed')
  const arrived = once(got, 'message')
  await mineToo.publish('kefu:messages', 'mine')
  await arrived
  // Published one after the other: Redis hands them to a subscriber in that order, so the others' would have come first.
  t.same(heard, ['mine'], 'only what a bus with the same prefix published')
})
