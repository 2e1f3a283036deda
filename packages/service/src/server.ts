import closeWithGrace from 'close-with-grace'
import Fastify, { LogController, type FastifyInstance, type FastifyPluginAsync, type FastifyPluginOptions, type FastifyServerOptions } from 'fastify'

export interface RunServiceOptions<O extends FastifyPluginOptions> {
  /** Shown in the start line, e.g. "ingest". */
  name: string
  app: FastifyPluginAsync<O>
  appOptions: O
  port: number
  host: string
  logLevel: string
  fastify?: FastifyServerOptions
  /** What to print once listening (URLs, hints); defaults to "<name> listening on <url>". */
  banner?: (url: string) => string
}

/** Builds Fastify, registers the app, closes gracefully on signals, and listens. */
export async function runService<O extends FastifyPluginOptions> (options: RunServiceOptions<O>): Promise<FastifyInstance> {
  const fastify = Fastify({
    logger: { level: options.logLevel },
    // Services log one line per request of their own (e.g. ingest's per-push line), not Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    keepAliveTimeout: 65_000,
    ...options.fastify
  })
  await fastify.register(options.app, options.appOptions)
  closeWithGrace({ delay: 10_000 }, async function closeService ({ err, signal }) {
    if (err !== undefined) fastify.log.error({ err }, `${options.name}: closing after an uncaught error`)
    else fastify.log.info(`${options.name}: ${signal ?? 'close'} received, closing`)
    await fastify.close()
  })
  const address = await fastify.listen({ port: options.port, host: options.host })
  fastify.log.info((options.banner ?? ((url: string) => `${options.name} listening on ${url}`))(address))
  return fastify
}

/** Prints a startup failure (bad config, database unreachable) as one line and exits 1. */
export function exitOnStartError (name: string): (err: Error) => never {
  return function startFailed (err) {
    process.stderr.write(`${name}: ${err.message}\n`)
    process.exit(1)
  }
}
