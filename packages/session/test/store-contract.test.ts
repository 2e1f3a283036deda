// One contract, every store: the in-process store always, Redis too when REDIS_URL is set, and a Redis Cluster when
// REDIS_CLUSTER_URLS is (the real run of `pnpm test` starts one).
import t, { type Test } from 'tap'
import { newSessionId, sessionHandle, sessionTag, userTag, type SessionLimits, type SessionStore } from '../src/index.js'
import { CONTRACT_KINDS, FakeClock, makeStore, skipKind, testPrefix, type RedisClient } from './helpers.js'

const limits: SessionLimits = { idleMs: 10_000, absoluteMs: 30_000 }
const defaults: SessionLimits = { idleMs: 1_800_000, absoluteMs: 43_200_000 }

async function open (store: SessionStore, clock: FakeClock, userId = 'u1', data: Record<string, string> = {}, l = limits): Promise<string> {
  const id = newSessionId(userId)
  await store.create({ id, userId, username: 'name-' + userId, data }, clock.now, l)
  return id
}

/** Uses the session every idle − 1 ms until the clock reads `until`. */
async function keepAlive (t: Test, store: SessionStore, id: string, clock: FakeClock, until: number): Promise<void> {
  while (clock.now < until) {
    clock.now = Math.min(until, clock.now + limits.idleMs - 1)
    t.ok(await store.touch(id, clock.now, limits), 'kept alive')
  }
}

