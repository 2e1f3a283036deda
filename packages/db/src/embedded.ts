import { mkdir } from 'node:fs/promises'
import { PGlite } from '@electric-sql/pglite'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'

export interface EmbeddedPostgres {
  /** A postgresql:// URL for one client connection (PGlite is single-connection: use a pool of max 1). */
  url: string
  close: () => Promise<void>
}

export interface EmbeddedPostgresOptions {
  /** Directory for the database files; omit for an in-memory database. */
  dataDir?: string
  host?: string
  /** 0 picks a free port. */
  port?: number
}

/**
 * PostgreSQL without a server: PGlite (PostgreSQL compiled to WebAssembly) behind its wire-protocol socket, so the
 * same pg driver and Prisma adapter talk to it as to a real server.
 */
export async function startEmbeddedPostgres (options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
  if (options.dataDir !== undefined) await mkdir(options.dataDir, { recursive: true })
  const db = options.dataDir === undefined ? await PGlite.create() : await PGlite.create(options.dataDir)
  // Two sockets so a pool can replace a dropped connection before the old handler is gone; one at a time is used.
  const server = new PGLiteSocketServer({ db, host: options.host ?? '127.0.0.1', port: options.port ?? 0, maxConnections: 2 })
  await server.start()
  const conn = server.getServerConn()
  return {
    url: `postgresql://postgres:postgres@${conn}/postgres?sslmode=disable`,
    async close () {
      await server.stop()
      await db.close()
    }
  }
}
