import type { Test } from 'tap'
import { createRedisClient, type RedisClient } from '@kefu/service'
import { testKeyPrefix } from '@kefu/service/testing'
import { createMemoryTokenStore, WechatApi, WechatApiError, type WechatApiOptions } from '../src/index.js'
import { FAKE_APP, startFakeWechat, type FakeWechat, type FakeWechatOptions } from '../src/testing/fake-wechat.js'

export const REDIS_URL = process.env.REDIS_URL
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

/** A connected Redis client; on teardown deletes every key under `prefix` (never FLUSH*) and disconnects. */
export async function redisFor (t: Test, prefix: string): Promise<RedisClient> {
  if (REDIS_URL === undefined) throw new Error('REDIS_URL is not set')
  const client = await createRedisClient(REDIS_URL)
  t.teardown(async () => {
    await deleteKeys(client, prefix)
    client.destroy()
  })
  return client
}

export async function deleteKeys (client: RedisClient, prefix: string): Promise<void> {
  let cursor = '0'
  do {
    const reply = await client.sendCommand(['SCAN', cursor, 'MATCH', `${prefix}*`, 'COUNT', '500']) as [string, string[]]
    cursor = reply[0]
    if (reply[1].length > 0) await client.sendCommand(['DEL', ...reply[1]])
  } while (cursor !== '0')
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
