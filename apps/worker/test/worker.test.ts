// The worker as its own app: /healthz and /readyz, the history jobs running on their own timers (partition upkeep
// among them), and two workers on the same rows doing each job once (media claimed FOR UPDATE SKIP LOCKED, the index
// cursor skipped while held, retention under an advisory lock). RetentionJob itself: retention.test.ts.
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import t, { type Test } from 'tap'
import type { PrismaClient } from '@kefu/db'
import type { MediaSource } from '@kefu/history'
import { client, database, startWorker } from './helper.js'

const APP = 'wxc0501e0000000001'
const DAY = 86_400_000
const PNG = Buffer.from('89504e470d0a1a0a', 'hex')
const realOnly = (process.env.DATABASE_URL === undefined || process.env.DATABASE_URL === '') && 'two workers at once need a real PostgreSQL (embedded run)'

async function tmpDir (t: Test): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-worker-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** WeChat's media API as a counter: every download of each media_id, a little slow so that workers overlap. */
function countingSource (): MediaSource & { calls: string[] } {
  const calls: string[] = []
  return {
    calls,
    async getMedia (_appId, mediaId) {
      calls.push(mediaId)
      await new Promise((resolve) => setTimeout(resolve, 5))
      return { contentType: 'image/png', body: PNG }
    },
    failure: () => null
  }
}

let seq = 0
async function images (prisma: PrismaClient, n: number, ageMs = 120_000): Promise<string[]> {
  const ids = Array.from({ length: n }, () => `media_w${++seq}`)
  await prisma.customerMessage.createMany({
    data: ids.map((mediaId) => ({
      appId: APP, dedupeKey: `m:${mediaId}`, openid: 'o_worker', toUsername: 'gh_x', fromUsername: 'o_worker', msgType: 'image',
      msgInfo: JSON.stringify({ pic: '', media_id: mediaId }), payload: '{}', format: 'json', wechatCreateTime: BigInt(Math.floor((Date.now() - ageMs) / 1000))
    }))
  })
  return ids
}

async function until (what: string, done: () => Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
    if (await done()) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`${what}: not within 20 s`)
}

const fast = { catchUpLagMs: 0, catchUpIntervalMs: 50, retryIntervalMs: 20, fetchBackoffMs: 20 }

t.test('one worker: /healthz and /readyz; messages stored without an announcement are indexed and their media kept, on its own timers', async (t) => {
  const db = await database(t, 'worker_one')
  const prisma = client(t, db)
  const source = countingSource()
  const worker = await startWorker(t, { prisma, mediaSource: source, history: { store: { kind: 'fs', dir: await tmpDir(t) }, ...fast } })
  t.same((await worker.inject('/healthz')).json(), { status: 'ok' })
  const ready = await worker.inject('/readyz')
  t.equal(ready.statusCode, 200)
  t.same(ready.json(), { status: 'ready' })

  const ids = await images(prisma, 5)
  await until('media stored', async () => await prisma.storedMedia.count({ where: { status: 'stored' } }) === ids.length)
  t.equal(await prisma.messageSearch.count(), ids.length, 'every message indexed')
  t.same([...source.calls].sort(), [...ids].sort(), 'each media fetched once')
  const row = await prisma.storedMedia.findFirstOrThrow({ where: { mediaId: ids[0] } })
  t.same((await worker.history.store.get(row.storageKey!))?.body, PNG, 'kept in the media store')
})

t.test('two workers at once on the same rows: each message indexed, each media fetched, each old message removed exactly once', { skip: realOnly }, async (t) => {
  const db = await database(t, 'worker_two')
  const seed = client(t, db)
  const dir = await tmpDir(t)
  const source = countingSource()
  // As two processes: a database client each, one media store (files both see, as S3 would be).
  const settings = { store: { kind: 'fs' as const, dir }, ...fast, retentionDays: 30, retentionIntervalMs: 3_600_000 }
  const ids = await images(seed, 40)
  const [a, b] = await Promise.all([0, 1].map(async () => await startWorker(t, { prisma: client(t, db), mediaSource: source, history: settings })))
  // Both timers run; both are also asked at the same moment.
  await Promise.all([a!.history.catchUp(), b!.history.catchUp(), a!.history.fetcher.kick(), b!.history.fetcher.kick()])
  await until('media stored', async () => await seed.storedMedia.count({ where: { status: 'stored' } }) === ids.length)
  t.same([...source.calls].sort(), [...ids].sort(), 'each media fetched exactly once')
  t.equal(await seed.messageSearch.count(), ids.length, 'each message indexed once')

  // Old messages (past RETENTION_DAYS), removed by whichever worker holds the purge: never twice, never half.
  const old = await images(seed, 12, 40 * DAY)
  await Promise.all([a!.history.catchUp(), b!.history.catchUp()])
  const runs = await Promise.all([a!.history.retention.run(), b!.history.retention.run(), a!.history.retention.run(), b!.history.retention.run()])
  const done = runs.filter((r) => r !== null)
  t.ok(done.length >= 1, `at least one run went through (${done.length} of 4)`)
  t.equal(done.reduce((n, r) => n + r.messages, 0), old.length, 'the old messages removed once in all')
  t.equal(await seed.customerMessage.count(), ids.length, 'the recent ones stay')
  t.equal(await seed.messageSearch.count(), ids.length, 'with their search rows only')
})

t.test('the worker keeps customer_message\'s months created ahead', async (t) => {
  const db = await database(t, 'worker_partitions')
  const prisma = client(t, db)
  await startWorker(t, { prisma, mediaSource: countingSource(), history: { store: { kind: 'fs', dir: await tmpDir(t) }, partitionIntervalMs: 100 } })
  const now = new Date()
  const ahead = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 3, 1))
  const name = `customer_message_y${ahead.getUTCFullYear()}m${String(ahead.getUTCMonth() + 1).padStart(2, '0')}`
  const exists = async (): Promise<boolean> => (await prisma.$queryRawUnsafe<Array<{ t: string | null }>>('SELECT to_regclass($1)::text AS t', name))[0]?.t !== null
  await until(`${name} created`, exists)
  // Dropped by hand (DROP TABLE fails if it is not there); the next upkeep, 100 ms on, creates it again.
  await prisma.$executeRawUnsafe(`DROP TABLE "${name}"`)
  await until(`${name} created again`, exists)
  t.pass('created again by the worker\'s upkeep')
})
