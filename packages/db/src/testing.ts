import crypto from 'node:crypto'
import pg from 'pg'
import { startEmbeddedPostgres } from './embedded.js'
import { migrate } from './migrate.js'

export interface TestDatabase {
  /** URL of a fresh, migrated database that belongs to this test file alone. */
  url: string
  /** 'postgres' when DATABASE_URL points at a real server, 'embedded' otherwise. */
  kind: 'postgres' | 'embedded'
  /** Pool size the database takes (embedded PostgreSQL is single-connection). */
  poolMax: number
  drop: () => Promise<void>
}

/**
 * A database of its own for one test file: a new database on the server at DATABASE_URL (dropped afterwards), or an
 * in-memory embedded PostgreSQL when DATABASE_URL is unset. Migrated with the committed migrations unless told not to.
 */
export async function createTestDatabase (label: string, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const admin = process.env.DATABASE_URL
  if (admin === undefined || admin === '') {
    const server = await startEmbeddedPostgres()
    if (options.migrate !== false) await migrate(server.url)
    return { url: server.url, kind: 'embedded', poolMax: 1, drop: () => server.close() }
  }
  const name = `kefu_t_${label.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 30)}_${crypto.randomBytes(4).toString('hex')}`
  const client = new pg.Client({ connectionString: admin })
  await client.connect()
  try {
    await client.query(`CREATE DATABASE "${name}"`)
  } finally {
    await client.end()
  }
  const url = new URL(admin)
  url.pathname = '/' + name
  if (options.migrate !== false) await migrate(url.toString())
  return {
    url: url.toString(),
    kind: 'postgres',
    poolMax: 5,
    async drop () {
      const c = new pg.Client({ connectionString: admin })
      await c.connect()
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
      } finally {
        await c.end()
      }
    }
  }
}

