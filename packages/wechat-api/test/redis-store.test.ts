import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { createRedisClient } from '@kefu/service'
import { createRedisTokenStore, type CachedToken, type RedisTokenStore, type WechatApi } from '../src/index.js'
import { FAKE_APP, type FakeWechat } from '../src/testing/fake-wechat.js'
import { APPID, OPENID, REDIS_URL, apiFor, callsTo, fakeFor, manualClock, redisFor, rejection, testPrefix } from './helpers.js'

const skip = REDIS_URL === undefined ? 'REDIS_URL is not set' : false

async function storeFor (t: Test, prefix: string, options: { waitTimeoutMs?: number, pollMs?: number, lockTtlMs?: number } = {}): Promise<RedisTokenStore> {
  const store = await createRedisTokenStore({ url: REDIS_URL as string, prefix, ...options })
  t.teardown(() => store.close())
  return store
}

const contentOf = (body: unknown): string => (body as { text: { content: string } }).text.content

/** Sends `count` texts at once, labelled `label i`. */
async function burst (api: WechatApi, label: string, count: number): Promise<void> {
  await Promise.all(Array.from({ length: count }, async (_, i) => { await api.sendText(APPID, OPENID, `${label} ${i}`) }))
}

/** Resolves once the fake has rejected a send of each label with `errcode`. */
async function rejectedFrom (fake: FakeWechat, errcode: number, labels: string[]): Promise<void> {
  await Promise.all(labels.map(async (label) => await fake.waitForRequest((r) => r.api === 'custom/send' && r.errcode === errcode && contentOf(r.body).startsWith(label), 20_000)))
}

t.test('two clients, each with its own Redis connection: one refresh for a storm on each side', { skip }, async (t) => {
  const prefix = testPrefix('two-clients')
  const redis = await redisFor(t, prefix)
  const fake = await fakeFor(t)
  const clock = manualClock()
  const a = apiFor(fake, { clock: clock.now, tokenStore: await storeFor(t, prefix) })
  const b = apiFor(fake, { clock: clock.now, tokenStore: await storeFor(t, prefix) })
  await a.sendText(APPID, OPENID, 'warm')
  await b.sendText(APPID, OPENID, 'warm')
  t.equal(callsTo(fake, 'stable_token').length, 1, 'b found a\'s token in Redis')

  const stored = JSON.parse(await redis.get(`${prefix}{${APPID}}:token`) as string) as CachedToken
  t.same(Object.keys(stored).sort(), ['accessToken', 'expiresAt', 'obtainedAt', 'refreshAt'])
  t.equal(stored.accessToken, fake.currentToken())
  const ttl = Number(await redis.pTTL(`${prefix}{${APPID}}:token`))
  t.ok(ttl > 7_000_000 && ttl <= 7_200_000, `the key lives as long as the token (${ttl} ms)`)
  t.equal(await redis.exists(`${prefix}{${APPID}}:lock`), 0, 'the lock is released')

  // Renewal by the clock: both sides find the token stale at once.
  clock.advance(7200_000)
  await Promise.all([burst(a, 'a', 20), burst(b, 'b', 20)])
  t.equal(callsTo(fake, 'stable_token').length, 2, 'one renewal for 40 stale callers on two connections')

  // Rejection storm: every send of both fails with 42001 before any refresh can finish.
  fake.expireTokens()
  const refreshesBefore = fake.tokenRefreshes
  const release = fake.holdTokenRequests()
  const both = Promise.all([burst(a, 'a-storm', 20), burst(b, 'b-storm', 20)])
  await rejectedFrom(fake, 42001, ['a-storm', 'b-storm'])
  release()
  await both
  t.equal(callsTo(fake, 'stable_token').length, 3, 'one refresh for the storm')
  t.equal(fake.tokenRefreshes - refreshesBefore, 1)
  t.equal(fake.maxConcurrentTokenRequests, 1, 'never two token fetches at once')
  const storm = callsTo(fake, 'custom/send').filter((r) => contentOf(r.body).includes('-storm'))
  t.equal(storm.filter((r) => r.errcode === 42001).length, 40, 'every storm send met the expired token once')
  t.equal(storm.filter((r) => r.errcode === 0).length, 40, 'and succeeded on its one retry')
})

t.test('a caller waits for the process holding the lock and takes the token it stores', { skip }, async (t) => {
  const prefix = testPrefix('waiter')
  const redis = await redisFor(t, prefix)
  const fake = await fakeFor(t)
  const clock = manualClock()
  const api = apiFor(fake, { clock: clock.now, tokenStore: await storeFor(t, prefix, { pollMs: 5 }) })
  // Another process holds the lock and is fetching.
  await redis.set(`${prefix}{${APPID}}:lock`, 'another-process', { PX: 10_000 })
  const sending = api.sendText(APPID, OPENID, 'waited')
  const res = await fetch(`${fake.url}/cgi-bin/stable_token`, {
    method: 'POST',
    body: JSON.stringify({ grant_type: 'client_credential', appid: FAKE_APP.appid, secret: FAKE_APP.secret, force_refresh: false })
  })
  const { access_token: accessToken } = await res.json() as { access_token: string }
  const token: CachedToken = { accessToken, obtainedAt: clock.now(), expiresAt: clock.now() + 7200_000, refreshAt: clock.now() + 7080_000 }
  await redis.set(`${prefix}{${APPID}}:token`, JSON.stringify(token), { PX: 7200_000 })
  await redis.del(`${prefix}{${APPID}}:lock`)
  await sending
  t.equal(callsTo(fake, 'stable_token').length, 1, 'only the other process fetched')
  t.same(callsTo(fake, 'custom/send').map((r) => [r.token, r.errcode]), [['valid', 0]])
})

