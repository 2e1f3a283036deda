import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import t, { type Test } from 'tap'
import { createPrismaClient, type PrismaClient } from '@kefu/db'
import { createTestDatabase } from '@kefu/db/testing'
import { FsMediaStore, HistoryIndexer, mediaKey, type MediaStore, PURGE_LOCK, ReportRollup, RetentionJob } from '@kefu/history'

const APP = 'wxc0501e0000000001'
const DAY = 86_400_000
const NOW = Date.parse('2026-12-01T00:00:00Z')

/** A database of the test's own and a folder for kept media, both gone at teardown. */
async function setUp (t: Test, label: string): Promise<{ prisma: PrismaClient, store: FsMediaStore, url: string }> {
  const db = await createTestDatabase(label)
  t.teardown(db.drop)
  const prisma = createPrismaClient({ url: db.url, poolMax: db.poolMax })
  t.teardown(() => prisma.$disconnect())
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-retention-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return { prisma, store: new FsMediaStore(dir), url: db.url }
}

let seq = 0
async function message (prisma: PrismaClient, openid: string, ageDays: number, mediaId?: string): Promise<bigint> {
  const row = await prisma.customerMessage.create({
    data: {
      appId: APP, dedupeKey: `m:ret${++seq}`, openid, toUsername: 'gh_x', fromUsername: openid,
      msgType: mediaId === undefined ? 'text' : 'image', msgInfo: JSON.stringify(mediaId === undefined ? { text: `hello ${seq}` } : { pic: '', media_id: mediaId }),
      payload: '{}', format: 'json', wechatCreateTime: BigInt(Math.floor((NOW - ageDays * DAY) / 1000))
    }
  })
  await prisma.conversation.upsert({
    where: { appId_openid: { appId: APP, openid } },
    create: { appId: APP, openid, lastMessageId: row.id, lastMessageAt: new Date(NOW - ageDays * DAY) },
    update: { lastMessageId: row.id, lastMessageAt: new Date(NOW - ageDays * DAY) }
  })
  return row.id
}

t.test('retention: old messages get delete_time, then they, their search rows and kept media are purged; recent ones stay', async (t) => {
  const { prisma, store } = await setUp(t, 'retention')

  const oldPic = await message(prisma, 'o_old', 40, 'media_old')
  await message(prisma, 'o_old', 35)
  await message(prisma, 'o_mixed', 31)
  const recent = await message(prisma, 'o_mixed', 2, 'media_new')
  const manual = await message(prisma, 'o_new', 1)
  await prisma.outboundMessage.createMany({
    data: [
      { appId: APP, openid: 'o_old', msgType: 'text', content: '{"msgtype":"text","text":{"content":"old"}}', status: 'sent', agent: 'alice', createdAt: new Date(NOW - 34 * DAY) },
      { appId: APP, openid: 'o_mixed', msgType: 'text', content: '{"msgtype":"text","text":{"content":"new"}}', status: 'sent', agent: 'alice', createdAt: new Date(NOW - DAY) }
    ]
  })
  for (const [mediaId, messageId, age] of [['media_old', oldPic, 40], ['media_new', recent, 2], ['media_upload_old', null, 33]] as Array<[string, bigint | null, number]>) {
    await store.put(mediaKey(APP, mediaId), Buffer.from(mediaId), 'image/png')
    await prisma.storedMedia.create({ data: { appId: APP, mediaId, origin: messageId === null ? 'upload' : 'inbound', messageId, status: 'stored', storageKey: mediaKey(APP, mediaId), createdAt: new Date(NOW - age * DAY) } })
  }
  await new HistoryIndexer(prisma, { catchUpLagMs: 0 }).catchUp()
  t.equal(await prisma.messageSearch.count(), 7, 'indexed: five messages, two replies')
  await new ReportRollup(prisma, { lagMs: 0 }).catchUp()
  t.equal(await prisma.reportEpisode.count(), 5, "the reports' roll-up: five conversations")

  const off = new RetentionJob(prisma, store, { days: null, now: () => NOW })
  t.same(await off.run(), { marked: 0, messages: 0, replies: 0, media: 0, conversations: 0, partitions: 0, finished: true }, 'off by default: nothing removed')
  t.equal(await prisma.customerMessage.count(), 5)

  // An operator removes one message on request: delete_time, then the purge (even with retention off).
  await prisma.customerMessage.updateMany({ where: { id: manual }, data: { deleteTime: new Date(NOW) } })
  t.match(await off.run(), { marked: 0, messages: 1 })

  const job = new RetentionJob(prisma, store, { days: 30, batch: 2, now: () => NOW })
  t.same(await job.run(), { marked: 3, messages: 3, replies: 1, media: 2, conversations: 1, partitions: 0, finished: true }, 'these months have no partitions of their own: rows one by one')
  t.same((await prisma.customerMessage.findMany({ select: { id: true } })).map((r) => r.id), [recent], 'only the recent message is left')
  t.same((await prisma.messageSearch.findMany({ orderBy: { direction: 'asc' }, select: { direction: true } })).map((r) => r.direction), ['in', 'out'], 'and its search rows')
  t.same((await prisma.storedMedia.findMany({ select: { mediaId: true } })).map((r) => r.mediaId), ['media_new'])
  t.equal(await store.get(mediaKey(APP, 'media_old')), null, 'the old file is gone')
  t.equal(await store.get(mediaKey(APP, 'media_upload_old')), null, 'old uploads too')
  t.ok(await store.get(mediaKey(APP, 'media_new')), 'the recent file stays')
  t.same((await prisma.conversation.findMany({ orderBy: { openid: 'asc' }, select: { openid: true } })).map((r) => r.openid), ['o_mixed', 'o_new'], 'a conversation with nothing left in the period is removed')
  t.same(await job.run(), { marked: 0, messages: 0, replies: 0, media: 0, conversations: 0, partitions: 0, finished: true }, 'a second run finds nothing')
  t.same((await prisma.reportEpisode.findMany({ orderBy: { openid: 'asc' }, select: { openid: true } })).map((r) => r.openid), ['o_mixed', 'o_new'],
    "the roll-up's conversations that started before the period are gone")
  t.same(await prisma.$queryRawUnsafe('SELECT count(*)::int AS n, min(day)::text AS first FROM report_daily'), [{ n: 3, first: '2026-11-29' }],
    "and its days before the period (China's): the two recent days' messages and the recent reply are left")
})

