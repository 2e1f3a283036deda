import fp from 'fastify-plugin'
import { openDatabase, type PrismaClient } from '@kefu/db'

declare module 'fastify' {
  interface FastifyInstance {
    prisma: PrismaClient
  }
}

export interface DatabasePluginOptions {
  /** A client owned by the caller (the all-in-one launcher shares one embedded database); not closed here. */
  prisma?: PrismaClient
  databaseUrl?: string
  dataDir?: string
  poolMax?: number
}

export default fp<DatabasePluginOptions>(async function database (fastify, opts) {
  if (opts.prisma !== undefined) {
    fastify.decorate('prisma', opts.prisma)
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
  fastify.addHook('onClose', async () => { await db.close() })
}, { name: 'kefu-auth-database' })
