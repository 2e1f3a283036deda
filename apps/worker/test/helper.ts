import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { createMemoryBus } from '@kefu/service'
import { startSite } from '@kefu/service/testing'
import workerApp, { type WorkerOptions } from '../src/app.js'

/** A worker as its own process would run it, without a listener (requests through `inject`); closed at teardown. */
export async function startWorker (t: Test, opts: WorkerOptions): Promise<FastifyInstance> {
  return (await startSite(t, workerApp, { ...opts, bus: opts.bus ?? createMemoryBus() }, { quiet: true })).app
}
