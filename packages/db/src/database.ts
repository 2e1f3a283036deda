import path from 'node:path'
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'
import { PrismaClient } from './generated/prisma/client.js'
import { startEmbeddedPostgres } from './embedded.js'
import { migrate } from './migrate.js'
import { defaultDataDir } from './paths.js'

export interface PrismaOptions {
  url: string
  /** Pool size; embedded PostgreSQL takes exactly 1. */
  poolMax?: number
  /** How long to wait for a connection before failing (a down database must not hang requests). */
  connectTimeoutMs?: number
  onPoolError?: (err: Error) => void
}

const pools = new WeakMap<PrismaClient, pg.Pool>()

/**
 * A Prisma client over a node-postgres pool that this package creates, so the pool can also be reached directly
 * (`pgPoolOf`) by the few hot paths where Prisma's per-query overhead matters; the client ends the pool on
 * `$disconnect`.
 */
export function createPrismaClient (options: PrismaOptions): PrismaClient {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 2000,
    idleTimeoutMillis: 30_000
  })
  // Listened to from the start: an idle connection that drops before Prisma's first query must not crash the process.
  pool.on('error', options.onPoolError ?? (() => {}))
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) })
  pools.set(prisma, pool)
  return prisma
}

/**
 * The node-postgres pool under a client made by `createPrismaClient` (the same connections and limit), or
 * undefined for a client made elsewhere.
 */
export function pgPoolOf (prisma: PrismaClient): pg.Pool | undefined {
  return pools.get(prisma)
}

/** Prisma ends the pool only if it ever connected; the pool may have been used without it. */
async function disconnect (prisma: PrismaClient): Promise<void> {
  await prisma.$disconnect()
  const pool = pools.get(prisma)
  if (pool !== undefined && !pool.ended) await pool.end()
}

export interface Database {
  prisma: PrismaClient
  url: string
  /** True when this process runs the embedded PostgreSQL (PGlite). */
  embedded: boolean
  close: () => Promise<void>
}

export interface OpenDatabaseOptions {
  /** DATABASE_URL; omit for embedded PostgreSQL persisted under dataDir. */
  url?: string
  /** Embedded mode: where the files live (default ./data/pg at the repository root); 'memory' for none. */
  dataDir?: string
  poolMax?: number
  onPoolError?: (err: Error) => void
  log?: (line: string) => void
}

/**
 * The database an app runs on: the PostgreSQL at `url`, or, without one, an embedded PostgreSQL that is migrated
 * on open so a fresh checkout runs with nothing installed. Real databases are migrated by `pnpm db:migrate`.
 */
export async function openDatabase (options: OpenDatabaseOptions = {}): Promise<Database> {
  if (options.url !== undefined && options.url !== '') {
    const prisma = createPrismaClient({ url: options.url, poolMax: options.poolMax, onPoolError: options.onPoolError })
    return { prisma, url: options.url, embedded: false, close: () => disconnect(prisma) }
  }
  const dataDir = options.dataDir === 'memory' ? undefined : (options.dataDir ?? path.join(defaultDataDir(), 'pg'))
  const server = await startEmbeddedPostgres({ dataDir })
  try {
    await migrate(server.url, { log: options.log })
  } catch (err) {
    await server.close()
    throw err
  }
  const prisma = createPrismaClient({ url: server.url, poolMax: 1, onPoolError: options.onPoolError })
  return {
    prisma,
    url: server.url,
    embedded: true,
    async close () {
      await disconnect(prisma)
      await server.close()
    }
  }
}
