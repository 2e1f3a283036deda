import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyServerOptions } from 'fastify'
import fp from 'fastify-plugin'
import { recordRoutes, type Server } from './outage.js'
import { createTcpProxy, type TcpProxy } from './tcp-proxy.js'

interface Tap {
  teardown: (fn: () => unknown) => void
}

/** One line an app logged (pino's JSON), as a test reads it. */
export interface LogLine { level: number, msg: string, code?: string, [key: string]: unknown }

/** A pino destination that keeps every line logged to it, parsed, in `logs`. */
export function captureLogs (): { logs: LogLine[], stream: Writable } {
  const logs: LogLine[] = []
  const stream = new Writable({
    write (chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') logs.push(JSON.parse(line) as LogLine)
      done()
    }
  })
  return { logs, stream }
}

/** An HTTP server already listening on a free loopback port, so that every URL is known before any app is built. */
export async function bindServer (): Promise<{ server: http.Server, port: number }> {
  const server = http.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, port: (server.address() as AddressInfo).port }
}

/** Closes a server from bindServer, its open connections (live streams, keep-alive) included. */
export function closeServer (server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => { resolve() })
    server.closeAllConnections()
  })
}

export interface TestSite {
  app: FastifyInstance
  /** Every line the app logged at `info` and above (none when `quiet`). */
  logs: LogLine[]
  /** The routes the app registered (`recordRoutes`), for an outage drill. */
  routes: () => string[]
}

export interface TestSiteOptions {
  /** Serve the app on this server (from bindServer) rather than through `app.inject` alone; closed with the app. */
  server?: http.Server
  /** No log kept: Fastify's logger off, or at `warn` on stderr with KEFU_TEST_LOG=1. */
  quiet?: boolean
  /** Fastify's own options (bodyLimit, trustProxy). */
  fastify?: Omit<FastifyServerOptions, 'logger' | 'serverFactory'>
}

/**
 * A kefu app (its plugin and options) built for a test, wrapped with fastify-plugin so that its decorators (prisma,
 * redis) show on the instance, ready, and closed at teardown.
 */
export async function startSite<O extends object> (t: Tap, plugin: FastifyPluginAsync<O>, options: O, site: TestSiteOptions = {}): Promise<TestSite> {
  const { logs, stream } = captureLogs()
  const logger = site.quiet === true ? (process.env.KEFU_TEST_LOG === '1' ? { level: 'warn' } : false) : { level: 'info', stream }
  const server = site.server
  const app = Fastify({
    ...site.fastify,
    logger,
    ...(server === undefined ? {} : { serverFactory: (handler: http.RequestListener) => { server.on('request', handler); return server } })
  })
  const routes = recordRoutes(app)
  await app.register(fp(plugin), options)
  t.teardown(async () => {
    await app.close()
    if (server !== undefined) await closeServer(server)
  })
  await app.ready()
  return { app, logs, routes }
}

/**
 * TCP proxies in front of the test's database and of REDIS_URL, which an outage drill cuts and restores; closed at
 * teardown. Register them before the apps that use them, so that the apps close first.
 */
export async function proxiesInFront (t: Tap, databaseUrl: string): Promise<Record<Server, TcpProxy>> {
  const redisUrl = process.env.REDIS_URL
  if (redisUrl === undefined || redisUrl === '') throw new Error('a proxy in front of Redis needs REDIS_URL')
  const database = await createTcpProxy(databaseUrl)
  const redis = await createTcpProxy(redisUrl)
  t.teardown(async () => { await database.close(); await redis.close() })
  return { database, redis }
}