for (const kind of CONTRACT_KINDS) {
  t.test(`${kind} store`, { skip: skipKind(kind) }, async (t) => {
    const prefix = testPrefix('store-contract-' + kind)
    const { store, redis } = await makeStore(t, kind, prefix)
    const key = (id: string): string => prefix + 's:{' + sessionTag(id) + '}' + sessionHandle(id)
    const index = (userId: string): string => prefix + 'u:{' + userTag(userId) + '}' + userId

    t.test('idle: live at limit − 1 ms, gone at the limit (default 1800 s)', async (t) => {
      const clock = new FakeClock()
      const id = await open(store, clock, 'idle', {}, defaults)
      clock.advance(1_800_000 - 1)
      const s = await store.touch(id, clock.now, defaults)
      t.ok(s, 'idle for 1 ms less than the limit: valid')
      t.equal(s?.lastSeenAt, clock.now, 'the read touched it')
      clock.advance(1_800_000 - 1)
      t.ok(await store.touch(id, clock.now, defaults), 'the touch restarted the idle clock')
      clock.advance(1_800_000)
      t.equal(await store.touch(id, clock.now, defaults), null, 'idle for exactly the limit: gone')
      clock.advance(-1_800_000)
      t.equal(await store.touch(id, clock.now, defaults), null, 'and it stays gone (deleted, not just hidden)')
    })

    t.test('absolute: live at limit − 1 ms even while in use, gone at the limit (default 43200 s)', async (t) => {
      const clock = new FakeClock()
      const id = await open(store, clock, 'abs', {}, defaults)
      const created = clock.now
      while (clock.now + 1_700_000 < created + 43_200_000 - 1) {
        clock.advance(1_700_000)
        t.ok(await store.touch(id, clock.now, defaults))
      }
      clock.now = created + 43_200_000 - 1
      t.ok(await store.touch(id, clock.now, defaults), 'absolute − 1 ms: valid')
      clock.now = created + 43_200_000
      t.equal(await store.touch(id, clock.now, defaults), null, 'absolute limit reached 1 ms after the last use: gone')
    })

    t.test('a session never used again is gone exactly at the idle limit', async (t) => {
      const clock = new FakeClock()
      const a = await open(store, clock)
      const b = await open(store, clock)
      clock.advance(limits.idleMs - 1)
      t.ok(await store.touch(a, clock.now, limits))
      clock.advance(1)
      t.equal(await store.touch(b, clock.now, limits), null)
    })

    t.test('update writes only its keys and keeps the others', async (t) => {
      const clock = new FakeClock()
      const id = await open(store, clock, 'u-upd', { keep: '"k"', drop: '1' })
      const [x, y] = await Promise.all([
        store.update(id, { set: { x: '1' }, unset: [] }, clock.now, limits),
        store.update(id, { set: { y: '[2]' }, unset: ['drop'] }, clock.now, limits)
      ])
      t.ok(x && y)
      const s = await store.touch(id, clock.now, limits)
      t.same({ ...s?.data }, { keep: '"k"', x: '1', y: '[2]' })
    })

    t.test('update cannot resurrect a destroyed session', async (t) => {
      const clock = new FakeClock()
      const id = await open(store, clock, 'u-res')
      t.equal(await store.destroy(id, 'u-res'), true)
      t.equal(await store.update(id, { set: { late: '1' }, unset: [] }, clock.now, limits), false)
      if (redis) t.equal(await redis.exists(key(id)), 0, 'no key was recreated')
      t.equal(await store.destroy(id, 'u-res'), false, 'nothing to destroy: the write did not recreate it')
      t.equal(await store.touch(id, clock.now, limits), null)
    })

    t.test('update of an expired session is refused and the session deleted', async (t) => {
      const clock = new FakeClock()
      const id = await open(store, clock, 'u-exp')
      clock.advance(limits.idleMs)
      t.equal(await store.update(id, { set: { late: '1' }, unset: [] }, clock.now, limits), false)
      clock.advance(-limits.idleMs)
      t.equal(await store.touch(id, clock.now, limits), null)
      if (redis) t.equal(await redis.zScore(index('u-exp'), id), null, 'pruned from the user index')
    })

    t.test('create with `replaces` kills the old session in the same step', async (t) => {
      const clock = new FakeClock()
      const old = await open(store, clock, 'u-rep')
      const id = newSessionId('u-rep')
      await store.create({ id, userId: 'u-rep', username: 'n', data: {} }, clock.now, limits, { id: old, userId: 'u-rep' })
      t.equal(await store.touch(old, clock.now, limits), null)
      t.ok(await store.touch(id, clock.now, limits))
      t.same((await store.listForUser('u-rep', clock.now, limits)).map((s) => s.handle), [sessionHandle(id)])
    })

    t.test('create with `replaces` of another user (another hash slot) kills the old session too', async (t) => {
      const clock = new FakeClock()
      // Two users whose tags differ: their keys live in different slots of a cluster.
      const other = ['u-rep-a', 'u-rep-b', 'u-rep-c'].find((u) => userTag(u) !== userTag('u-rep-x')) as string
      const old = await open(store, clock, other)
      const id = newSessionId('u-rep-x')
      await store.create({ id, userId: 'u-rep-x', username: 'n', data: {} }, clock.now, limits, { id: old, userId: other })
      t.equal(await store.touch(old, clock.now, limits), null, 'the replaced session is gone')
      t.same(await store.listForUser(other, clock.now, limits), [], 'and out of its user\'s index')
      t.ok(await store.touch(id, clock.now, limits), 'the new one is live')
    })

    t.test('listForUser lists live sessions only, and prunes the index', async (t) => {
      const clock = new FakeClock()
      const first = await open(store, clock, 'u-list')
      clock.advance(1000)
      await store.touch(first, clock.now, limits)
      const second = await open(store, clock, 'u-list')
      const stale = await open(store, clock, 'u-list')
      await open(store, clock, 'someone-else')
      clock.advance(limits.idleMs - 1)
      await store.touch(first, clock.now, limits)
      await store.touch(second, clock.now, limits)
      clock.advance(1) // `stale` is now idle for exactly the limit
      const list = await store.listForUser('u-list', clock.now, limits)
      t.same(list.map((s) => s.handle), [sessionHandle(first), sessionHandle(second)])
      t.equal(list[0]?.username, 'name-u-list')
      t.equal(list[0]?.lastSeenAt, clock.now - 1)
      t.equal(list[0]?.expiresAt, clock.now - 1 + limits.idleMs)
      t.equal(list[1]?.createdAt, clock.now - limits.idleMs)
      t.notOk(list.some((s) => s.handle === stale), 'handles are not session ids')
      t.equal(await store.touch(stale, clock.now, limits), null)
      if (redis) t.same((await redis.zRange(index('u-list'), 0, -1)).sort(), [first, second].map(sessionHandle).sort(), 'the index holds handles')
    })

    t.test('listForUser near the absolute limit reports the absolute deadline', async (t) => {
      const clock = new FakeClock()
      const id = await open(store, clock, 'u-near')
      await keepAlive(t, store, id, clock, clock.now + limits.absoluteMs - 5000)
      const [s] = await store.listForUser('u-near', clock.now, limits)
      t.equal(s?.expiresAt, clock.now + 5000, 'near the absolute deadline the idle one is further away')
    })

    t.test('destroyAllForUser ends every session of that user only', async (t) => {
      const clock = new FakeClock()
      const a = await open(store, clock, 'u-all')
      const b = await open(store, clock, 'u-all')
      const dead = await open(store, clock, 'u-all')
      const other = await open(store, clock, 'u-all-other')
      clock.advance(limits.idleMs - 1)
      await store.touch(a, clock.now, limits)
      await store.touch(b, clock.now, limits)
      await store.touch(other, clock.now, limits)
      clock.advance(1)
      t.equal(await store.destroyAllForUser('u-all', clock.now, limits), 2, 'counts the live ones')
      for (const id of [a, b, dead]) t.equal(await store.touch(id, clock.now, limits), null)
      t.same(await store.listForUser('u-all', clock.now, limits), [])
      t.ok(await store.touch(other, clock.now, limits), 'another user is untouched')
      t.equal(await store.destroyAllForUser('u-all', clock.now, limits), 0)
      if (redis) t.equal(await redis.exists(index('u-all')), 0)
    })

    t.test('touchHandle without activity: live at idle − 1 ms, gone at the limit, and it does not extend', async (t) => {
      const clock = new FakeClock()
      const id = await open(store, clock, 'h-peek')
      const handle = sessionHandle(id)
      clock.advance(limits.idleMs - 1)
      t.same(await store.touchHandle(handle, 'h-peek', null, clock.now, limits),
        { createdAt: clock.now - limits.idleMs + 1, lastSeenAt: clock.now - limits.idleMs + 1, expiresAt: clock.now + 1 }, 'limit − 1 ms: live, last-seen unchanged')
      clock.advance(1)
      t.equal(await store.touchHandle(handle, 'h-peek', null, clock.now, limits), null, 'at the limit: gone (a look is not activity)')
      t.equal(await store.touch(id, clock.now - 1, limits), null, 'and deleted')
      t.same(await store.listForUser('h-peek', clock.now - 1, limits), [], 'and out of the index')
    })

    t.test('touchHandle with activity: moves last-seen forward, never backward, never past now', async (t) => {
      const clock = new FakeClock()
      const id = await open(store, clock, 'h-act')
      const handle = sessionHandle(id)
      const created = clock.now
      clock.advance(5000)
      t.equal((await store.touchHandle(handle, 'h-act', created + 3000, clock.now, limits))?.lastSeenAt, created + 3000, 'moved to the activity time')
      t.equal((await store.touchHandle(handle, 'h-act', created + 1000, clock.now, limits))?.lastSeenAt, created + 3000, 'an older report does not move it back')
      t.equal((await store.touchHandle(handle, 'h-act', clock.now + 60_000, clock.now, limits))?.lastSeenAt, clock.now, 'a report from the future counts as now')
      const seen = clock.now
      clock.advance(limits.idleMs - 1)
      t.ok(await store.touchHandle(handle, 'h-act', null, clock.now, limits), 'idle from the reported activity: live at limit − 1 ms')
      t.ok(await store.touch(id, clock.now, limits), 'the session itself agrees')
      clock.now = seen + limits.idleMs - 1 + limits.idleMs
      t.equal(await store.touchHandle(handle, 'h-act', clock.now, clock.now, limits), null, 'activity reported after the idle limit does not revive it')
    })

    t.test('touchHandle with activity cannot pass the absolute limit', async (t) => {
      const clock = new FakeClock()
      const id = await open(store, clock, 'h-abs')
      const handle = sessionHandle(id)
      const created = clock.now
      while (clock.now + limits.idleMs - 1 < created + limits.absoluteMs - 1) {
        clock.advance(limits.idleMs - 1)
        t.ok(await store.touchHandle(handle, 'h-abs', clock.now, clock.now, limits))
      }
      clock.now = created + limits.absoluteMs - 1
      const last = await store.touchHandle(handle, 'h-abs', clock.now, clock.now, limits)
      t.equal(last?.expiresAt, created + limits.absoluteMs, 'absolute − 1 ms: live, ending at the absolute deadline')
      clock.now = created + limits.absoluteMs
      t.equal(await store.touchHandle(handle, 'h-abs', clock.now, clock.now, limits), null, 'at the absolute limit: gone, whatever the activity')
    })

    t.test('touchHandle and destroyHandle act only on that user’s session', async (t) => {
      const clock = new FakeClock()
      const id = await open(store, clock, 'h-own')
      const handle = sessionHandle(id)
      t.equal(await store.touchHandle(handle, 'someone-else', clock.now, clock.now, limits), null)
      t.equal(await store.destroyHandle(handle, 'someone-else'), false)
      t.equal(await store.touchHandle('x'.repeat(22), 'h-own', null, clock.now, limits), null, 'an unknown handle')
      t.equal(await store.touchHandle(id, 'h-own', null, clock.now, limits), null, 'the id is not a handle')
      t.ok(await store.touch(id, clock.now, limits), 'still live')
      t.equal(await store.destroyHandle(handle, 'h-own'), true)
      t.equal(await store.touch(id, clock.now, limits), null)
      t.same(await store.listForUser('h-own', clock.now, limits), [])
    })

    if (redis && kind === 'redis') redisOnly(t, store, redis as RedisClient, key, index)
  })
}