t.test("retention: the reports' durations keep the retained period, the cutoff's own day computed again from what is left", async (t) => {
  const { prisma, store } = await setUp(t, 'retention_durations')
  // The cutoff (30 days) is 2026-11-01 00:00 UTC, 08:00 of that day in China: one conversation an hour before it, one
  // an hour after, both on China's 2026-11-01, each answered; one on the day before.
  const cutoff = NOW - 30 * DAY
  for (const [openid, at] of [['o_before', cutoff - 3_600_000], ['o_after', cutoff + 3_600_000], ['o_day_before', cutoff - 10 * 3_600_000]] as const) {
    await message(prisma, openid, (NOW - at) / DAY)
    await prisma.outboundMessage.create({ data: { appId: APP, openid, msgType: 'text', content: '{"msgtype":"text","text":{"content":"hi"}}', status: 'sent', agent: 'alice', createdAt: new Date(at + 60_000) } })
  }
  await new ReportRollup(prisma, { lagMs: 0 }).catchUp()
  const durations = async (): Promise<unknown> => await prisma.$queryRawUnsafe(
    'SELECT day::text AS day, agent, conversations, first_response, first_response_median FROM report_durations ORDER BY day, agent')
  t.same(await durations(), [
    { day: '2026-10-31', agent: '', conversations: 1, first_response: [60], first_response_median: 60 },
    { day: '2026-10-31', agent: 'alice', conversations: 0, first_response: [60], first_response_median: null },
    { day: '2026-11-01', agent: '', conversations: 2, first_response: [60, 60], first_response_median: 60 },
    { day: '2026-11-01', agent: 'alice', conversations: 0, first_response: [60, 60], first_response_median: null }
  ], 'folded: a row a day, and one for the agent')
  await new RetentionJob(prisma, store, { days: 30, now: () => NOW }).run()
  t.same(await durations(), [
    { day: '2026-11-01', agent: '', conversations: 1, first_response: [60], first_response_median: 60 },
    { day: '2026-11-01', agent: 'alice', conversations: 0, first_response: [60], first_response_median: null }
  ], "the day before is gone; the cutoff's day counts the conversation after the cutoff only")
})

