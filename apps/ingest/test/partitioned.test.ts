import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { PLAIN_APP, SAFE_APP, build, fields, fileDatabase, push, send } from './helper.js'

// customer_message is partitioned by month on wechat_create_time (WeChat's CreateTime), so its unique key is
// (app_id, dedupe_key, wechat_create_time): WeChat retries a push with the same MsgId and the same CreateTime.
const db = await fileDatabase(t, 'ingest_partitioned')

async function rows (app: FastifyInstance, openid: string): Promise<Array<{ msg_id: string | null, wechat_create_time: string, part: string }>> {
  return await app.prisma.$queryRawUnsafe(`SELECT msg_id, wechat_create_time::text, tableoid::regclass::text AS part
    FROM customer_message WHERE openid = $1 ORDER BY id`, openid)
}

function month (seconds: number): string {
  const d = new Date(seconds * 1000)
  return `customer_message_y${d.getUTCFullYear()}m${String(d.getUTCMonth() + 1).padStart(2, '0')}`
}

t.test('a message WeChat retries (same MsgId, same CreateTime) is one row, in JSON, XML and encrypted', async (t) => {
  const app = await build(t, db)
  const createTime = Math.floor(Date.now() / 1000)
  const forms = [
    { name: 'plain json', app: PLAIN_APP, mode: 'plain', format: 'json' },
    { name: 'plain xml', app: PLAIN_APP, mode: 'plain', format: 'xml' },
    { name: 'safe json', app: SAFE_APP, mode: 'safe', format: 'json' },
    { name: 'safe xml', app: SAFE_APP, mode: 'safe', format: 'xml' },
    { name: 'compatible xml', app: SAFE_APP, mode: 'compat', format: 'xml' }
  ] as const
  for (const [i, form] of forms.entries()) {
    const openid = `o_part_retry_${i}`
    const f = fields('text', { fromUserName: openid, createTime, msgId: 7_000_000_000_000_000_000n + BigInt(i) })
    // Each retry is a new request (fresh timestamp and nonce) around the same message.
    const answers = await Promise.all([0, 1, 2].map(async () => await send(app, form.app.appid, push(form.app, form.mode, form.format, f))))
    t.same(answers.map((r) => [r.statusCode, r.body]), [[200, 'success'], [200, 'success'], [200, 'success']], `${form.name}: every delivery acknowledged`)
    t.same(await rows(app, openid), [{ msg_id: String(7_000_000_000_000_000_000n + BigInt(i)), wechat_create_time: String(createTime), part: month(createTime) }],
      `${form.name}: one row, in this month's partition`)
  }
})

t.test('messages either side of a month boundary land in their own months; one far outside every month is still stored', async (t) => {
  const app = await build(t, db)
  const now = new Date()
  const boundary = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1) / 1000
  const times = [boundary - 1, boundary, Date.UTC(2041, 4, 1) / 1000, Date.UTC(2001, 0, 1) / 1000]
  for (const [i, createTime] of times.entries()) {
    const format = i % 2 === 0 ? 'xml' : 'json'
    const res = await send(app, SAFE_APP.appid, push(SAFE_APP, 'safe', format, fields('text', { fromUserName: 'o_part_months', createTime, msgId: 7_100_000_000_000_000_000n + BigInt(i) })))
    t.equal(res.statusCode, 200, `CreateTime ${new Date(createTime * 1000).toISOString()} acknowledged`)
  }
  t.same((await rows(app, 'o_part_months')).map((r) => [r.wechat_create_time, r.part]), [
    [String(boundary - 1), month(boundary - 1)],
    [String(boundary), month(boundary)],
    [String(times[2]), 'customer_message_default'],
    [String(times[3]), 'customer_message_default']
  ])
  t.not(month(boundary - 1), month(boundary))
  const again = await send(app, SAFE_APP.appid, push(SAFE_APP, 'safe', 'json', fields('text', { fromUserName: 'o_part_months', createTime: times[2], msgId: 7_100_000_000_000_000_002n })))
  t.equal(again.statusCode, 200)
  t.equal((await rows(app, 'o_part_months')).length, 4, 'a retry of the row in the default partition is a duplicate too')
})
