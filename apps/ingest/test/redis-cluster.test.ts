// Ingest on a Redis Cluster (REDIS_CLUSTER_URLS; `pnpm test`'s real run starts a 3-master one): the nonce cache's
// keys land on every master and each push is answered 200 (a client of one node answered 503 whenever a nonce hashed
// to another), a replayed nonce is still refused, and stored rows are announced over sharded pub/sub.
import t from 'tap'
import { setTimeout as delay } from 'node:timers/promises'
import { createRedisBus } from '@kefu/service'
import { stringifyFlat } from '@kefu/wechat-crypto'
import { MESSAGES_CHANNEL } from '../src/app.js'
import { PLAIN_APP, build, fields, fileDatabase, push, send } from './helper.js'

const urls = process.env.REDIS_CLUSTER_URLS
const skip = (process.env.DATABASE_URL === undefined || urls === undefined || urls === '') && 'needs DATABASE_URL and REDIS_CLUSTER_URLS (embedded run)'

t.test('pushes with nonces on every master: 200 each, stored once, replays refused, announced', { skip }, async (t) => {
  const target = { cluster: urls!.split(',') }
  const db = await fileDatabase(t, 'ingest_cluster')
  const app = await build(t, db, { redisUrl: target })
  const listener = await createRedisBus(target)
  t.teardown(() => listener.close())
  const announced: string[] = []
  await listener.subscribe(MESSAGES_CHANNEL, (m) => { announced.push(m) })

  const pushes = Array.from({ length: 12 }, (_, i) => push(PLAIN_APP, 'plain', 'json', fields('text', { fromUserName: 'o_cluster', content: `n${i}` })))
  for (const p of pushes) t.equal((await send(app, PLAIN_APP.appid, p)).statusCode, 200)
  t.equal(await app.prisma.customerMessage.count(), 12)
  for (const p of pushes.slice(0, 3)) t.equal((await send(app, PLAIN_APP.appid, p)).statusCode, 200, 'a retry is fine')
  const forged = { ...pushes[0]!, body: stringifyFlat(fields('text', { fromUserName: 'o_cluster', content: 'forged' })) }
  const replay = await send(app, PLAIN_APP.appid, forged)
  t.equal(replay.statusCode, 401)
  t.equal(replay.json().code, 'KEFU_INGEST_REPLAYED_NONCE')
  t.equal(await app.prisma.customerMessage.count(), 12, 'nothing more stored')

  for (let i = 0; i < 250 && !announced.some((m) => m.includes('o_cluster')); i++) await delay(20)
  t.ok(announced.some((m) => m.includes('o_cluster')), 'the stored rows were announced on the cluster')
})