t.test('retention: a removed media WeChat may still have leaves a removed row without its bytes until WeChat\'s 3 days are over; kept copies no message names go after the period', async (t) => {
  const { prisma, store } = await setUp(t, 'retention_media')

  const young = await message(prisma, 'o_young', 2, 'media_young')
  // media_opened: a copy an agent opened that no message names (a reply's thumbnail), seen 2 days ago; media_opened_old 10.
  for (const [mediaId, messageId, age] of [['media_young', young, 2], ['media_opened', null, 2], ['media_opened_old', null, 10]] as Array<[string, bigint | null, number]>) {
    await store.put(mediaKey(APP, mediaId), Buffer.from(mediaId), 'image/png')
    await prisma.storedMedia.create({ data: { appId: APP, mediaId, origin: 'inbound', messageId, status: 'stored', storageKey: mediaKey(APP, mediaId), sha256: 'x', size: 7, contentType: 'image/png', createdAt: new Date(NOW - age * DAY) } })
  }
  const job = new RetentionJob(prisma, store, { days: 1, now: () => NOW })
  t.match(await job.run(), { marked: 1, messages: 1, media: 3 })
  const rows = await prisma.storedMedia.findMany({ orderBy: { mediaId: 'asc' }, select: { mediaId: true, status: true, storageKey: true, sha256: true } })
  t.same(rows, [
    { mediaId: 'media_opened', status: 'removed', storageKey: null, sha256: null },
    { mediaId: 'media_young', status: 'removed', storageKey: null, sha256: null }
  ], 'WeChat still has these two: their rows stay, removed; the 10-day-old one is gone')
  for (const mediaId of ['media_young', 'media_opened', 'media_opened_old']) t.equal(await store.get(mediaKey(APP, mediaId)), null, `${mediaId}: the bytes are gone`)
  t.match(await job.run(), { messages: 0, media: 0 }, 'a second run leaves the removed rows alone')
  t.equal(await prisma.storedMedia.count(), 2)
  await new RetentionJob(prisma, store, { days: 1, now: () => NOW + 2 * DAY }).run()
  t.equal(await prisma.storedMedia.count(), 0, 'past WeChat\'s 3 days the removed rows go too')
})

t.test('retention drops a month that is wholly past the period, with its search rows and media; a month partly past it loses rows one by one', async (t) => {
  const db = await createTestDatabase('retention_partitions')
  t.teardown(db.drop)
  const prisma = createPrismaClient({ url: db.url, poolMax: db.poolMax })
  t.teardown(() => prisma.$disconnect())
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-retention-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const store = new FsMediaStore(dir)
  const partitions = async (): Promise<string[]> => (await prisma.$queryRawUnsafe<Array<{ name: string }>>(
    "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'customer_message'::regclass")).map((r) => r.name)
  for (const month of ['2026-09-01', '2026-10-01']) await prisma.$queryRawUnsafe(`SELECT customer_message_create_partition('${month}')`)

  // NOW is 2026-12-01 and the period 45 days: the cutoff is 2026-10-17. September lies wholly before it, October partly.
  const septPic = await message(prisma, 'o_sept', 80, 'media_sept')
  await message(prisma, 'o_sept', 70)
  await message(prisma, 'o_oct', 50)
  const octNew = await message(prisma, 'o_oct', 40)
  await message(prisma, 'o_far', 365 * 20)
  const where = await prisma.$queryRawUnsafe<Array<{ part: string }>>('SELECT tableoid::regclass::text AS part FROM customer_message ORDER BY id')
  t.same(where.map((r) => r.part), ['customer_message_y2026m09', 'customer_message_y2026m09', 'customer_message_y2026m10', 'customer_message_y2026m10', 'customer_message_default'])
  await store.put(mediaKey(APP, 'media_sept'), Buffer.from('sept'), 'image/png')
  await prisma.storedMedia.create({ data: { appId: APP, mediaId: 'media_sept', origin: 'inbound', messageId: septPic, status: 'stored', storageKey: mediaKey(APP, 'media_sept'), createdAt: new Date(NOW - 80 * DAY) } })
  await new HistoryIndexer(prisma, { catchUpLagMs: 0 }).catchUp()
  t.equal(await prisma.messageSearch.count(), 5)

  const job = new RetentionJob(prisma, store, { days: 45, batch: 1, now: () => NOW })
  t.match(await job.run(), { partitions: 1, marked: 2, messages: 4, media: 1 }, 'September dropped whole, two rows marked and purged')
  const left = await partitions()
  t.notOk(left.includes('customer_message_y2026m09'), 'the September partition is gone')
  t.ok(left.includes('customer_message_y2026m10'), 'October\'s stays')
  t.same((await prisma.customerMessage.findMany({ orderBy: { id: 'asc' }, select: { id: true } })).map((r) => r.id), [octNew], 'October keeps its recent message')
  t.same((await prisma.messageSearch.findMany({ select: { messageId: true } })).map((r) => r.messageId), [octNew], 'search rows of dropped and purged messages are gone')
  t.equal(await prisma.storedMedia.count({ where: { status: { not: 'removed' } } }), 0, 'September\'s kept media removed')
  t.equal(await store.get(mediaKey(APP, 'media_sept')), null, 'and its bytes')
  t.match(await job.run(), { partitions: 0, marked: 0, messages: 0 }, 'a second run finds nothing')
})

