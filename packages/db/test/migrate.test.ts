import t from 'tap'
import crypto from 'node:crypto'
import { mkdtemp, mkdir, writeFile, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createTestDatabase } from '../src/testing.js'
import { migrate, readMigrations, MIGRATIONS_DIR, MigrationError } from '../src/index.js'
import { schemaSql } from '../scripts/schema-sql.mjs'
import { describeSchema, query } from './helpers.js'

t.test('the committed migrations produce exactly the schema Prisma derives from schema.prisma', async (t) => {
  const migrated = await createTestDatabase('schema_migrated')
  t.teardown(migrated.drop)
  const expected = await createTestDatabase('schema_expected', { migrate: false })
  t.teardown(expected.drop)
  const sql = await schemaSql({ url: expected.url })
  await query(expected.url, sql)
  const want = await describeSchema(expected.url)
  const got = await describeSchema(migrated.url)
  t.ok(want.columns.length > 20, 'the schema has the customer_message columns')
  t.same(got.columns, want.columns, 'columns')
  t.same(got.indexes, want.indexes, 'indexes')
  t.same(got.constraints, want.constraints, 'constraints')
})

t.test('migrations are recorded the way prisma migrate deploy records them', async (t) => {
  const db = await createTestDatabase('migrate_record', { migrate: false })
  t.teardown(db.drop)
  const first = await migrate(db.url)
  const files = await readMigrations()
  t.same(first.applied, files.map((f) => f.name))
  const rows = await query<{ migration_name: string, checksum: string, finished_at: Date | null, applied_steps_count: number, id: string }>(
    db.url, 'SELECT * FROM "_prisma_migrations" ORDER BY migration_name')
  t.equal(rows.length, files.length)
  for (const [i, row] of rows.entries()) {
    const sql = await readFile(path.join(MIGRATIONS_DIR, files[i]!.name, 'migration.sql'), 'utf8')
    t.equal(row.checksum, crypto.createHash('sha256').update(sql).digest('hex'), 'sha256 of migration.sql')
    t.ok(row.finished_at instanceof Date)
    t.equal(row.applied_steps_count, 1)
    t.match(row.id, /^[0-9a-f-]{36}$/)
  }
  const second = await migrate(db.url)
  t.same(second.applied, [], 'a second run applies nothing')
  t.same(second.alreadyApplied, files.map((f) => f.name))
})

t.test('a failing migration is recorded, rolled back, and blocks later runs', async (t) => {
  const db = await createTestDatabase('migrate_fail', { migrate: false })
  t.teardown(db.drop)
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-migrations-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await mkdir(path.join(dir, '20200101000000_good'))
  await writeFile(path.join(dir, '20200101000000_good', 'migration.sql'), 'CREATE TABLE good (id int);')
  await mkdir(path.join(dir, '20200102000000_bad'))
  await writeFile(path.join(dir, '20200102000000_bad', 'migration.sql'), 'CREATE TABLE half (id int);\nSELECT no_such_function();')
  await t.rejects(migrate(db.url, { migrationsDir: dir }), MigrationError)
  const tables = await query<{ table_name: string }>(db.url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1")
  t.same(tables.map((r) => r.table_name), ['_prisma_migrations', 'good'], 'the failed migration left nothing behind')
  const failed = await query<{ logs: string | null, finished_at: Date | null }>(db.url, `SELECT logs, finished_at FROM "_prisma_migrations" WHERE migration_name = '20200102000000_bad'`)
  t.equal(failed[0]?.finished_at, null)
  t.match(failed[0]?.logs, /no_such_function/)
  await t.rejects(migrate(db.url, { migrationsDir: dir }), /failed earlier/, 'later runs refuse until it is resolved')
})
