import fp from 'fastify-plugin'
import type { PrismaClient } from './generated/prisma/client.js'
import { openDatabase } from './database.js'

declare module 'fastify' {
  interface FastifyInstance {
    prisma: PrismaClient
    /** Connections the database takes at once (1 for embedded PostgreSQL). */
    dbConcurrency: number
  }
}

export interface DatabasePluginOptions {
  /** A client owned by the caller (the all-in-one launcher shares one embedded database); not closed here. */
  prisma?: PrismaClient
  /** Connections behind an injected client (default 1). */
  prismaConcurrency?: number
  /** DATABASE_URL; without it, the embedded database under dataDir. */
  databaseUrl?: string
  dataDir?: string
  poolMax?: number
}

/** Decorates `fastify.prisma`: the caller's client, or one this plugin opens and closes with the app. */
export const databasePlugin = fp<DatabasePluginOptions>(async function database (fastify, opts) {
  if (opts.prisma !== undefined) {
    fastify.decorate('prisma', opts.prisma)
    fastify.decorate('dbConcurrency', opts.prismaConcurrency ?? 1)
    return
  }
  const db = await openDatabase({
    url: opts.databaseUrl,
    dataDir: opts.dataDir,
    poolMax: opts.poolMax,
    onPoolError: (err) => fastify.log.warn({ err: err.message }, 'database connection lost'),
    log: (line) => fastify.log.info(line)
  })
  fastify.decorate('prisma', db.prisma)
  fastify.decorate('dbConcurrency', db.embedded ? 1 : (opts.poolMax ?? 10))
  fastify.addHook('onClose', async () => { await db.close() })
}, { name: 'kefu-database' })
