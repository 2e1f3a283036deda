// The login limiter on its own: a flood cannot erase the counts that hold attackers back, a client over its limit
// adds nothing to any account, and an IPv6 client is counted by its /64.
import t from 'tap'
import crypto from 'node:crypto'
import Fastify from 'fastify'
import fp from 'fastify-plugin'
import { createRedisClient } from '@kefu/service'
import { deleteKeysAtTeardown, deleteKeysUnder, testKeyPrefix } from '@kefu/service/testing'
import authApp, { appOptions, loadConfig, serverOptions } from '../src/app.js'
import {
  createMemoryLoginLimiter, createRedisLoginLimiter, DEFAULT_LOGIN_LIMITS, type LoginLimiter, type LoginLimits
} from '../src/lib/login-limiter.js'
import { FAST_SCRYPT, FakeClock, fileDatabase, ORIGIN, redisUrl, SECRET } from './helper.js'

interface Tap { teardown: (fn: () => unknown) => void }

const KINDS = ['memory', 'redis'] as const
type Kind = typeof KINDS[number]

async function limiter (t: Tap, kind: Kind, limits: LoginLimits, clock: FakeClock): Promise<LoginLimiter> {
  if (kind === 'memory') return createMemoryLoginLimiter(limits, clock.read)
  const client = await createRedisClient(redisUrl()!)
  const prefix = testKeyPrefix('login-limiter')
  t.teardown(async () => {
    await deleteKeysUnder(client, prefix)
    await client.quit()
  })
  return createRedisLoginLimiter(client, prefix, limits, clock.read)
}

function skip (kind: Kind): string | false {
  return kind === 'redis' && redisUrl() === undefined && 'REDIS_URL is not set (embedded run)'
}

const small: LoginLimits = { account: { max: 2, windowS: 60 }, ip: { max: 3, windowS: 60 } }

for (const kind of KINDS) {
  t.test(`${kind}: a client over its limit is refused there and counts against no account`, { skip: skip(kind) }, async (t) => {
    const l = await limiter(t, kind, small, new FakeClock())
    for (let i = 0; i < 3; i++) t.same(await l.admit(`spray${i}`, '192.0.2.1'), { allowed: true })
    for (let i = 0; i < 10; i++) t.match(await l.admit('bob', '192.0.2.1'), { allowed: false, by: 'ip' })
    t.same(await l.admit('bob', '192.0.2.2'), { allowed: true }, "bob's own budget is untouched")
    t.same(await l.admit('bob', '192.0.2.3'), { allowed: true })
    t.match(await l.admit('bob', '192.0.2.4'), { allowed: false, by: 'account' })
  })

  t.test(`${kind}: addresses rotated inside one IPv6 /64 share one budget; IPv4-mapped is the IPv4`, { skip: skip(kind) }, async (t) => {
    const l = await limiter(t, kind, small, new FakeClock())
    for (let i = 1; i <= 3; i++) t.same(await l.admit(`user${i}`, `2001:db8:7:7:${i}::${i}`), { allowed: true })
    t.match(await l.admit('user4', '2001:db8:7:7:ffff:ffff:ffff:ffff'), { allowed: false, by: 'ip' })
    t.same(await l.admit('user4', '2001:db8:7:8::1'), { allowed: true }, 'the next /64 has its own budget')
    for (let i = 1; i <= 3; i++) t.same(await l.admit(`v4user${i}`, i % 2 === 0 ? '198.51.100.9' : '::ffff:198.51.100.9'), { allowed: true })
    t.match(await l.admit('v4user4', '198.51.100.9'), { allowed: false, by: 'ip' })
  })
}

t.test('memory: a flood of 120k made-up usernames from many IPs erases neither the victim\'s lock nor the flooder\'s limit', async (t) => {
  const clock = new FakeClock()
  const l = createMemoryLoginLimiter(DEFAULT_LOGIN_LIMITS, clock.read)
  for (let i = 0; i < 10; i++) t.same(await l.admit('victim', '198.51.100.1'), { allowed: true })
  t.match(await l.admit('victim', '198.51.100.2'), { allowed: false, by: 'account' }, 'locked after 10 bad attempts')

  const flooder = '203.0.113.66'
  let refusedFlooder = 0
  for (let i = 0; i < 1000; i++) if (!(await l.admit(crypto.randomBytes(8).toString('hex'), flooder)).allowed) refusedFlooder++
  t.equal(refusedFlooder, 900, 'the flooding IP is held to its 100 attempts')

  const refusals = new Map<string, number>()
  for (let ip = 0; ip < 1200; ip++) {
    for (let j = 0; j < 100; j++) {
      const a = await l.admit(crypto.randomBytes(8).toString('hex'), `10.${ip >> 8}.${ip & 0xff}.1`)
      if (!a.allowed) refusals.set(a.by, (refusals.get(a.by) ?? 0) + 1)
    }
  }
  t.ok((refusals.get('server') ?? 0) > 0, 'once the table is full of live counts, new names are refused instead of old counts dropped')

  t.match(await l.admit('victim', '198.51.100.3'), { allowed: false, by: 'account' }, 'the victim stays locked')
  t.match(await l.admit('anyone', flooder), { allowed: false, by: 'ip' }, 'the flooder stays limited')
  const busy = await l.admit('newcomer', '198.51.100.4')
  t.match(busy, { allowed: false, by: 'server' }, 'a name with no count waits while the table is full')
  t.ok(!busy.allowed && busy.retryAfterS > 0 && busy.retryAfterS <= 900, 'with a Retry-After until the oldest window ends')

  clock.advance(900_000)
  t.same(await l.admit('victim', '198.51.100.3'), { allowed: true }, 'every window ends on time')
  t.same(await l.admit('newcomer', '198.51.100.4'), { allowed: true })
})

