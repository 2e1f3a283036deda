import closeWithGrace from 'close-with-grace'
import Fastify, { LogController, type FastifyInstance, type FastifyPluginAsync, type FastifyPluginOptions, type FastifyServerOptions } from 'fastify'
import type { MetricsListenerConfig } from './config.js'
import { createMetrics, type Metrics } from './metrics.js'
import { listenForMetrics, type MetricsListener } from './metrics-listener.js'

export interface RunServiceOptions<O extends FastifyPluginOptions & { metrics?: Metrics }> {
  /** Shown in the start line, e.g. "ingest". */
  name: string
  app: FastifyPluginAsync<O>
  appOptions: O
  port: number
  host: string
  /** Where `/metrics` is served: a listener of its own, never the public one (METRICS_HOST, METRICS_PORT, METRICS_TOKEN). */
  metrics: MetricsListenerConfig
  logLevel: string
  fastify?: FastifyServerOptions
  /** What to print once listening (URLs, hints); defaults to "<name> listening on <url>". */
  banner?: (url: string) => string
}

/** Builds Fastify, registers the app, closes gracefully on signals, and listens: the app on one listener, its metrics on another. */
export async function runService<O extends FastifyPluginOptions & { metrics?: Metrics }> (options: RunServiceOptions<O>): Promise<FastifyInstance> {
  const fastify = Fastify({
    logger: { level: options.logLevel },
    // Services log one line per request of their own (e.g. ingest's per-push line), not Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    keepAliveTimeout: 65_000,
    ...options.fastify
  })
  const metrics = createMetrics()
  await fastify.register(options.app, { ...options.appOptions, metrics })
  let metricsListener: MetricsListener | undefined
  closeWithGrace({ delay: 10_000 }, async function closeService ({ err, signal }) {
    if (err !== undefined) fastify.log.error({ err }, `${options.name}: closing after an uncaught error`)
    else fastify.log.info(`${options.name}: ${signal ?? 'close'} received, closing`)
    await fastify.close()
    await metricsListener?.close()
  })
  await fastify.ready()
  metricsListener = await listenForMetrics(metrics, options.metrics, fastify.log.child({ listener: 'metrics' }))
  const address = await fastify.listen({ port: options.port, host: options.host })
  fastify.log.info((options.banner ?? ((url: string) => `${options.name} listening on ${url}`))(address))
  fastify.log.info(`${options.name}: metrics at ${metricsListener.url}${options.metrics.token === undefined ? '' : ' (bearer METRICS_TOKEN)'}`)
  return fastify
}

/** Prints a startup failure (bad config, database unreachable) as one line and exits 1. */
export function exitOnStartError (name: string): (err: Error) => never {
  return function startFailed (err) {
    process.stderr.write(`${name}: ${err.message}\n`)
    process.exit(1)
  }
}
