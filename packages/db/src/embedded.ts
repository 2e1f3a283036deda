import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
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
  const dataDir = options.dataDir
  let releaseLock = async (): Promise<void> => {}
  if (dataDir !== undefined) {
    await mkdir(dataDir, { recursive: true })
    releaseLock = await lockDataDir(dataDir)
  }
  let db: PGlite
  try {
    db = dataDir === undefined ? await PGlite.create() : await PGlite.create(dataDir)
  } catch (err) {
    await releaseLock()
    throw err
  }
  // Two sockets so a pool can replace a dropped connection before the old handler is gone; one at a time is used.
  const server = new PGLiteSocketServer({ db, host: options.host ?? '127.0.0.1', port: options.port ?? 0, maxConnections: 2 })
  await server.start()
  const conn = server.getServerConn()
  return {
    url: `postgresql://postgres:postgres@${conn}/postgres?sslmode=disable`,
    async close () {
      await server.stop()
      await db.close()
      await releaseLock()
    }
  }
}

export class EmbeddedDatabaseBusyError extends Error {
  override name = 'EmbeddedDatabaseBusyError'
}

/**
 * Embedded PostgreSQL is one process's files: a second process opening them would corrupt them. A lock file with
 * the owner's pid keeps a second one out; a lock left by a process that no longer runs (a crash) is taken over.
 */
async function lockDataDir (dataDir: string): Promise<() => Promise<void>> {
  const file = path.join(dataDir, 'kefu.lock')
  for (;;) {
    try {
      await writeFile(file, String(process.pid), { flag: 'wx' })
      return async () => { await rm(file, { force: true }) }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim())
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isRunning(owner)) {
      throw new EmbeddedDatabaseBusyError(`the embedded database in ${dataDir} is in use by process ${owner} (pnpm start?): stop it first, or set DATABASE_URL to a PostgreSQL server`)
    }
    await rm(file, { force: true })
  }
}

function isRunning (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
