// The writer's own guarantees. On a pool that never answers: a push never waits past the write timeout, queued or
// in flight, and a statement that hangs gives its connection back (destroyed) instead of holding its slot. On a real
// database: identical rows in one batch are one row, reported stored (and announced) once.
import t from 'tap'
import pg from 'pg'
import { MessageWriter, WriteTimeoutError, type StoredMessage } from '../src/lib/message-writer.js'
import type { MessageRow } from '../src/lib/message-row.js'
import { fileDatabase } from './helper.js'

function row (i: number): MessageRow {
  return {
    appId: 'wx1', dedupeKey: `m:${i}`, signature: 's', timestamp: '1', nonce: 'n', openid: 'o', encryptType: null, msgSignature: null,
    toUsername: 'gh', fromUsername: 'o', msgType: 'text', event: null, msgInfo: '{}', msgId: String(i), encrypt: null, payload: '{}',
    format: 'json', wechatCreateTime: '1714112445'
  }
}

t.test('rows in flight and rows queued behind them all fail with WriteTimeoutError when the database hangs', async (t) => {
  const released: Array<Error | undefined> = []
  const queries: Array<{ name?: string, query_timeout?: number }> = []
  const hangingPool = {
    async connect () {
      return {
        on () {},
        removeListener () {},
        query: (q: { name?: string, query_timeout?: number }) => { queries.push(q); return new Promise(() => {}) },
        release: (err?: Error) => { released.push(err) }
      }
    }
  } as unknown as pg.Pool
  const writer = new MessageWriter(hangingPool, { concurrency: 1, maxBatch: 2, timeoutMs: 200 })
  // The writer's sweeper does not hold the process open (a real pool's sockets do): this timer stands in for them.
  const alive = setInterval(() => {}, 1000)
  t.teardown(() => { writer.close(); clearInterval(alive) })
  const outcomes = await Promise.allSettled([1, 2, 3, 4, 5].map((i) => writer.write(row(i))))
  t.same(outcomes.map((o) => o.status), ['rejected', 'rejected', 'rejected', 'rejected', 'rejected'])
  for (const o of outcomes) t.ok(o.status === 'rejected' && o.reason instanceof WriteTimeoutError, 'WriteTimeoutError')
  t.equal(queries.length, 1, 'one batch in flight (concurrency 1), the others waited in the queue')
  t.equal(queries[0]!.query_timeout, 200, 'the statement itself is bounded by the same timeout, so its slot comes back')
  t.match(queries[0]!.name, /^kefu_ingest_insert_/)
})

t.test('many identical rows in one batch: one row stored, reported stored once and announced once', async (t) => {
  const db = await fileDatabase(t, 'ingest_writer_batch')
  const pool = new pg.Pool({ connectionString: db.url, max: 1 })
  t.teardown(() => pool.end())
  const announced: StoredMessage[][] = []
  const writer = new MessageWriter(pool, { concurrency: 1, timeoutMs: 10_000, onStored: (rows) => { announced.push(rows) } })
  t.teardown(() => { writer.close() })
  // With one batch in flight, everything written meanwhile waits and goes in the next statement together.
  const first = writer.write(row(1))
  const copies = Array.from({ length: 20 }, () => writer.write(row(2)))
  t.equal(await first, 'stored')
  const outcomes = await Promise.all(copies)
  t.equal(outcomes.filter((o) => o === 'stored').length, 1, 'one of the identical rows is reported stored')
  t.equal(outcomes.filter((o) => o === 'duplicate').length, 19, 'the others are duplicates')
  t.same(announced.map((rows) => rows.length), [1, 1], 'each batch announces each new row once')
  const { rows } = await pool.query<{ n: string }>("SELECT count(*)::text AS n FROM customer_message WHERE app_id = 'wx1' AND dedupe_key = 'm:2'")
  t.equal(rows[0]!.n, '1', 'one row in the database')
})
