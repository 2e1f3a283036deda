import type { FastifyInstance, FastifyRequest } from 'fastify'

const ONE_YEAR_S = 365 * 24 * 3600
const SERVER_TO_SERVER = new Set(['/sso/redeem', '/sso/check', '/healthz', '/readyz'])

/**
 * A long-lived, content-free cookie that tells A "cookies from this browser reach me here". On B's credentialed
 * fetch it is how A knows, even over plain HTTP where browsers send no Sec-Fetch-Site, that a missing session
 * means "nobody is logged in" rather than "my cookies are blocked on this path (another site)": with it A answers
 * `anonymous`, without it `redirect` (and the top-level check finds out, and sets it).
 */
export function presenceCookieName (request: FastifyRequest, base: string): string {
  return request.protocol === 'https' ? `__Host-${base}_seen` : `${base}_seen`
}

export function installPresenceCookie (fastify: FastifyInstance, base: string): void {
  fastify.addHook('onSend', async function presenceCookie (request, reply, payload) {
    // No cookies parsed: the reply was sent before the cookie plugin ran (the canonical-host redirect).
    if (request.cookies == null || SERVER_TO_SERVER.has(request.url.split('?')[0]!)) return payload
    const name = presenceCookieName(request, base)
    if (request.cookies[name] === undefined) {
      void reply.setCookie(name, '1', { path: '/', httpOnly: true, sameSite: 'lax', secure: request.protocol === 'https', maxAge: ONE_YEAR_S })
    }
    return payload
  })
}