t.test('a lock whose holder died expires, and a waiter takes over', { skip }, async (t) => {
  const prefix = testPrefix('dead-holder')
  const redis = await redisFor(t, prefix)
  const fake = await fakeFor(t)
  const api = apiFor(fake, { tokenStore: await storeFor(t, prefix, { pollMs: 5 }) })
  await redis.set(`${prefix}{${APPID}}:lock`, 'crashed-process', { PX: 150 })
  await api.sendText(APPID, OPENID, 'after the lock expired')
  t.equal(callsTo(fake, 'stable_token').length, 1)
  t.equal(callsTo(fake, 'custom/send')[0]?.errcode, 0)
  t.equal(await redis.exists(`${prefix}{${APPID}}:lock`), 0)
})

t.test('a lock held past waitTimeoutMs: TOKEN_UNAVAILABLE, nothing sent', { skip }, async (t) => {
  const prefix = testPrefix('stuck')
  const redis = await redisFor(t, prefix)
  const fake = await fakeFor(t)
  const api = apiFor(fake, { tokenStore: await storeFor(t, prefix, { pollMs: 5, waitTimeoutMs: 100 }) })
  await redis.set(`${prefix}{${APPID}}:lock`, 'slow-process', { PX: 10_000 })
  const err = await rejection(api.sendText(APPID, OPENID, 'x'))
  t.match(err, { code: 'KEFU_WECHAT_API_TOKEN_UNAVAILABLE', statusCode: 503, appid: APPID })
  t.match(err.message, /more than 100 ms/)
  t.equal(fake.requests.length, 0)
  t.equal(await redis.get(`${prefix}{${APPID}}:lock`), 'slow-process', 'someone else\'s lock is left alone')
})

t.test('Redis gone: TOKEN_UNAVAILABLE with the cause, not a hang', { skip }, async (t) => {
  const prefix = testPrefix('gone')
  const fake = await fakeFor(t)
  const client = await createRedisClient(REDIS_URL as string)
  const api = apiFor(fake, { tokenStore: await createRedisTokenStore({ client, prefix }) })
  client.destroy()
  const err = await rejection(api.sendText(APPID, OPENID, 'x'))
  t.match(err, { code: 'KEFU_WECHAT_API_TOKEN_UNAVAILABLE', statusCode: 503 })
  t.match(err.message, /token store unavailable/)
  t.equal(fake.requests.length, 0)
})

t.test('store options are checked', async (t) => {
  await t.rejects(createRedisTokenStore({ prefix: 'no-colon', url: 'redis://127.0.0.1:1' }), { code: 'KEFU_WECHAT_API_BAD_CONFIG' })
  await t.rejects(createRedisTokenStore({ prefix: 'p:' }), /exactly one of `url` and `client`/)
  await t.rejects(createRedisTokenStore({ prefix: 'p:', url: 'redis://127.0.0.1:1', lockTtlMs: 0 }), /lockTtlMs must be a positive number/)
})

t.test('two processes on one Redis, many concurrent sends while the token expires: exactly one refresh', { skip }, async (t) => {
  const prefix = testPrefix('two-processes')
  await redisFor(t, prefix)
  const fake = await fakeFor(t)
  const count = 25
  const parent = apiFor(fake, { tokenStore: await storeFor(t, prefix) })
  await parent.sendText(APPID, OPENID, 'parent warm')

  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/sender.ts', import.meta.url))], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...process.env, FAKE_URL: fake.url, TOKEN_PREFIX: prefix, APPID, SECRET: FAKE_APP.secret, OPENID, SEND_COUNT: String(count) },
    stdio: ['pipe', 'pipe', 'pipe']
  })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const exited = once(child, 'exit')
  t.teardown(() => { if (child.exitCode === null) child.kill() })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const nextLine = async (): Promise<Record<string, unknown>> => {
    const { value, done } = await lines.next()
    if (done === true) throw new Error(`the second process ended early: ${stderr}`)
    return JSON.parse(value as string) as Record<string, unknown>
  }
  t.same(await nextLine(), { ready: true })
  t.equal(callsTo(fake, 'stable_token').length, 1, 'the child found the parent\'s token in Redis')

  fake.expireTokens()
  const release = fake.holdTokenRequests()
  child.stdin.write('go\n')
  const parentSends = burst(parent, 'parent', count)
  // Both processes have met the expired token before WeChat answers any refresh.
  await rejectedFrom(fake, 42001, ['child', 'parent'])
  release()
  await parentSends
  const done = await nextLine()
  t.same(done, { done: true, ok: count, failed: [] }, 'every send of the child succeeded')
  const [code] = await exited as [number | null]
  t.equal(code, 0, stderr)

  const tokenCalls = callsTo(fake, 'stable_token')
  t.equal(tokenCalls.length, 2, 'one fetch at warm-up, one refresh for both processes')
  t.equal(fake.tokenRefreshes, 2)
  t.equal(fake.maxConcurrentTokenRequests, 1, 'never two token fetches at once')
  const sends = callsTo(fake, 'custom/send').filter((r) => !contentOf(r.body).endsWith('warm'))
  for (const label of ['parent', 'child']) {
    const mine = sends.filter((r) => contentOf(r.body).startsWith(label))
    t.equal(mine.filter((r) => r.errcode === 42001).length, count, `${label}: every send met the expired token`)
    t.equal(mine.filter((r) => r.errcode === 0).length, count, `${label}: and succeeded on its retry`)
  }
})
