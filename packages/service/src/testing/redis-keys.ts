import crypto from 'node:crypto'
import path from 'node:path'
import { closeRedisClient, createRedisClient, isClusterClient, type RedisClient, type RedisServerClient, type RedisTarget } from '../redis.js'

const ROOT = 'kefu:test:'

interface Tap {
  teardown: (fn: () => unknown) => void
}

/**
 * Where every key a test writes lives: `kefu:test:`, or under `pnpm test` the run's own root below it
 * (KEFU_TEST_KEY_ROOT, set by scripts/test.mjs), so that the run can find the keys its tests left behind.
 */
export function testKeyRoot (): string {
  const root = process.env.KEFU_TEST_KEY_ROOT
  if (root === undefined || root === '') return ROOT
  // Tests delete everything under their prefix: a root outside kefu:test: could take other keys with it.
  if (!root.startsWith(ROOT) || !root.endsWith(':')) throw new Error(`KEFU_TEST_KEY_ROOT must start with ${ROOT} and end with ':', got "${root}"`)
  return root
}

/**
 * A key prefix of its own for one test (file or instance): `<root><label>:<test file>:<random>:`; the test file's
 * name is there so that a run that finds keys left behind can say which file left them.
 */
export function testKeyPrefix (label: string): string {
  const file = path.basename(process.argv[1] ?? 'unknown').replace(/\.test\.[cm]?[jt]s$/, '').replace(/[^A-Za-z0-9_.-]/g, '_')
  return `${testKeyRoot()}${label}:${file}:${crypto.randomBytes(6).toString('hex')}:`
}

/** Every key under `prefix` (SCAN, never KEYS), on every master of a cluster. */
export async function keysUnder (client: RedisClient, prefix: string): Promise<string[]> {
  const keys: string[] = []
  const nodes: RedisServerClient[] = isClusterClient(client)
    ? await Promise.all(client.masters.map(async (master) => await client.nodeClient(master) as RedisServerClient))
    : [client]
  for (const node of nodes) {
    for await (const batch of node.scanIterator({ MATCH: prefix + '*', COUNT: 500 })) keys.push(...batch.map(String))
  }
  return keys
}

/** Deletes every key under `prefix` (SCAN + UNLINK, never FLUSH*); resolves to how many there were. */
export async function deleteKeysUnder (client: RedisClient, prefix: string): Promise<number> {
  const keys = await keysUnder(client, prefix)
  // One key per UNLINK (pipelined): keys of different slots cannot go in one command, on a cluster client or on a
  // client of one server that is a cluster node (a test of that misconfiguration).
  for (let i = 0; i < keys.length; i += 100) await Promise.all(keys.slice(i, i + 100).map(async (key) => await client.unlink(key)))
  return keys.length
}

/**
 * At teardown, deletes every key under `prefix` from the Redis at `redisUrl` (default REDIS_URL; nothing without one),
 * with a client of its own, so it works whatever state the test left its apps in. Register it before the apps that
 * write the keys: tap runs teardowns last registered first, so this one runs after they have closed.
 */
export function deleteKeysAtTeardown (t: Tap, prefix: string, redisUrl: RedisTarget | undefined = process.env.REDIS_URL): void {
  if (redisUrl === undefined || redisUrl === '') return
  if (!prefix.startsWith(ROOT)) throw new Error(`a test's key prefix must start with ${ROOT}, got "${prefix}"`)
  t.teardown(async () => {
    const client = await createRedisClient(redisUrl)
    try {
      await deleteKeysUnder(client, prefix)
    } finally {
      await closeRedisClient(client)
    }
  })
}
