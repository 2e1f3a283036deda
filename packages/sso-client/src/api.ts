// What the plugin is given (SsoClientOptions), what it gives the app (fastify.sso: SsoClientApi, fastify.ssoRequired,
// request.ssoUser) and which requests count as the person's activity.
import type {} from '@fastify/cookie'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { KefuSessionOptions } from '@kefu/session'
import type { LoginState } from './protocol.js'

export interface SsoClientOptions {
  /** A's origin as the browser sees it (AUTH_URL). */
  authUrl: string
  /** A's base URL for server-to-server calls (AUTH_INTERNAL_URL); default `authUrl`. */
  authInternalUrl?: string
  clientId: string
  clientSecret: string
  /** This B site's origin (PUBLIC_URL); `<publicUrl>/sso/callback` must be registered at A as a redirect URI. */
  publicUrl: string
  /** Registers `@kefu/session` with these options; omit when the app registered it already. */
  session?: KefuSessionOptions
  /**
   * How long A's word that a login is live is trusted (default 4000 ms): a missed logout, and an idle or absolute
   * end at A, is seen within it; activity on B reaches A within it, and at once when the idle end A announced is
   * nearer than this interval plus `requestTimeoutMs`.
   */
  checkIntervalMs?: number
  /** Pages warn this long before an idle sign-out (default 120 s). */
  warnBeforeS?: number
  /** How often pages ask `/sso/status` (default 5000 ms; not activity). */
  statusPollMs?: number
  /** After a redirect check found nobody logged in at A, how long B does not run another (default 60 s). */
  silentCheckIntervalS?: number
  /** How old a back-channel logout may be (default 30 s). */
  logoutMaxAgeS?: number
  /** Bound on each call to A (default 3000 ms). */
  requestTimeoutMs?: number
  /** Serve `GET /me` (default true). */
  meRoute?: boolean
  /** Milliseconds since the epoch, for the liveness cache and the redirect-check marker. */
  now?: () => number
  fetch?: typeof fetch
}

/** The user of a B request: A's account id and name, and the A login (`sid`) the B session came from. */
export interface SsoUser {
  id: string
  username: string
  sid: string
}

export interface SsoClientApi {
  readonly authUrl: string
  readonly clientId: string
  /** The logged-in user, after checking that the A login behind the B session is still live. */
  user (request: FastifyRequest): Promise<SsoUser | null>
  /** The inline page script (put it in `<head>`); sets the CSRF cookie it needs on `reply`. */
  pageScript (request: FastifyRequest, reply: FastifyReply, options?: { nonce?: string }): Promise<string>
  /** Where a "log in" link should point: an interactive login at A that comes back to `returnTo`. */
  loginPath (returnTo?: string): string
  /** For a page: the user, or `unavailable` when A cannot be asked (logged once; nobody is treated as logged in). */
  pageState (request: FastifyRequest): Promise<{ user: SsoUser | null, unavailable: boolean }>
  /**
   * The A login behind a user, without counting as activity and without touching the B session (for live streams
   * and background checks). Rejects with `AuthUnavailableError` when A cannot be asked.
   */
  loginState (user: SsoUser): Promise<LoginState>
  /** The path of the page script that warns before an idle sign-out and says when the session ended. */
  readonly sessionWatchPath: string
}

declare module 'fastify' {
  interface FastifyInstance {
    sso: SsoClientApi
    /** preHandler: 401 `KEFU_SSO_LOGIN_REQUIRED` without a user. */
    ssoRequired: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
  }
  interface FastifyRequest {
    /** Memoized `fastify.sso.user(request)`. */
    ssoUser: () => Promise<SsoUser | null>
  }
  interface FastifyContextConfig {
    /** `false`: requests to this route are never the person's activity (live streams, status polls). */
    ssoActivity?: boolean
  }
}

/**
 * Whether a request is one the person made, which counts as activity for the A login: page navigations, and calls
 * the page marks `X-Kefu-Activity: person` (a click, a reply). Automatic calls (`X-Kefu-Activity: background`, or
 * unmarked fetches), live streams and status polls are not: a page left open ends at the idle limit.
 */
export function isPersonActivity (request: FastifyRequest): boolean {
  if (request.routeOptions.config?.ssoActivity === false) return false
  const declared = request.headers['x-kefu-activity']
  if (declared !== undefined) return declared === 'person'
  const mode = request.headers['sec-fetch-mode']
  if (mode !== undefined) return mode === 'navigate'
  return request.method === 'GET' && (request.headers.accept ?? '').includes('text/html')
}
