import type { FastifyRequest } from 'fastify'
import type { SsoClient } from './clients.js'
import type { AuthMetrics } from './metrics.js'
import type { ScryptParams } from './password.js'
import type { CsrfTokens } from './request-guard.js'

/** What A's routes share, resolved once from the app options. */
export interface AuthContext {
  /** A's origin as browsers see it (PUBLIC_URL). */
  origin: string
  clients: ReadonlyMap<string, SsoClient>
  /** A's presence cookie came with the request: its cookies reach it on this path. */
  cookiesReach: (request: FastifyRequest) => boolean
  csrf: CsrfTokens
  ticketTtlMs: number
  scrypt: ScryptParams
  /** Unknown usernames are checked against this, so they cost what a wrong password costs. */
  dummyHash: () => Promise<string>
  backChannelTimeoutMs: number
  now: () => number
  fetch: typeof fetch
  metrics: AuthMetrics
}

/** Logs a refused hostile or invalid request once, at warn, with its code. */
export function logRefusal (request: FastifyRequest, code: string, detail: Record<string, unknown> = {}): void {
  request.log.warn({ code, method: request.method, path: request.url.split('?')[0], ...detail }, 'refused')
}
