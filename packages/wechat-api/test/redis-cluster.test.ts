// The Redis token store on a Redis Cluster (REDIS_CLUSTER_URLS; `pnpm test`'s real run starts a 3-master one): the
// lock and the token of a mini program share a hash tag, so the scripts that touch both run on one slot.
import t, { type Test } from 'tap'
import { createRedisClient, isClusterClient } from '@kefu/service'
import { createRedisTokenStore, type RedisTokenStore } from '../src/index.js'
import { APPID, OPENID, REDIS_CLUSTER, apiFor, callsTo, fakeFor, manualClock, redisFor, rejection, testPrefix } from './helpers.js'

const skip = REDIS_CLUSTER === undefined ? 'REDIS_CLUSTER_URLS is not set (embedded run)' : false

async function storeFor (t: Test, prefix: string, options: { waitTimeoutMs?: number, pollMs?: number } = {}): Promise<RedisTokenStore> {
  const store = await createRedisTokenStore({ url: REDIS_CLUSTER!, prefix, ...options })
  t.teardown(() => store.close())
  return store
}

t.test('cluster: two stores, a storm of sends on each: one refresh, the lock released', { skip }, async (t) => {
  const prefix = testPrefix('cluster-storm')
  const redis = await redisFor(t, prefix, REDIS_CLUSTER)
  t.ok(isClusterClient(redis), 'a cluster client')
  const fake = await fakeFor(t)
  const clock = manualClock()
  const a = apiFor(fake, { clock: clock.now, tokenStore: await storeFor(t, prefix) })
  const b = apiFor(fake, { clock: clock.now, tokenStore: await storeFor(t, prefix) })
  await Promise.all(Array.from({ length: 10 }, async (_, i) => { await (i % 2 === 0 ? a : b).sendText(APPID, OPENID, `storm ${i}`) }))
  t.equal(callsTo(fake, 'stable_token').length, 1, 'one refresh across both stores')
  t.equal(callsTo(fake, 'custom/send').length, 10)
  t.equal(await redis.exists(`${prefix}{${APPID}}:lock`), 0, 'the lock is released')
  t.ok(await redis.get(`${prefix}{${APPID}}:token`), 'the token is cached')
})

t.test('cluster: a lock held by another process is waited for, then left alone', { skip }, async (t) => {
  const prefix = testPrefix('cluster-stuck')
  const redis = await redisFor(t, prefix, REDIS_CLUSTER)
  const fake = await fakeFor(t)
  const api = apiFor(fake, { tokenStore: await storeFor(t, prefix, { pollMs: 5, waitTimeoutMs: 100 }) })
  await redis.set(`${prefix}{${APPID}}:lock`, 'slow-process', { PX: 10_000 })
  const err = await rejection(api.sendText(APPID, OPENID, 'x'))
  t.match(err, { code: 'KEFU_WECHAT_API_TOKEN_UNAVAILABLE', statusCode: 503, appid: APPID })
  t.equal(await redis.get(`${prefix}{${APPID}}:lock`), 'slow-process')
})

t.test('cluster: the client closed: TOKEN_UNAVAILABLE (503), not a hang', { skip }, async (t) => {
  const fake = await fakeFor(t)
  const client = await createRedisClient(REDIS_CLUSTER!)
  const api = apiFor(fake, { tokenStore: await createRedisTokenStore({ client, prefix: testPrefix('cluster-gone') }) })
  client.destroy()
  const err = await rejection(api.sendText(APPID, OPENID, 'x'))
  t.match(err, { code: 'KEFU_WECHAT_API_TOKEN_UNAVAILABLE', statusCode: 503 })
  t.equal(fake.requests.length, 0)
})
