// Media kept past WeChat's 3 days: fetched by the worker as soon as ingest announces the push, retried, caught up
// when the announcement was missed, in files or in S3 (s3rver, in process), served by the console. Two workers at
// once: apps/worker's worker.test.ts.
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import t, { type Test } from 'tap'
import S3rver from 's3rver'
import type { PrismaClient } from '@kefu/db'
import { createMediaStore, FsMediaStore, mediaKey, readHistoryConfig, type HistoryOptions, type MediaStoreConfig } from '@kefu/history'
import { APPS, Agent, startConsoleSystem, type ConsoleSystem } from '../../test/helper.js'

const [SAFE, PLAIN] = APPS.map((a) => a.appid) as [string, string]
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63fcffff3f0005fe02fea7d6a5000000000049454e44ae426082', 'hex')
const withRedis = process.env.REDIS_URL !== undefined && process.env.REDIS_URL !== ''

async function tmpDir (t: Test): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-media-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** Waits (no timing asserted) until the media's row leaves `pending`, and returns it. */
async function settled (prisma: PrismaClient, appId: string, mediaId: string): Promise<{ status: string, attempts: number, lastError: string | null, origin: string }> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
    const row = await prisma.storedMedia.findUnique({ where: { appId_mediaId: { appId, mediaId } } })
    if (row !== null && row.status !== 'pending') return row
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`media ${mediaId} still pending after 30 s`)
}

/** Resolves with what `look` finds, looking every 50 ms for up to 10 s (no timing asserted). */
async function until<T> (what: string, look: () => Promise<T | undefined>): Promise<T> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
    const found = await look()
    if (found !== undefined) return found
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`${what}: not within 10 s`)
}

function mediaGets (sys: ConsoleSystem, mediaId: string): number {
  return sys.fake.requests.filter((r) => r.api === 'media/get' && r.query.media_id === mediaId).length
}

function history (store: MediaStoreConfig): Partial<HistoryOptions> {
  return { store, catchUpLagMs: 0, catchUpIntervalMs: 3_600_000, retryIntervalMs: 50, fetchBackoffMs: 20 }
}

async function storedAndServedAfterWechatForgets (t: Test, sys: ConsoleSystem): Promise<void> {
  const alice = new Agent()
  await alice.signIn(sys)
  const mediaId = sys.fake.addMedia(SAFE, PNG, 'image/png', 'dot.png', 'media_kept_1')
  await sys.push(SAFE, 'image', { from: 'o_pic', content: mediaId })
  const row = await settled(sys.prisma, SAFE, mediaId)
  t.match(row, { status: 'stored', attempts: 1, origin: 'inbound' }, 'stored by the worker after the push, without anyone opening it')
  t.equal(sys.fake.requests.filter((r) => r.api === 'media/get').length, 1, 'fetched from WeChat once')

  sys.fake.forgetMedia(mediaId)
  const got = await alice.request(sys.console, 'GET', `/api/media/${SAFE}/${mediaId}`)
  t.equal(got.status, 200, 'still served after WeChat forgot it')
  t.equal(got.headers.get('content-type'), 'image/png')
  t.match(got.headers.get('cache-control'), /private, max-age=31536000, immutable/)
  t.equal(got.headers.get('etag'), `"${createHash('sha256').update(PNG).digest('hex')}"`, 'the same bytes')
  const again = await alice.request(sys.console, 'GET', `/api/media/${SAFE}/${mediaId}`, { headers: { 'if-none-match': got.headers.get('etag')! } })
  t.equal(again.status, 304)
  t.equal(sys.fake.requests.filter((r) => r.api === 'media/get').length, 1, 'never asked WeChat again')

  const conv = (await alice.api(sys, 'GET', `/api/conversations/${SAFE}/o_pic`)).json()
  t.match(conv.messages.at(-1), { type: 'image', mediaId, media: { status: 'stored' } }, 'the timeline says it is kept')
}

t.test('files under DATA_DIR/media: a picture stored within seconds of its push, still served after WeChat forgets it', async (t) => {
  const dir = await tmpDir(t)
  const sys = await startConsoleSystem(t, { label: 'media_fs', history: history({ kind: 'fs', dir }) })
  await storedAndServedAfterWechatForgets(t, sys)
  const file = await new FsMediaStore(dir).get(mediaKey(SAFE, 'media_kept_1'))
  t.same(file?.body, PNG, 'the bytes are in a file under the directory')
})

