import type { Test } from 'tap'
import { closeRedisClient, createRedisClient, type RedisClient, type RedisTarget } from '@kefu/service'
import { deleteKeysUnder, testKeyPrefix } from '@kefu/service/testing'
import { createMemoryTokenStore, WechatApi, WechatApiError, type WechatApiOptions } from '../src/index.js'
import { FAKE_APP, startFakeWechat, type FakeWechat, type FakeWechatOptions } from '../src/testing/fake-wechat.js'

export const REDIS_URL = process.env.REDIS_URL
/** A Redis Cluster's seed nodes (`pnpm test`'s real run starts one), as a target; undefined without REDIS_CLUSTER_URLS. */
export const REDIS_CLUSTER: RedisTarget | undefined = process.env.REDIS_CLUSTER_URLS === undefined || process.env.REDIS_CLUSTER_URLS === ''
  ? undefined
  : { cluster: process.env.REDIS_CLUSTER_URLS.split(',') }
export const APPID = FAKE_APP.appid
export const OPENID = 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o'

/** A key prefix no other test (or run) shares. */
export function testPrefix (name: string): string {
  return `${testKeyPrefix('wechat-api')}${name}:`
}

export async function fakeFor (t: Test, options?: FakeWechatOptions): Promise<FakeWechat> {
  const fake = await startFakeWechat(options)
  t.teardown(() => fake.close())
  return fake
}

/** A clock that moves only when told. */
export function manualClock (start = 1_800_000_000_000): { now: () => number, advance: (ms: number) => void } {
  let now = start
  return { now: () => now, advance: (ms) => { now += ms } }
}

export function apiFor (fake: FakeWechat, overrides: Partial<WechatApiOptions> = {}): WechatApi {
  return new WechatApi({ baseUrl: fake.url, apps: [FAKE_APP], tokenStore: overrides.tokenStore ?? createMemoryTokenStore(), ...overrides })
}

/**
 * A connected Redis client (REDIS_URL, or `target`: a cluster); on teardown deletes every key under `prefix` (never
 * FLUSH*) and disconnects.
 */
export async function redisFor (t: Test, prefix: string, target: RedisTarget | undefined = REDIS_URL): Promise<RedisClient> {
  if (target === undefined) throw new Error('REDIS_URL is not set')
  const client = await createRedisClient(target)
  t.teardown(async () => {
    await deleteKeysUnder(client, prefix)
    await closeRedisClient(client)
  })
  return client
}

/** Requests to one API, by its short name. */
export function callsTo (fake: FakeWechat, api: string): FakeWechat['requests'] {
  return fake.requests.filter((r) => r.api === api)
}

/** The error `promise` rejects with; fails loudly if it resolves. */
export async function rejection (promise: Promise<unknown>): Promise<WechatApiError> {
  const outcome = await promise.then(() => undefined, (err: unknown) => ({ err }))
  if (outcome === undefined) throw new Error('expected a rejection, but the call succeeded')
  if (!(outcome.err instanceof WechatApiError)) throw outcome.err
  return outcome.err
}
