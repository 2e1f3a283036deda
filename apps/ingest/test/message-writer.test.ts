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

/** A pool whose statements answer when the test says: each query's rows are the dedupe keys its batch went in with. */
function controlledPool () {
  const statements: Array<{ finish: () => void }> = []
  let writing: MessageRow[] = []
  const pool = {
    async connect () {
      return {
        on () {},
        removeListener () {},
        query: () => new Promise((resolve) => {
          const rows = writing.map((r, i) => [String(i), r.appId, r.dedupeKey])
          statements.push({ finish: () => { resolve({ rows }) } })
        }),
        release () {}
      }
    }
  } as unknown as pg.Pool
  return { pool, statements, batch: (rows: MessageRow[]) => { writing = rows } }
}

t.test('a second batch starts only once the one in flight has run overlapAfterMs: rows that arrive meanwhile go together', async (t) => {
  const { pool, statements, batch } = controlledPool()
  const writer = new MessageWriter(pool, { concurrency: 2, overlapAfterMs: 80, timeoutMs: 10_000 })
  t.teardown(() => { writer.close() })
  batch([row(1)])
  const first = writer.write(row(1))
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(statements.length, 1, 'the first row went at once, alone')
  batch([row(2), row(3), row(4)])
  const rest = [2, 3, 4].map((i) => writer.write(row(i)))
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal(statements.length, 1, 'while the first statement runs (under 80 ms), the rows written meanwhile wait')
  // The first statement commits promptly: the three waiting rows go in one statement, not three.
  statements[0]!.finish()
  t.equal(await first, 'stored')
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(statements.length, 2, 'the waiting rows went together in the next statement')
  statements[1]!.finish()
  t.same(await Promise.all(rest), ['stored', 'stored', 'stored'])

  // A statement that stalls does not hold the next batch up for longer than overlapAfterMs.
  batch([row(5)])
  const stalled = writer.write(row(5))
  await new Promise((resolve) => setImmediate(resolve))
  batch([row(6)])
  const started = performance.now()
  const next = writer.write(row(6))
  while (statements.length < 4 && performance.now() - started < 2000) await new Promise((resolve) => setTimeout(resolve, 5))
  t.equal(statements.length, 4, 'a second statement started while the first still ran')
  t.ok(performance.now() - started >= 60, 'not before the first had run about overlapAfterMs')
  statements[3]!.finish()
  t.equal(await next, 'stored', 'the row behind the stalled statement is stored without waiting for it')
  statements[2]!.finish()
  t.equal(await stalled, 'stored')
})

t.test('with overlapAfterMs 0 a second batch starts as soon as a slot is free', async (t) => {
  const { pool, statements, batch } = controlledPool()
  const writer = new MessageWriter(pool, { concurrency: 2, overlapAfterMs: 0, timeoutMs: 10_000 })
  t.teardown(() => { writer.close() })
  batch([row(1)])
  const first = writer.write(row(1))
  await new Promise((resolve) => setImmediate(resolve))
  batch([row(2)])
  const second = writer.write(row(2))
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(statements.length, 2, 'two statements in flight at once')
  for (const s of statements) s.finish()
  t.same(await Promise.all([first, second]), ['stored', 'stored'])
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
