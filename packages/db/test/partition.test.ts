import t from 'tap'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { createTestDatabase } from '../src/testing.js'
import { migrate, readMigrations, MIGRATIONS_DIR } from '../src/index.js'
import { query } from './helpers.js'

const PARTITIONED = '20261211110000_customer_message_partitioned'
const real = process.env.DATABASE_URL !== undefined && process.env.DATABASE_URL !== ''

/** Unix seconds of a UTC instant. */
const at = (iso: string): number => Date.parse(iso) / 1000

function monthName (d: Date): string {
  return `customer_message_y${d.getUTCFullYear()}m${String(d.getUTCMonth() + 1).padStart(2, '0')}`
}

async function partitions (url: string): Promise<string[]> {
  return (await query<{ name: string }>(url, `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'customer_message'::regclass ORDER BY 1`)).map((r) => r.name)
}

async function placed (url: string): Promise<Array<{ key: string, part: string }>> {
  return await query<{ key: string, part: string }>(url, 'SELECT dedupe_key AS key, tableoid::regclass::text AS part FROM customer_message ORDER BY id')
}

const insert = (key: string, time: number, event: string | null = null, info = '{}'): string =>
  `INSERT INTO customer_message (app_id, dedupe_key, openid, to_username, from_username, msg_type, event, msg_info, payload, format, wechat_create_time)
   VALUES ('wx1', '${key}', 'o1', 'gh', 'o1', '${event === null ? 'text' : 'event'}', ${event === null ? 'NULL' : `'${event}'`}, '${info}', '{}', 'json', ${time})`

t.test('the migration moves a table that has rows into monthly partitions, keys and ids intact', async (t) => {
  const db = await createTestDatabase('partition_migrate', { migrate: false })
  t.teardown(db.drop)
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-migrations-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  for (const m of await readMigrations()) {
    if (m.name < PARTITIONED) await cp(path.join(MIGRATIONS_DIR, m.name), path.join(dir, m.name), { recursive: true })
  }
  await migrate(db.url, { migrationsDir: dir })
  await query(db.url, [
    insert('m:1', at('2026-10-31T23:59:59Z')),
    insert('m:2', at('2026-11-01T00:00:00Z')),
    insert('m:3', at('2026-11-15T12:00:00Z')),
    insert('m:far', at('2031-01-01T00:00:00Z'))
  ].join(';\n'))
  const before = await query<{ id: string, dedupe_key: string }>(db.url, 'SELECT id::text, dedupe_key FROM customer_message ORDER BY id')

  const result = await migrate(db.url)
  t.same(result.applied.filter((m) => m <= PARTITIONED), [PARTITIONED], 'the partitioning migration, then any later ones')
  const kind = await query<{ relkind: string, strategy: string }>(db.url, `SELECT c.relkind::text, pt.partstrat::text AS strategy
    FROM pg_class c JOIN pg_partitioned_table pt ON pt.partrelid = c.oid WHERE c.relname = 'customer_message'`)
  t.same(kind, [{ relkind: 'p', strategy: 'r' }], 'partitioned by range')
  t.same(await query(db.url, 'SELECT id::text, dedupe_key FROM customer_message ORDER BY id'), before, 'every row moved, ids kept')
  t.same((await placed(db.url)).map((r) => r.part), [
    'customer_message_y2026m10', 'customer_message_y2026m11', 'customer_message_y2026m11', 'customer_message_y2031m01'
  ], 'each row in its month, the month boundary exact')
  const now = new Date()
  const names = await partitions(db.url)
  for (let i = 0; i <= 3; i++) {
    const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + i, 1))
    t.ok(names.includes(monthName(month)), `${monthName(month)} created ahead`)
  }
  t.ok(names.includes('customer_message_default'), 'a default partition')
  t.equal(await query(db.url, "SELECT to_regclass('customer_message_unpartitioned') AS t").then((r) => r[0]?.t), null, 'the old table is gone')

  await query(db.url, insert('m:4', at('2026-11-20T00:00:00Z')))
  const ids = await query<{ id: string }>(db.url, "SELECT id::text FROM customer_message WHERE dedupe_key = 'm:4'")
  t.ok(BigInt(ids[0]!.id) > BigInt(before.at(-1)!.id), 'the id sequence carries on')
  await t.rejects(query(db.url, insert('m:3', at('2026-11-15T12:00:00Z'))), /duplicate key/, 'a retry of a moved row is refused')
  const popup = JSON.stringify({ event: 'subscribe_msg_popup_event', list: [{ template_id: 'T1', status: 'accept', popup_scene: '0' }] })
  await query(db.url, insert('e:popup', at('2026-11-20T00:00:01Z'), 'subscribe_msg_popup_event', popup))
  t.same(await query(db.url, "SELECT template_id, remaining FROM subscribe_quota WHERE openid = 'o1'"), [{ template_id: 'T1', remaining: 1 }],
    'the subscribe trigger fires on the partitioned table')
})

t.test('a row outside every partition goes to the default one, and moves when its month is created', async (t) => {
  const db = await createTestDatabase('partition_default')
  t.teardown(db.drop)
  const far = at('2035-06-10T00:00:00Z')
  await query(db.url, insert('m:far', far))
  t.same(await placed(db.url), [{ key: 'm:far', part: 'customer_message_default' }], 'stored, not refused')
  await query(db.url, insert('m:ancient', 86_400))
  t.equal((await placed(db.url))[1]?.part, 'customer_message_default')
  t.same(await query(db.url, "SELECT customer_message_create_partition('2035-06-01') AS created"), [{ created: true }])
  t.same(await query(db.url, "SELECT customer_message_create_partition('2035-06-01') AS created"), [{ created: false }], 'once')
  t.same((await placed(db.url)).map((r) => r.part), ['customer_message_y2035m06', 'customer_message_default'], 'moved into its month')
  await t.rejects(query(db.url, insert('m:far', far)), /duplicate key/, 'and still unique')
})

t.test('ensure_partitions creates what is missing, once, however many call it at a time', async (t) => {
  const db = await createTestDatabase('partition_ensure')
  t.teardown(db.drop)
  t.same(await query(db.url, 'SELECT customer_message_ensure_partitions(3) AS n'), [{ n: 0 }], 'the migration made this month and the next three')
  const callers = real ? 6 : 1
  const clients = await Promise.all(Array.from({ length: callers }, async () => {
    const c = new pg.Client({ connectionString: db.url })
    await c.connect()
    return c
  }))
  t.teardown(() => Promise.all(clients.map((c) => c.end())))
  const created = await Promise.all(clients.map(async (c) => (await c.query<{ n: number }>('SELECT customer_message_ensure_partitions(12) AS n')).rows[0]!.n))
  t.equal(created.reduce((a, b) => a + b, 0), 9, 'nine more months, each created by one caller')
  t.equal((await partitions(db.url)).filter((n) => /_y\d{4}m\d{2}$/.test(n)).length, 13)
  const expired = await query<{ name: string, hi: string }>(db.url, `SELECT name, hi::text FROM customer_message_partitions_before(${at('2100-01-01T00:00:00Z')})`)
  t.equal(expired.length, 13, 'every monthly partition lies before 2100, the default one never counts')
  t.same(await query(db.url, `SELECT name FROM customer_message_partitions_before(${Math.floor(Date.now() / 1000)})`), [], 'none of them has ended yet')
})
