// A server for the ingest benchmark, in its own process so the load generator does not share its CPU.
//   tsx bench/server.ts bare    — a Fastify route that only answers success (the baseline)
//   tsx bench/server.ts ingest  — the ingest app (WECHAT_APPS, DATABASE_URL, REDIS_URL from the environment)
import Fastify, { LogController } from 'fastify'
import ingestApp from '../src/app.js'
import { loadConfig } from '../src/config.js'

const mode = process.argv[2]
const fastify = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'warn' }, logController: new LogController({ disableRequestLogging: true }), bodyLimit: 1024 * 1024 })
if (mode === 'bare') {
  fastify.addContentTypeParser(['application/json', 'text/xml'], { parseAs: 'string' }, (_req, body, done) => { done(null, body) })
  fastify.post('/wechat/:appid', async (_request, reply) => reply.type('text/plain; charset=utf-8').send('success'))
} else {
  const config = loadConfig(process.env)
  await fastify.register(ingestApp, {
    apps: config.apps,
    databaseUrl: config.databaseUrl,
    poolMax: config.poolMax,
    redisUrl: config.redisUrl,
    redisPrefix: `kefu:bench:${process.pid}:`,
    docs: false,
    writeConcurrency: process.env.WRITE_CONCURRENCY !== undefined ? Number(process.env.WRITE_CONCURRENCY) : undefined
  })
}
const address = await fastify.listen({ port: 0, host: '127.0.0.1' })
process.stdout.write(`LISTENING ${address}\n`)
process.on('SIGTERM', () => { void fastify.close().then(() => process.exit(0)) })
