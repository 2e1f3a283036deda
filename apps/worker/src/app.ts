import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { assignmentSweep } from '@kefu/assignment'
import { databasePlugin, defaultDataDir } from '@kefu/db'
import { DEFAULT_MEDIA_MAX_BYTES, history } from '@kefu/history'
import { miniProgramsPlugin } from '@kefu/mini-programs'
import { busPlugin, healthRoutes, installErrorHandler, metricsPlugin, redisPlugin } from '@kefu/service'
import type { WorkerOptions } from './options.js'
import { openWechatMedia } from './wechat.js'

/**
 * The worker: what kefu does in the background, apart from any request. The history jobs of @kefu/history (the
 * search index, media fetched from WeChat into the media store, retention, customer_message's partitions ahead) and
 * the automatic-assignment sweep. Any number of instances run at once: each job claims its rows (FOR UPDATE SKIP
 * LOCKED) or holds an advisory lock. Serves /healthz and /readyz only.
 */
export default async function workerApp (fastify: FastifyInstance, opts: WorkerOptions): Promise<void> {
  const now = opts.now ?? Date.now
  installErrorHandler(fastify, 'KEFU_WORKER')
  await fastify.register(metricsPlugin, { metrics: opts.metrics })
  await fastify.register(databasePlugin, opts)
  await fastify.register(redisPlugin, opts)
  await fastify.register(busPlugin, opts)
  await fastify.register(miniProgramsPlugin, { registry: opts.miniPrograms, configured: opts.apps, secretKeys: opts.secretKeys })

  const maxBytes = opts.history?.maxBytes ?? DEFAULT_MEDIA_MAX_BYTES
  const source = opts.mediaSource ?? await openWechatMedia(fastify, {
    baseUrl: opts.wechatApiBase,
    maxMediaBytes: maxBytes,
    tokenPrefix: opts.wechatTokenPrefix ?? 'kefu:console:wechat:token:',
    component: opts.component === undefined || opts.secretKeys === undefined
      ? undefined
      : { config: opts.component, secretKeys: opts.secretKeys, tokenPrefix: opts.componentTokenPrefix ?? 'kefu:wechat-component:' },
    fetch: opts.fetch,
    now
  })
  await fastify.register(history, {
    ...opts.history,
    // Each default by itself: a setting passed along as undefined must not erase it.
    store: opts.history?.store ?? { kind: 'fs', dir: path.join(defaultDataDir(), 'media') },
    worker: opts.history?.worker ?? true,
    source,
    now: opts.now
  })

  await fastify.register(assignmentSweep, {
    sweepMs: opts.autoAssignSweepMs,
    connectedWithinS: opts.connectedWithinS,
    apps: () => fastify.miniPrograms.list().map((p) => p.appid),
    now
  })

  await fastify.register(healthRoutes, { ready: async () => { await fastify.prisma.$queryRawUnsafe('SELECT 1') } })
}

export type { WorkerOptions } from './options.js'
export { appOptions, loadConfig, serverOptions, type WorkerConfig } from './config.js'