t.test('S3-compatible storage (s3rver in process): the same, the object in the bucket', async (t) => {
  const dir = await tmpDir(t)
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: 'kefu-media', configs: [] }] })
  const address = await server.run()
  t.teardown(() => server.close())
  const store: MediaStoreConfig = {
    kind: 's3',
    bucket: 'kefu-media',
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${address.port}`,
    forcePathStyle: true,
    prefix: 'kefu/',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }
  }
  const sys = await startConsoleSystem(t, { label: 'media_s3', history: history(store) })
  await storedAndServedAfterWechatForgets(t, sys)
  const s3 = createMediaStore(store)
  t.same((await s3.get(mediaKey(SAFE, 'media_kept_1')))?.body, PNG, 'the object is in the bucket under the prefix')
  await s3.remove([mediaKey(SAFE, 'media_kept_1')])
  t.equal(await s3.get(mediaKey(SAFE, 'media_kept_1')), null, 'removed objects are gone')
})

t.test('failures: retried with backoff until stored; a media WeChat does not know is failed at once and the timeline says so', async (t) => {
  const dir = await tmpDir(t)
  const sys = await startConsoleSystem(t, { label: 'media_retry', history: history({ kind: 'fs', dir }) })
  const alice = new Agent()
  await alice.signIn(sys)
  const mediaId = sys.fake.addMedia(PLAIN, PNG, 'image/png', 'dot.png', 'media_flaky')
  sys.fake.failNext('media/get', -1, { times: 2 })
  await sys.push(PLAIN, 'image', { from: 'o_flaky', content: mediaId })
  t.match(await settled(sys.prisma, PLAIN, mediaId), { status: 'stored', attempts: 3, lastError: null }, 'two system errors, then stored')

  await sys.push(PLAIN, 'image', { from: 'o_gone', content: 'media_never_known' })
  const gone = await settled(sys.prisma, PLAIN, 'media_never_known')
  t.match(gone, { status: 'failed', attempts: 1 }, 'not retried: WeChat does not know it')
  t.match(gone.lastError, /40007/)
  const conv = (await alice.api(sys, 'GET', `/api/conversations/${PLAIN}/o_gone`)).json()
  t.match(conv.messages.at(-1), { type: 'image', media: { status: 'failed', error: /40007/ } }, 'the lasting failure is in the timeline')
  const res = await alice.api(sys, 'GET', `/api/media/${PLAIN}/media_never_known`)
  t.equal(res.status, 410)
  t.match(res.json(), { code: 'KEFU_CONSOLE_MEDIA_GONE', message: /40007/ })
})

t.test('with the settings a user has (readHistoryConfig, defaults): a failed download is retried after the backoff and stored; one WeChat does not know is recorded once, shown as no longer available, never asked again', async (t) => {
  const dir = await tmpDir(t)
  const sys = await startConsoleSystem(t, { label: 'media_defaults', history: readHistoryConfig({ DATA_DIR: dir }) })
  const alice = new Agent()
  await alice.signIn(sys)
  const mediaId = sys.fake.addMedia(SAFE, PNG, 'image/png', 'dot.png', 'media_busy_once')
  sys.fake.failNext('media/get', -1)
  await sys.push(SAFE, 'image', { from: 'o_busy', content: mediaId })
  const where = { appId_mediaId: { appId: SAFE, mediaId } }
  const failed = await until('the failed attempt recorded', async () => {
    const row = await sys.prisma.storedMedia.findUnique({ where })
    return row?.lastError === null ? undefined : row ?? undefined
  })
  t.match(failed, { status: 'pending', attempts: 1, lastError: /busy/ }, 'the failure is recorded, still pending')
  const [due] = await sys.prisma.$queryRawUnsafe<Array<{ s: number }>>(
    'SELECT extract(epoch FROM next_attempt_at - now())::float8 AS s FROM stored_media WHERE app_id = $1 AND media_id = $2', SAFE, mediaId)
  t.ok(due!.s > 0 && due!.s <= 5, `retried after the default 5 s backoff (due in ${due!.s.toFixed(2)} s)`)
  // The backoff is over: as if 5 s had passed.
  await sys.prisma.$executeRawUnsafe('UPDATE stored_media SET next_attempt_at = now() WHERE app_id = $1 AND media_id = $2', SAFE, mediaId)
  await sys.worker.app.history.fetcher.kick()
  t.match(await settled(sys.prisma, SAFE, mediaId), { status: 'stored', attempts: 2, lastError: null }, 'stored at the second attempt')
  t.equal(mediaGets(sys, mediaId), 2)

  await sys.push(SAFE, 'image', { from: 'o_gone', content: 'media_never_known' })
  const gone = await settled(sys.prisma, SAFE, 'media_never_known')
  t.match(gone, { status: 'failed', attempts: 1, lastError: /no longer available.*40007/ }, 'recorded once, for good')
  const conv = (await alice.api(sys, 'GET', `/api/conversations/${SAFE}/o_gone`)).json()
  t.match(conv.messages.at(-1), { type: 'image', media: { status: 'failed', error: /no longer available/ } }, 'the timeline says so')
  for (let i = 0; i < 3; i++) {
    const res = await alice.api(sys, 'GET', `/api/media/${SAFE}/media_never_known`)
    t.equal(res.status, 410, 'the media route: gone')
    t.match(res.json(), { code: 'KEFU_CONSOLE_MEDIA_GONE', message: /no longer available/ })
  }
  await sys.worker.app.history.fetcher.kick()
  t.equal(mediaGets(sys, 'media_never_known'), 1, 'WeChat was asked once')
})

t.test('a media_id WeChat does not know and no message names: 404, WeChat asked once, every instance knows it for an hour', async (t) => {
  const dir = await tmpDir(t)
  const sys = await startConsoleSystem(t, { label: 'media_unknown', history: readHistoryConfig({ DATA_DIR: dir }) })
  const alice = new Agent()
  await alice.signIn(sys)
  // Of this run only: Redis outlives the test, and the entry an earlier run left may still be there.
  const unknownId = `media_nobody_sent_${randomBytes(4).toString('hex')}`
  for (let i = 0; i < 5; i++) {
    const res = await alice.api(sys, 'GET', `/api/media/${SAFE}/${unknownId}`)
    t.equal(res.status, 404)
    t.match(res.json(), { code: 'KEFU_CONSOLE_NO_MEDIA', message: 'no such media: WeChat does not know this media_id (errcode 40007)' })
  }
  t.equal(mediaGets(sys, unknownId), 1, '5 requests, 1 download')
  t.equal(await sys.prisma.storedMedia.count(), 0, 'nothing stored for a media_id only an agent typed')
  if (!withRedis) return
  const [key] = await sys.console.app.redis!.keys(`kefu:test:*console:*:console:media-unknown:${SAFE}/${unknownId}`)
  const ttl = Number(await sys.console.app.redis!.pTTL(key!))
  t.ok(ttl > 3_500_000 && ttl <= 3_600_000, `remembered in Redis for an hour (${ttl} ms left)`)
  const second = await sys.startConsole()
  const res = await alice.request(second, 'GET', `/api/media/${SAFE}/${unknownId}`, { headers: { origin: sys.console.url } })
  t.equal(res.status, 404, 'another instance answers the same')
  t.equal(mediaGets(sys, unknownId), 1, 'without asking WeChat')
})

t.test('MEDIA_MAX_BYTES reaches the WeChat client: a larger file stops downloading at the limit (chunked or not) and is recorded failed, never asked again', async (t) => {
  const dir = await tmpDir(t)
  const limit = 64 * 1024
  const sys = await startConsoleSystem(t, { label: 'media_too_large', history: readHistoryConfig({ DATA_DIR: dir, MEDIA_MAX_BYTES: String(limit) }) })
  const alice = new Agent()
  await alice.signIn(sys)
  // Under the client's own 20 MiB cap: only MEDIA_MAX_BYTES can stop it.
  const big = Buffer.concat([PNG, Buffer.alloc(16 * 1024 * 1024 - PNG.length, 7)])
  const pushed = sys.fake.addMedia(SAFE, big, 'image/png', 'big.png', 'media_big_chunked', { chunked: true })
  await sys.push(SAFE, 'image', { from: 'o_big', content: pushed })
  const row = await settled(sys.prisma, SAFE, pushed)
  t.match(row, { status: 'failed', attempts: 1, lastError: `larger than MEDIA_MAX_BYTES (${limit} bytes)` }, 'failed at the first attempt, for good')
  t.ok(sys.fake.mediaBytesSent < big.length / 2, `the download stopped early (${sys.fake.mediaBytesSent} of ${big.length} bytes sent)`)
  const gone = await alice.api(sys, 'GET', `/api/media/${SAFE}/${pushed}`)
  t.equal(gone.status, 410)
  t.match(gone.json(), { code: 'KEFU_CONSOLE_MEDIA_GONE', message: /larger than MEDIA_MAX_BYTES/ })

  // One no message names yet, with a Content-Length: refused before its body is read, recorded, not asked again.
  const unlisted = sys.fake.addMedia(SAFE, big, 'image/png', 'big.png', 'media_big_declared')
  sys.fake.clearRequests()
  for (let i = 0; i < 3; i++) {
    const res = await alice.api(sys, 'GET', `/api/media/${SAFE}/${unlisted}`)
    t.equal(res.status, 410)
    t.match(res.json(), { code: 'KEFU_CONSOLE_MEDIA_GONE', message: /larger than MEDIA_MAX_BYTES/ })
  }
  t.ok(sys.fake.mediaBytesSent < big.length / 2, `refused on its Content-Length (${sys.fake.mediaBytesSent} of ${big.length} bytes sent)`)
  t.equal(mediaGets(sys, unlisted), 1, 'asked once')
  t.match(await sys.prisma.storedMedia.findUnique({ where: { appId_mediaId: { appId: SAFE, mediaId: unlisted } } }), { status: 'failed', lastError: /MEDIA_MAX_BYTES/ })
  await sys.worker.app.history.fetcher.kick()
  t.equal(mediaGets(sys, pushed) + mediaGets(sys, unlisted), 1, 'the worker does not ask again either')
})

t.test('a picture removed with its message is not fetched from WeChat again (410); one opened before its message was indexed goes with its message', async (t) => {
  const dir = await tmpDir(t)
  const sys = await startConsoleSystem(t, { label: 'media_removed', history: readHistoryConfig({ DATA_DIR: dir, RETENTION_DAYS: '1' }) })
  const alice = new Agent()
  await alice.signIn(sys)
  const history = sys.worker.app.history
  // Two days old: past RETENTION_DAYS, within the 3 days WeChat keeps it.
  const mediaId = sys.fake.addMedia(SAFE, PNG, 'image/png', 'dot.png', 'media_retained')
  await sys.push(SAFE, 'image', { from: 'o_old', content: mediaId, createTime: Math.floor(Date.now() / 1000) - 2 * 86_400 })
  t.match(await settled(sys.prisma, SAFE, mediaId), { status: 'stored' })
  t.match(await history.retention.run(), { messages: 1, media: 1 })
  sys.fake.clearRequests()
  for (let i = 0; i < 2; i++) {
    const res = await alice.api(sys, 'GET', `/api/media/${SAFE}/${mediaId}`)
    t.equal(res.status, 410)
    t.match(res.json(), { code: 'KEFU_CONSOLE_MEDIA_GONE', message: /removed with its message/ })
  }
  t.equal(mediaGets(sys, mediaId), 0, 'WeChat not asked')
  t.equal(await history.store.get(mediaKey(SAFE, mediaId)), null, 'and nothing kept again')

  // Opened by an agent before the indexer saw its message, then removed on request.
  const early = sys.fake.addMedia(SAFE, PNG, 'image/png', 'dot.png', 'media_early')
  const row = await sys.prisma.customerMessage.create({
    data: { appId: SAFE, dedupeKey: 'm:early-1', openid: 'o_early', toUsername: 'gh_x', fromUsername: 'o_early', msgType: 'image', msgInfo: JSON.stringify({ pic: '', media_id: early }), payload: '{}', format: 'json', wechatCreateTime: BigInt(Math.floor(Date.now() / 1000)) }
  })
  t.equal((await alice.api(sys, 'GET', `/api/media/${SAFE}/${early}`)).status, 200, 'fetched when opened')
  await history.indexer.inbound([row.id.toString()])
  t.match(await sys.prisma.storedMedia.findUnique({ where: { appId_mediaId: { appId: SAFE, mediaId: early } } }), { status: 'stored', messageId: row.id }, 'the indexer links it to its message')
  await sys.prisma.customerMessage.updateMany({ where: { id: row.id }, data: { deleteTime: new Date() } })
  t.match(await history.retention.run(), { messages: 1, media: 1 })
  t.equal((await alice.api(sys, 'GET', `/api/media/${SAFE}/${early}`)).status, 410, 'removed with it')
  t.equal(mediaGets(sys, early), 1, 'fetched once, when first opened')
})

t.test('a push whose announcement was missed is caught up by the cursor', async (t) => {
  const dir = await tmpDir(t)
  const sys = await startConsoleSystem(t, { label: 'media_catch_up', history: history({ kind: 'fs', dir }) })
  const mediaId = sys.fake.addMedia(SAFE, PNG, 'image/png', 'dot.png', 'media_missed')
  // As if ingest stored it while the bus was away: a row, no announcement.
  const now = Math.floor(Date.now() / 1000)
  await sys.prisma.customerMessage.create({
    data: { appId: SAFE, dedupeKey: 'm:missed-1', openid: 'o_missed', toUsername: 'gh_x', fromUsername: 'o_missed', msgType: 'image', msgInfo: JSON.stringify({ pic: '', media_id: mediaId }), payload: '{}', format: 'json', wechatCreateTime: BigInt(now) }
  })
  t.equal(await sys.prisma.storedMedia.count({ where: { mediaId } }), 0, 'nothing queued without the announcement')
  await sys.worker.app.history.catchUp()
  t.match(await settled(sys.prisma, SAFE, mediaId), { status: 'stored' })
  t.equal(await sys.prisma.messageSearch.count({ where: { openid: 'o_missed' } }), 1, 'and indexed for search')
})

t.test('agents see only media of their mini programs; uploads are kept as sent', async (t) => {
  const dir = await tmpDir(t)
  const sys = await startConsoleSystem(t, { label: 'media_access', history: history({ kind: 'fs', dir }) })
  const mallory = new Agent()
  await mallory.signIn(sys, 'mallory')
  const alice = new Agent()
  await alice.signIn(sys)
  const mediaId = sys.fake.addMedia(SAFE, PNG, 'image/png', 'dot.png', 'media_private')
  await sys.push(SAFE, 'image', { from: 'o_private', content: mediaId })
  await settled(sys.prisma, SAFE, mediaId)
  const denied = await mallory.api(sys, 'GET', `/api/media/${SAFE}/${mediaId}`)
  t.equal(denied.status, 404, 'another agent: as if absent')
  t.equal((await alice.api(sys, 'GET', `/api/media/${SAFE}/bad%20id`)).status, 400)
  t.equal((await alice.api(sys, 'GET', `/api/media/nonsense/${mediaId}`)).status, 400)

  await sys.push(SAFE, 'text', { from: 'o_up' })
  const form = new FormData()
  form.append('media', new Blob([PNG], { type: 'image/png' }), 'dot.png')
  const up = await alice.request(sys.console, 'POST', `/api/apps/${SAFE}/images`, { headers: { origin: sys.console.url }, body: form })
  t.equal(up.status, 200, up.text)
  const uploaded = up.json().mediaId as string
  t.match(await sys.prisma.storedMedia.findUnique({ where: { appId_mediaId: { appId: SAFE, mediaId: uploaded } } }), { status: 'stored', origin: 'upload', size: PNG.length })
  t.equal((await alice.api(sys, 'POST', `/api/conversations/${SAFE}/o_up/messages`, { type: 'image', mediaId: uploaded })).status, 201)
  sys.fake.forgetMedia()
  sys.fake.clearRequests()
  const got = await alice.request(sys.console, 'GET', `/api/media/${SAFE}/${uploaded}`)
  t.equal(got.status, 200)
  t.equal(sys.fake.requests.filter((r) => r.api === 'media/get').length, 0, 'served from the kept copy, WeChat never asked')
  const conv = (await alice.api(sys, 'GET', `/api/conversations/${SAFE}/o_up`)).json()
  t.match(conv.messages.at(-1), { direction: 'out', type: 'image', mediaId: uploaded, media: { status: 'stored' } })
})
