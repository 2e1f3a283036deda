import type { FastifyInstance } from 'fastify'

export function escapeHtml (value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}

/**
 * A person who opens this site under another name (localhost for 127.0.0.1, an internal host name) is sent to
 * PUBLIC_URL: origins are compared exactly, so a page served under another name could not log in or sync.
 * Only page navigations move; API calls and health checks on internal names are answered where they are.
 */
export function redirectToPublicUrl (fastify: FastifyInstance, publicUrl: string): void {
  const target = new URL(publicUrl)
  fastify.addHook('onRequest', async function canonicalHost (request, reply) {
    if (request.method !== 'GET' && request.method !== 'HEAD') return
    const navigation = request.headers['sec-fetch-mode'] === 'navigate' || (request.headers.accept ?? '').includes('text/html')
    if (!navigation || request.host === target.host) return
    return reply.redirect(target.origin + request.url, 308)
  })
}

export interface HealthRoutesOptions {
  /** Resolves when the service can do its work (e.g. the database answers); omit for no /readyz. */
  ready?: () => Promise<void>
  /** What `ready` asks, named in the 503 answer and the API docs: "database" (the default) or "Redis". */
  dependency?: string
  /** Serve an empty /favicon.ico (pages for people). */
  favicon?: boolean
}

/**
 * GET /healthz (the process is up), GET /readyz (its dependencies answer, else 503; also 503 `draining` from SIGTERM on,
 * answered by startService before the app sees it).
 */
export async function healthRoutes (fastify: FastifyInstance, opts: HealthRoutesOptions): Promise<void> {
  const status = { type: 'object', properties: { status: { type: 'string' } } } as const
  fastify.get('/healthz', { schema: { summary: 'The process is up', response: { 200: status } } }, async function healthz () {
    return { status: 'ok' }
  })
  const ready = opts.ready
  const dependency = opts.dependency ?? 'database'
  if (ready !== undefined) {
    const summary = `The ${dependency} answers and the instance is not draining (after SIGTERM: 503 {"status":"draining"})`
    fastify.get('/readyz', { schema: { summary, response: { 200: status, 503: status } } }, async function readyz (request, reply) {
      try {
        await ready()
        return { status: 'ready' }
      } catch (err) {
        request.log.warn({ err: (err as Error).message }, 'not ready')
        return reply.code(503).send({ status: `${dependency} unreachable` })
      }
    })
  }
  if (opts.favicon === true) {
    // Browsers ask for it on every first visit; an empty answer keeps their consoles free of 404s.
    fastify.get('/favicon.ico', async function favicon (_request, reply) {
      return reply.code(204).header('cache-control', 'public, max-age=86400').send()
    })
  }
}
