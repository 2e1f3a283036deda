import { createHash, timingSafeEqual } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyRequest } from 'fastify'
import type { MetricsListenerConfig } from './config.js'
import { installErrorHandler } from './errors.js'
import type { Metrics } from './metrics.js'

/** A service's `/metrics` listener, apart from the one browsers and WeChat reach. */
export interface MetricsListener {
  /** Where Prometheus scrapes: `http://<host>:<port>/metrics`. */
  readonly url: string
  close: () => Promise<void>
}

class CrossSiteMetrics extends Error {
  readonly statusCode = 403
  readonly code = 'KEFU_METRICS_CROSS_SITE'
  constructor () {
    super('metrics are not served to pages of other sites')
  }
}

class MetricsUnauthorized extends Error {
  readonly statusCode = 401
  readonly code = 'KEFU_METRICS_UNAUTHORIZED'
  readonly headers = { 'www-authenticate': 'Bearer realm="kefu-metrics"' }
  constructor (sent: boolean) {
    super(sent ? 'the bearer token is not METRICS_TOKEN' : 'send Authorization: Bearer <METRICS_TOKEN>')
  }
}

/**
 * A request a page of another site made: `Sec-Fetch-Site` says so (browsers send it on every request), or an
 * `Origin` that is not this host. Prometheus sends neither; a person who opens /metrics in the address bar sends
 * `Sec-Fetch-Site: none`. Loopback is no protection from a page in a browser on the same machine.
 */
function fromAnotherSite (request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site']
  if (site === 'cross-site' || site === 'same-site') return true
  const origin = request.headers.origin
  if (origin === undefined) return false
  try {
    const from = new URL(origin)
    return from.host !== new URL(`${from.protocol}//${request.host}`).host
  } catch {
    return true
  }
}

function bearerToken (header: string | undefined): string | null {
  const m = /^Bearer +(\S+) *$/i.exec(header ?? '')
  return m === null ? null : m[1]!
}

/** Hashed first, so that the comparison takes the same time whatever the length of what was sent. */
function digest (value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

/**
 * Serves `GET /metrics` (Prometheus text format) of one service on a listener of its own (METRICS_HOST,
 * METRICS_PORT), with the bearer token METRICS_TOKEN when one is set. Never to pages of other sites, never with
 * CORS; scrapes are not counted among the service's requests.
 */
export async function listenForMetrics (metrics: Metrics, config: MetricsListenerConfig, log?: FastifyBaseLogger): Promise<MetricsListener> {
  const registry = metrics.registry
  if (registry === null) throw new Error('listenForMetrics: these metrics are disabled (createMetrics(false))')
  const server = Fastify({
    ...(log === undefined ? { logger: false } : { loggerInstance: log }),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024
  })
  installErrorHandler(server, 'KEFU_METRICS')
  const token = config.token === undefined ? null : digest(config.token)
  server.addHook('onRequest', function admitScraper (request, _reply, done) {
    if (fromAnotherSite(request)) {
      done(new CrossSiteMetrics())
      return
    }
    if (token !== null) {
      const sent = bearerToken(request.headers.authorization)
      if (sent === null || !timingSafeEqual(digest(sent), token)) {
        done(new MetricsUnauthorized(sent !== null))
        return
      }
    }
    done()
  })
  server.get('/metrics', { logLevel: 'warn' }, async function serveMetrics (_request, reply) {
    const body = await registry.metrics()
    return reply
      .type(registry.contentType)
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .send(body)
  })
  try {
    await server.listen({ host: config.host, port: config.port })
  } catch (err) {
    await server.close()
    const e = err as NodeJS.ErrnoException
    throw new Error(`METRICS_PORT ${config.port} on METRICS_HOST ${config.host} cannot be listened on for /metrics: ${e.code ?? e.message}`)
  }
  const { port } = server.server.address() as AddressInfo
  return {
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}/metrics`,
    close: async () => { await server.close() }
  }
}