t.test('retention taken over midway by another instance: each run reports what it removed, every message counted once', {
  skip: (process.env.DATABASE_URL ?? '') === '' && 'another instance needs a connection of its own: real PostgreSQL only (embedded run)'
}, async (t) => {
  const { prisma, store, url } = await setUp(t, 'retention_takeover')
  await prisma.$queryRawUnsafe("SELECT customer_message_create_partition('2026-09-01')")
  const media = ['media_a', 'media_b', 'media_c']
  for (const [i, mediaId] of media.entries()) {
    const id = await message(prisma, 'o_sept', 80 - i, mediaId)
    await store.put(mediaKey(APP, mediaId), Buffer.from(mediaId), 'image/png')
    await prisma.storedMedia.create({ data: { appId: APP, mediaId, origin: 'inbound', messageId: id, status: 'stored', storageKey: mediaKey(APP, mediaId), createdAt: new Date(NOW - 80 * DAY) } })
  }
  // The other instance: a connection of its own, asking for the purge's lock.
  const other = createPrismaClient({ url, poolMax: 1 })
  t.teardown(() => other.$disconnect())
  t.same(await other.$queryRawUnsafe('SELECT pg_try_advisory_lock($1) AS ok', PURGE_LOCK), [{ ok: true }])
  t.equal(await new RetentionJob(prisma, store, { days: 45, now: () => NOW }).run(), null, 'held elsewhere from the start: null, nothing removed')
  t.equal(await prisma.customerMessage.count(), 3)
  await other.$queryRawUnsafe('SELECT pg_advisory_unlock($1)', PURGE_LOCK)

  // While our first batch (one message's media) is removed, the other instance queues for the lock: it gets it when
  // that batch commits, so our next step finds it taken.
  let otherLock: Promise<unknown> | null = null
  // pg_locks lists every database's locks: this one's wait for the purge's, not another test file's.
  const waiting = async (): Promise<boolean> => (await prisma.$queryRawUnsafe<Array<{ n: number }>>(
    `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = $1
       AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`, PURGE_LOCK))[0]?.n === 1
  const racing: MediaStore = {
    description: store.description,
    put: async (key, body, type) => await store.put(key, body, type),
    get: async (key) => await store.get(key),
    async remove (keys) {
      await store.remove(keys)
      if (otherLock !== null) return
      otherLock = other.$queryRawUnsafe('SELECT 1 AS ok FROM pg_advisory_lock($1)', PURGE_LOCK).then(() => {}) // sent now (Prisma's queries are lazy)
      while (!await waiting()) await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }
  const first = await new RetentionJob(prisma, racing, { days: 45, batch: 1, now: () => NOW }).run()
  t.same(first, { marked: 0, messages: 0, replies: 0, media: 1, conversations: 0, partitions: 0, finished: false },
    'taken over after one batch: one media removed, no message (the month is not dropped yet)')
  await otherLock
  await other.$queryRawUnsafe('SELECT pg_advisory_unlock($1)', PURGE_LOCK)

  const second = await new RetentionJob(prisma, store, { days: 45, batch: 1, now: () => NOW }).run()
  t.match(second, { partitions: 1, messages: 3, media: 2, finished: true }, 'the run that drops the month counts its three messages')
  t.equal(first!.messages + second!.messages, 3, 'three messages, counted once')
  t.equal(await prisma.customerMessage.count(), 0)
  for (const mediaId of media) t.equal(await store.get(mediaKey(APP, mediaId)), null, `${mediaId}: the bytes are gone`)
})
