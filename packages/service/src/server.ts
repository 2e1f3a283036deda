import closeWithGrace from 'close-with-grace'
import Fastify, { LogController, type FastifyInstance, type FastifyPluginAsync, type FastifyPluginOptions, type FastifyServerOptions } from 'fastify'
import type { Env, MetricsListenerConfig } from './config.js'
import { createMetrics, type Metrics } from './metrics.js'
import { listenForMetrics, type MetricsListener } from './metrics-listener.js'

/** What every service's config reader gives for starting it (PORT, HOST, METRICS_*, LOG_LEVEL, DRAIN_MS). */
export interface ServiceConfig {
  port: number
  host: string
  /** Where `/metrics` is served: a listener of its own, never the public one (METRICS_HOST, METRICS_PORT, METRICS_TOKEN). */
  metrics: MetricsListenerConfig
  logLevel: string
  /** DRAIN_MS: after SIGTERM, how long requests are still served while `/readyz` answers 503. */
  drainMs: number
}

/** What each app's module exports (`@kefu/<app>`): its plugin and how its configuration becomes options. */
export interface ServiceModule<C extends ServiceConfig, O extends FastifyPluginOptions> {
  default: FastifyPluginAsync<O>
  loadConfig: (env: Env) => C
  appOptions: (config: C) => O
  serverOptions: (config: C) => FastifyServerOptions
}

export interface StartServiceOptions<C extends ServiceConfig, O extends FastifyPluginOptions> {
  /** Shown in log lines, e.g. "ingest". */
  name: string
  service: ServiceModule<C, O>
  config: C
  /** What one process shares between its services (pnpm start: one database client, one event bus). */
  shared?: Partial<O>
  /** Fields on every log line (pnpm start: `{ svc: name }`); pino's pid and hostname when omitted. */
  logBase?: Record<string, unknown>
}

/** A service listening: its app on PORT, its metrics on METRICS_PORT. */
export interface RunningService {
  readonly name: string
  readonly fastify: FastifyInstance
  /** The public listener's URL. */
  readonly url: string
  readonly metrics: MetricsListener
  readonly drainMs: number
  /** True from the start of a drain: `/readyz` answers 503 and every response says `Connection: close`. */
  readonly draining: boolean
  /** Starts the drain; resolves DRAIN_MS later, still serving meanwhile. */
  drain: () => Promise<void>
  /** Closes the app (in-flight requests end first, then its onClose hooks) and the metrics listener. */
  close: () => Promise<void>
}

/** The answer of `/readyz` while draining. */
export const DRAINING = { status: 'draining' } as const

/**
 * Builds Fastify, registers the app and listens: the app on one listener, its metrics on another. Signals are the
 * caller's (`stopOnSignals`); `drain` then `close` stop it without failing a request a load balancer sent.
 */
export async function startService<C extends ServiceConfig, O extends FastifyPluginOptions & { metrics?: Metrics }> (options: StartServiceOptions<C, O>): Promise<RunningService> {
  const { config } = options
  const fastify = Fastify({
    logger: { level: config.logLevel, ...(options.logBase === undefined ? {} : { base: options.logBase }) },
    // Services log one line per request of their own (e.g. ingest's per-push line), not Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    keepAliveTimeout: 65_000,
    ...options.service.serverOptions(config)
  })
  let draining = false
  // Before the app's own hooks: while draining, /readyz says so at once (the load balancer takes this instance out)
  // and keep-alive clients are told to open their next connection elsewhere; every other request is still served.
  fastify.addHook('onRequest', async function drainingHook (request, reply) {
    if (!draining) return
    void reply.header('connection', 'close')
    if (request.routeOptions.url === '/readyz') return reply.code(503).header('cache-control', 'no-store').send(DRAINING)
  })
  const metrics = createMetrics()
  await fastify.register(options.service.default, { ...options.service.appOptions(config), ...options.shared, metrics } as O)
  await fastify.ready()
  const metricsListener = await listenForMetrics(metrics, config.metrics, fastify.log.child({ listener: 'metrics' }))
  let url: string
  try {
    url = await fastify.listen({ port: config.port, host: config.host })
  } catch (err) {
    await metricsListener.close()
    throw err
  }
  let closing: Promise<void> | undefined
  return {
    name: options.name,
    fastify,
    url,
    metrics: metricsListener,
    drainMs: config.drainMs,
    get draining () { return draining },
    async drain () {
      if (draining) return
      draining = true
      await new Promise((resolve) => setTimeout(resolve, config.drainMs))
    },
    async close () {
      closing ??= (async () => {
        await fastify.close()
        await metricsListener.close()
      })()
      await closing
    }
  }
}

export interface StopOnSignalsOptions {
  /** Where the shutdown is told: one line each. */
  log: (line: string) => void
  /** Run after the services closed (pnpm start: its shared database and bus). */
  after?: () => Promise<void>
}

/**
 * On SIGTERM or SIGINT: every service drains at once (DRAIN_MS), then they close in the reverse order of their start,
 * then `after`, and the process exits. A second signal exits at once; an uncaught error closes without draining.
 */
export function stopOnSignals (services: RunningService[], options: StopOnSignalsOptions): void {
  const longestDrain = Math.max(0, ...services.map((s) => s.drainMs))
  closeWithGrace({
    delay: longestDrain + 10_000,
    logger: false,
    onSecondSignal: (signal) => { options.log(`${signal} again: exiting now`) },
    onTimeout: (delay) => { options.log(`not closed within ${delay} ms: exiting`) }
  }, async function stopServices ({ err, signal }) {
    if (err !== undefined) {
      options.log(`closing after an uncaught error: ${err.stack ?? err.message}`)
    } else {
      options.log(`${signal ?? 'close'} received: draining for ${longestDrain} ms, then closing`)
      await Promise.all(services.map(async (s) => { await s.drain() }))
    }
    for (const s of [...services].reverse()) await s.close()
    await options.after?.()
  })
}

/**
 * A service's process (each app's server.ts): reads its configuration from the environment, starts it, prints
 * `banner`, and drains then closes on SIGTERM/SIGINT. A bad configuration or a failed start exits 1 with one line.
 */
export function runService<C extends ServiceConfig, O extends FastifyPluginOptions & { metrics?: Metrics }> (name: string, service: ServiceModule<C, O>, banner?: (url: string, config: C) => string): void {
  async function main (): Promise<void> {
    const config = service.loadConfig(process.env)
    const running = await startService({ name, service, config })
    const log = running.fastify.log
    stopOnSignals([running], { log: (line) => { log.info(`${name}: ${line}`) } })
    log.info(banner === undefined ? `${name} listening on ${running.url}` : banner(running.url, config))
    log.info(`${name}: metrics at ${running.metrics.url}${config.metrics.token === undefined ? '' : ' (bearer METRICS_TOKEN)'}`)
  }
  main().catch((err: Error) => {
    process.stderr.write(`${name}: ${err.message}\n`)
    process.exit(1)
  })
}
