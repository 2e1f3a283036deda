import crypto from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import pg from 'pg'
import { MIGRATIONS_DIR } from './paths.js'

/** The lock id `prisma migrate deploy` takes, so this runner and Prisma's never run at once. */
const PRISMA_MIGRATE_LOCK = 72707369

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`

export interface MigrationFile { name: string, sql: string, checksum: string }
export interface MigrateResult { applied: string[], alreadyApplied: string[] }
export interface MigrateOptions {
  migrationsDir?: string
  log?: (line: string) => void
}

export class MigrationError extends Error {
  override name = 'MigrationError'
}

/** The committed migrations, in Prisma's layout (<dir>/<timestamp>_<name>/migration.sql), oldest first. */
export async function readMigrations (migrationsDir: string = MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true })
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort()
  const files: MigrationFile[] = []
  for (const name of names) {
    const sql = await readFile(path.join(migrationsDir, name, 'migration.sql'), 'utf8')
    files.push({ name, sql, checksum: crypto.createHash('sha256').update(sql).digest('hex') })
  }
  return files
}

/**
 * Applies the committed migrations the way `prisma migrate deploy` does, and records each in `_prisma_migrations`
 * with Prisma's columns and checksum (sha256 of migration.sql), so either tool can take over from the other.
 * Refuses to run past a failed migration (Prisma's P3009) and reports an edited one (checksum mismatch).
 */
export async function migrate (url: string, options: MigrateOptions = {}): Promise<MigrateResult> {
  const log = options.log ?? (() => {})
  const migrations = await readMigrations(options.migrationsDir)
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK])
    try {
      await client.query(CREATE_TABLE)
      const { rows } = await client.query<{ migration_name: string, checksum: string, finished_at: Date | null, rolled_back_at: Date | null }>(
        'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at'
      )
      const failed = rows.find((r) => r.finished_at === null && r.rolled_back_at === null)
      if (failed !== undefined) {
        throw new MigrationError(`migration ${failed.migration_name} failed earlier; fix the database, then mark it rolled back (prisma migrate resolve --rolled-back ${failed.migration_name})`)
      }
      const done = new Map(rows.filter((r) => r.finished_at !== null && r.rolled_back_at === null).map((r) => [r.migration_name, r.checksum]))
      const result: MigrateResult = { applied: [], alreadyApplied: [] }
      for (const migration of migrations) {
        const checksum = done.get(migration.name)
        if (checksum !== undefined) {
          if (checksum !== migration.checksum) log(`warning: migration ${migration.name} was modified after it was applied`)
          result.alreadyApplied.push(migration.name)
          continue
        }
        const id = crypto.randomUUID()
        await client.query('INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, now())', [id, migration.checksum, migration.name])
        try {
          await client.query('BEGIN')
          await client.query(migration.sql)
          await client.query('COMMIT')
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {})
          const message = (err as Error).message
          await client.query('UPDATE "_prisma_migrations" SET logs = $2 WHERE id = $1', [id, message])
          throw new MigrationError(`migration ${migration.name} failed: ${message}`)
        }
        await client.query('UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1', [id])
        log(`applied ${migration.name}`)
        result.applied.push(migration.name)
      }
      return result
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK]).catch(() => {})
    }
  } finally {
    await client.end()
  }
}