t.test('memory: a full table refuses new keys until its oldest window ends, and keeps every live one', async (t) => {
  const clock = new FakeClock()
  const l = createMemoryLoginLimiter({ account: { max: 5, windowS: 60 }, ip: { max: 50, windowS: 120 } }, clock.read, { maxKeys: 3 })
  for (const name of ['a1', 'a2', 'a3']) t.same(await l.admit(name, '192.0.2.1'), { allowed: true })
  clock.advance(10_000)
  t.same(await l.admit('a4', '192.0.2.1'), { allowed: false, by: 'server', retryAfterS: 50 }, 'accounts full: wait for a1\'s window')
  t.same(await l.admit('a1', '192.0.2.1'), { allowed: true }, 'a key that has a window still counts')
  for (const ip of ['192.0.2.2', '192.0.2.3']) t.same(await l.admit('a2', ip), { allowed: true })
  t.same(await l.admit('a2', '192.0.2.4'), { allowed: false, by: 'server', retryAfterS: 110 }, 'clients full: wait for the first client\'s window')
  clock.advance(50_000)
  t.same(await l.admit('a4', '192.0.2.1'), { allowed: true }, 'expired windows make room')
})

t.test('through the app started from its configuration: per /64, X-Forwarded-For only from the TRUST_PROXY addresses', async (t) => {
  const db = await fileDatabase(t, 'auth_limiter')
  const prefix = testKeyPrefix('auth')
  deleteKeysAtTeardown(t, prefix)
  const config = loadConfig({ PUBLIC_URL: ORIGIN, SESSION_SECRET: SECRET, REDIS_URL: redisUrl(), TRUST_PROXY: '10.0.0.2,fd00::2', LOGIN_MAX_ATTEMPTS_PER_IP: '3' })
  const app = Fastify(serverOptions(config))
  await app.register(fp(authApp), { ...appOptions(config), databaseUrl: db.url, poolMax: db.poolMax, redisPrefix: prefix, scrypt: FAST_SCRYPT })
  t.teardown(() => app.close())
  let n = 0
  const login = async (remoteAddress: string, forwardedFor?: string): Promise<number> => (await app.inject({
    method: 'POST',
    url: '/login',
    remoteAddress,
    headers: { 'content-type': 'application/json', origin: ORIGIN, ...(forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }) },
    payload: JSON.stringify({ username: `nobody${n++}`, password: 'wrong-password' })
  })).statusCode

  for (let i = 1; i <= 3; i++) t.equal(await login(`2001:db8:5:5:${i}::${i}`), 401)
  t.equal(await login('2001:db8:5:5:ffff::9'), 429, 'a fourth address in the same /64 finds the budget spent')
  t.equal(await login('2001:db8:5:6::1'), 401, 'another /64 is another client')

  for (let i = 1; i <= 3; i++) t.equal(await login('192.0.2.50', `198.51.100.${i}`), 401)
  t.equal(await login('192.0.2.50', '198.51.100.99'), 429, 'a client that is not a listed proxy cannot pick its address with X-Forwarded-For')

  for (let i = 1; i <= 3; i++) t.equal(await login(i % 2 === 0 ? 'fd00::2' : '10.0.0.2', '203.0.113.5'), 401)
  t.equal(await login('10.0.0.2', '203.0.113.5'), 429, 'behind a listed proxy the forwarded client is counted')
  t.equal(await login('10.0.0.2', '203.0.113.6'), 401, 'and another forwarded client has its own budget')
  t.equal(await login('10.0.0.2', '198.51.100.7, 203.0.113.7'), 401, 'the address the proxy saw, not what the client wrote before it')
  for (let i = 0; i < 2; i++) await login('10.0.0.2', `198.51.100.${8 + i}, 203.0.113.7`)
  t.equal(await login('10.0.0.2', '198.51.100.10, 203.0.113.7'), 429)
})
