import type { FastifyInstance } from 'fastify'

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
