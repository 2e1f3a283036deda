import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { createPrismaClient, type PrismaClient } from '@kefu/db'
import { createTestDatabase } from '@kefu/db/testing'
import { createMemoryBus } from '@kefu/service'
import { startSite } from '@kefu/service/testing'
import workerApp, { type WorkerOptions } from '../src/app.js'

/** A worker as its own process would run it, without a listener (requests through `inject`); closed at teardown. */
export async function startWorker (t: Test, opts: WorkerOptions): Promise<FastifyInstance> {
  return (await startSite(t, workerApp, { ...opts, bus: opts.bus ?? createMemoryBus() }, { quiet: true })).app
}

/** A database of its own for the test, dropped at teardown. */
export async function database (t: Test, label: string): Promise<{ url: string, poolMax: number }> {
  const db = await createTestDatabase(label)
  t.teardown(db.drop)
  return db
}

/** A Prisma client on `db`, disconnected at teardown. */
export function client (t: Test, db: { url: string, poolMax: number }): PrismaClient {
  const prisma = createPrismaClient({ url: db.url, poolMax: db.poolMax })
  t.teardown(() => prisma.$disconnect())
  return prisma
}