function redisOnly (t: Test, store: SessionStore, redis: RedisClient, key: (id: string) => string,
  index: (u: string) => string): void {
  /** The store over a client that records every command it sends. */
  async function spiedStore (): Promise<{ spied: SessionStore, sent: string[][] }> {
    const sent: string[][] = []
    const spy = {
      get isReady () { return redis.isReady },
      sendCommand: (args: readonly string[]) => { sent.push([...args]); return redis.sendCommand([...args]) }
    }
    const { createRedisStore } = await import('../src/index.js')
    return { spied: await createRedisStore({ client: spy, prefix: store.prefix }), sent }
  }

  t.test('redis: expiry is decided from the stored timestamps, whatever the TTL says', async (t) => {
    const clock = new FakeClock()
    const id = await open(store, clock, 'ttl')
    clock.advance(limits.idleMs)
    t.ok(await redis.pTTL(key(id)) > 50_000, 'Redis still holds the key with plenty of TTL left')
    t.equal(await store.touch(id, clock.now, limits), null, 'but at the idle limit it is gone')
    t.equal(await redis.exists(key(id)), 0, 'and deleted')
    t.equal(await redis.zScore(index('ttl'), sessionHandle(id)), null, 'and pruned from the user index')
  })

  t.test('redis: TTL only reclaims memory, one grace minute after the deadline', async (t) => {
    const clock = new FakeClock()
    const id = await open(store, clock, 'ttl2')
    const created = clock.now
    await keepAlive(t, store, id, clock, created + 4000)
    const ttl = await redis.pTTL(key(id))
    t.ok(ttl > limits.idleMs + 60_000 - 1000 && ttl <= limits.idleMs + 60_000, `session TTL ${ttl} = idle + grace`)
    await keepAlive(t, store, id, clock, created + limits.absoluteMs - 3000)
    const late = await redis.pTTL(key(id))
    t.ok(late > 3000 + 60_000 - 1000 && late <= 3000 + 60_000, `near the absolute deadline the TTL shrinks to it: ${late}`)
    const indexTtl = await redis.pTTL(index('ttl2'))
    t.ok(indexTtl > 0 && indexTtl <= limits.absoluteMs + 60_000, 'the user index expires with its last session')
  })

  t.test('redis: a login prunes index entries past their absolute deadline', async (t) => {
    const clock = new FakeClock()
    const old = await open(store, clock, 'prune')
    clock.advance(limits.absoluteMs)
    const fresh = await open(store, clock, 'prune')
    t.same(await redis.zRange(index('prune'), 0, -1), [sessionHandle(fresh)])
    t.equal(await store.touch(old, clock.now, limits), null)
  })

  t.test('redis: no session id appears anywhere in Redis (keys, index, values): a dump opens no session', async (t) => {
    const clock = new FakeClock()
    const ids = [await open(store, clock, 'dump', { x: '1' }), await open(store, clock, 'dump')]
    await store.touch(ids[0]!, clock.now, limits)
    const keys: string[] = []
    for await (const batch of redis.scanIterator({ MATCH: store.prefix + '*', COUNT: 500 })) keys.push(...batch)
    let everything = keys.join('\n')
    for (const k of keys) {
      const type = await redis.type(k)
      if (type === 'hash') everything += JSON.stringify(await redis.hGetAll(k))
      else if (type === 'zset') everything += (await redis.zRange(k, 0, -1)).join(',')
    }
    t.ok(keys.length >= 3, 'the sessions and the index are there')
    for (const id of ids) {
      t.notOk(everything.includes(id), 'the id is nowhere')
      t.ok(everything.includes(sessionHandle(id)), 'only its handle (a hash of it)')
    }
  })

  t.test('redis: touchHandle is one round trip', async (t) => {
    const clock = new FakeClock()
    const id = await open(store, clock, 'rt-h')
    const { spied, sent } = await spiedStore()
    t.ok(await spied.touchHandle(sessionHandle(id), 'rt-h', clock.now, clock.now, limits))
    t.equal(sent.length, 1)
    t.equal(sent[0]?.[0], 'EVALSHA')
  })

  t.test('redis: one round trip (EVALSHA) per touch; session data lives in one hash', async (t) => {
    const clock = new FakeClock()
    const id = await open(store, clock, 'rt', { a: '1' })
    const { spied, sent } = await spiedStore()
    sent.length = 0
    t.ok(await spied.touch(id, clock.now, limits))
    t.equal(sent.length, 1)
    t.equal(sent[0]?.[0], 'EVALSHA')
    t.same(await redis.hGetAll(key(id)), { u: 'rt', n: 'name-rt', c: String(clock.now), l: String(clock.now), 'd:a': '1' })
  })
}
