import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * How the same-origin guard treats this route's state-changing requests. Default: only from the site's own pages.
     * - `server-to-server`: called by other servers, never by a page, and authenticated by its own means (client
     *   credentials, a signature over the body); there is no browser Origin to check.
     * - `registered-origins`: a credentialed CORS endpoint for the pages of other registered sites; the route admits
     *   only the origins registered for it and refuses every other request itself.
     * - `form-token`: as the default, except that an HTML form post carrying neither `Origin` nor `Sec-Fetch-Site`
     *   is left to the route, which requires its CSRF token.
     */
    originCheck?: 'server-to-server' | 'registered-origins' | 'form-token'
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Why a request is not shown to come from `origin`, or null when it is. Browsers send `Origin` on every request whose
 * method is not GET or HEAD (Fetch standard, "append a request `Origin` header"; Firefox since 70, 2019) and
 * `Sec-Fetch-Site` on every request (all current browsers); either one naming another origin refuses the request.
 * A request with neither is refused too: a browser old enough to send neither is exactly the one that SameSite does
 * not protect, and a script or another server can send `Origin` or call a route made for servers.
 */
export function crossSiteReason (request: FastifyRequest, origin: string): string | null {
  const sent = request.headers.origin
  const site = request.headers['sec-fetch-site']
  if (sent !== undefined && sent !== origin) return `Origin ${sent.slice(0, 100)} is not ${origin}`
  if (site === 'cross-site' || site === 'same-site') return `Sec-Fetch-Site is ${site}`
  if (sent !== undefined || site === 'same-origin') return null
  return site === undefined ? 'neither Origin nor Sec-Fetch-Site was sent' : `Sec-Fetch-Site is ${String(site).slice(0, 20)}, without Origin`
}

function isFormPost (request: FastifyRequest): boolean {
  return (request.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')
}

class CrossSiteRequest extends Error {
  readonly statusCode = 403
  constructor (readonly code: string, origin: string, reason: string) {
    super(`refused: state-changing requests must come from ${origin} (${reason})`)
  }
}

export interface SameOriginGuardOptions {
  /** The site's origin as browsers see it (PUBLIC_URL): behind a proxy, the public one, never the Host header. */
  origin: string
  /** The refusal's error code, e.g. `KEFU_CONSOLE_CROSS_SITE`. */
  code: string
  /**
   * Answers a refusal itself, e.g. with a page for an HTML form; return undefined to answer with the JSON error.
   * The refusal is logged either way.
   */
  answer?: (request: FastifyRequest, reply: FastifyReply, reason: string) => FastifyReply | undefined
}

/**
 * Refuses, before any body is read or session touched, every state-changing request (any method but GET, HEAD and
 * OPTIONS) that is not shown to come from the site's own pages: 403 with the code, logged once at warn. SameSite=Lax
 * cookies alone do not stop a page on another port or a sibling subdomain (the same "site"). Routes opt out only
 * through their `originCheck` config, which names why. Register it first, so that it runs before other hooks.
 */
export function sameOriginGuard (fastify: FastifyInstance, opts: SameOriginGuardOptions): void {
  const origin = new URL(opts.origin).origin
  fastify.addHook('onRequest', async function sameOrigin (request, reply) {
    if (SAFE_METHODS.has(request.method)) return
    const check = request.routeOptions.config?.originCheck
    if (check === 'server-to-server' || check === 'registered-origins') return
    const unmarked = request.headers.origin === undefined && request.headers['sec-fetch-site'] === undefined
    if (check === 'form-token' && unmarked && isFormPost(request)) return
    const reason = crossSiteReason(request, origin)
    if (reason === null) return
    request.log.warn({ code: opts.code, method: request.method, path: request.url.split('?')[0], reason }, 'refused')
    const answered = opts.answer?.(request, reply, reason)
    if (answered !== undefined) return answered
    throw new CrossSiteRequest(opts.code, origin, reason)
  })
}
