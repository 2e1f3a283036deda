// The test helpers that keep tests' Redis keys under one root and delete them at teardown.
import t from 'tap'
import { createRedisClient } from '../src/index.js'
import { deleteKeysAtTeardown, keysUnder, testKeyPrefix, testKeyRoot } from '../src/testing/index.js'

const redisUrl = process.env.REDIS_URL

t.test('a prefix of its own under the run\'s root, naming the test file; a root outside kefu:test: is refused', async (t) => {
  const saved = process.env.KEFU_TEST_KEY_ROOT
  t.teardown(() => { if (saved === undefined) delete process.env.KEFU_TEST_KEY_ROOT; else process.env.KEFU_TEST_KEY_ROOT = saved })
  delete process.env.KEFU_TEST_KEY_ROOT
  t.equal(testKeyRoot(), 'kefu:test:')
  t.match(testKeyPrefix('svc'), /^kefu:test:svc:redis-keys:[0-9a-f]{12}:$/)
  t.not(testKeyPrefix('svc'), testKeyPrefix('svc'), 'random per call')
  process.env.KEFU_TEST_KEY_ROOT = 'kefu:test:run-1:'
  t.match(testKeyPrefix('svc'), /^kefu:test:run-1:svc:redis-keys:[0-9a-f]{12}:$/)
  for (const root of ['kefu:', 'kefu:auth:', 'kefu:test:run-1']) {
    process.env.KEFU_TEST_KEY_ROOT = root
    t.throws(() => testKeyRoot(), /^KEFU_TEST_KEY_ROOT must start with kefu:test: and end with ':'/, root)
  }
})

t.test('deleteKeysAtTeardown deletes every key under the prefix, and only those', { skip: redisUrl === undefined && 'REDIS_URL is not set (embedded run)' }, async (t) => {
  const client = await createRedisClient(redisUrl!)
  t.teardown(() => client.quit())
  const prefix = testKeyPrefix('svc')
  const neighbour = testKeyPrefix('svc')
  await client.set(neighbour + 'kept', '1')
  t.teardown(() => client.del(neighbour + 'kept'))
  await t.test('a test that writes keys', async (t) => {
    deleteKeysAtTeardown(t, prefix)
    for (let i = 0; i < 1200; i++) await client.set(`${prefix}k${i}`, 'v', { PX: 60_000 })
    t.equal((await keysUnder(client, prefix)).length, 1200)
  })
  t.same(await keysUnder(client, prefix), [], 'gone after that test ended')
  t.equal(await client.get(neighbour + 'kept'), '1', 'another prefix is untouched')
  t.throws(() => { deleteKeysAtTeardown(t, 'kefu:auth:') }, /must start with kefu:test:/, 'never a prefix outside kefu:test:')
})
