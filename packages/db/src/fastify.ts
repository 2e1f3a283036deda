import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { PrismaClient } from './generated/prisma/client.js'
import { openDatabase } from './database.js'

declare module 'fastify' {
  interface FastifyInstance {
    prisma: PrismaClient
    /**
     * For reads that may lag a little (search, reports, browsing history): a replica's client with DATABASE_READ_URL,
     * otherwise `prisma` itself. Never for a read that must see what this request or the one before it wrote.
     */
    replica: PrismaClient
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
  /** DATABASE_READ_URL: a read replica of that database (a hot standby), for `fastify.replica`. */
  databaseReadUrl?: string
}

/** Decorates `fastify.prisma`: the caller's client, or one this plugin opens and closes with the app. */
export const databasePlugin = fp<DatabasePluginOptions>(async function database (fastify, opts) {
  if (opts.prisma !== undefined) {
    fastify.decorate('prisma', opts.prisma)
    fastify.decorate('dbConcurrency', opts.prismaConcurrency ?? 1)
  } else {
    await openPrimary(fastify, opts)
  }
  if (opts.databaseReadUrl === undefined) {
    fastify.decorate('replica', fastify.prisma)
    return
  }
  const replica = await openDatabase({
    url: opts.databaseReadUrl,
    poolMax: opts.poolMax,
    onPoolError: (err) => fastify.log.warn({ err: err.message }, 'read replica connection lost')
  })
  fastify.decorate('replica', replica.prisma)
  fastify.addHook('onClose', async () => { await replica.close() })
}, { name: 'kefu-database' })

async function openPrimary (fastify: FastifyInstance, opts: DatabasePluginOptions): Promise<void> {
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
}
