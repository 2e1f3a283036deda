// The app's options: what app.ts reads and config.ts's appOptions builds, apart so that neither imports the other.
import type { Metrics, RedisPluginOptions } from '@kefu/service'

export interface SyncSessionOptions {
  /** SESSION_SECRET (one or several for rotation), each ≥ 32 characters. */
  secret: string | string[]
  idleTimeoutS?: number
  absoluteTimeoutS?: number
  /** Default `kefu_sync`; give each B site on one host its own. */
  cookieName?: string
  secure?: 'auto' | boolean
}

/** With Redis (redisUrl or redis), sessions are shared by every instance; without, they live in this process. */
export interface SyncOptions extends RedisPluginOptions {
  /** This B site's origin as browsers see it (PUBLIC_URL), e.g. `http://127.0.0.1:3002`. */
  publicUrl: string
  /** A's origin as browsers see it (AUTH_URL). */
  authUrl: string
  /** A's base URL for server-to-server calls (AUTH_INTERNAL_URL); default `authUrl`. */
  authInternalUrl?: string
  clientId: string
  clientSecret: string
  session: SyncSessionOptions
  /** Key prefix in Redis, default `kefu:sync:<clientId>:`. */
  redisPrefix?: string
  /** How long A's word that a login is live is trusted (default 4000 ms). */
  checkIntervalMs?: number
  /** After a redirect check found nobody at A, how long before the next (default 60 s). */
  silentCheckIntervalS?: number
  /** Pages warn this long before an idle sign-out (SESSION_WARN_BEFORE_S, default 120). */
  warnBeforeS?: number
  /** How often pages ask when the sign-in ends (default 5000 ms). */
  statusPollMs?: number
  /** Milliseconds since the epoch; sessions and sync login use this one clock. */
  now?: () => number
  fetch?: typeof fetch
  /** The service's metrics, served by the caller on a listener of their own (runService, pnpm start); default a fresh registry. */
  metrics?: Metrics
}
