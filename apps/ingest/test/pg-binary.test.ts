import t from 'tap'
import pg from 'pg'
import { int8Array, textArray } from '../src/lib/pg-binary.js'
import { fileDatabase } from './helper.js'

const db = await fileDatabase(t, 'ingest_pg_binary')

t.test('binary arrays read back exactly: NULLs, empty strings, any Unicode, 64-bit integers', async (t) => {
  const client = new pg.Client({ connectionString: db.url })
  await client.connect()
  t.teardown(() => client.end())
  const texts = ['', null, 'ascii', '你好，请问订单什么时候发货？', '🚚 emoji', 'quote " and \\ backslash', 'comma, {brace}', 'a'.repeat(70_000)]
  const ints = ['0', '-1', '1714112445', String(2 ** 53 - 1), String(-(2 ** 53 - 1)), '4294967296', '253402300799', '7']
  const res = await client.query<{ t: string | null, i: string }>({ text: 'SELECT t, i::text FROM unnest($1::text[], $2::bigint[]) AS u(t, i)', values: [textArray(texts), int8Array(ints)] })
  t.same(res.rows.map((r) => r.t), texts)
  t.same(res.rows.map((r) => r.i), ints)
  const empty = await client.query({ text: 'SELECT cardinality($1::text[]) AS n', values: [textArray([])] })
  t.equal(empty.rows[0].n, 0)
})

t.test('an integer beyond ±2^53 is refused before it is sent', async (t) => {
  t.throws(() => int8Array(['9007199254740993']), RangeError)
  t.throws(() => int8Array(['1.5']), RangeError)
})
