// The app's options: what app.ts reads and config.ts's appOptions builds, apart so that neither imports the other.
import type { DatabasePluginOptions } from '@kefu/db'
import type { Metrics, RedisPluginOptions } from '@kefu/service'
import type { SsoClient } from './lib/clients.js'
import type { LoginLimits } from './lib/login-limiter.js'
import type { ScryptParams } from './lib/password.js'
import type { AuthSessionOptions } from './plugins/stores.js'

/** With Redis (redisUrl or redis), sessions, tickets and login counters are shared by every instance; without, they live in this process. */
export interface AuthOptions extends DatabasePluginOptions, RedisPluginOptions {
  /** A's origin as browsers see it (PUBLIC_URL), e.g. `http://127.0.0.1:3001`. */
  publicUrl: string
  /** The registered B sites (SSO_CLIENTS). */
  clients: SsoClient[]
  session: AuthSessionOptions
  /** Key prefix in Redis, default `kefu:auth:`. */
  redisPrefix?: string
  /** How long a ticket may wait for its redemption (1–60 s, default 30). */
  ticketTtlS?: number
  loginLimits?: LoginLimits
  /** Cost of new password hashes (stored hashes keep theirs until the next login rehashes them). */
  scrypt?: ScryptParams
  /** Bound on each back-channel logout call (default 2000 ms). */
  backChannelTimeoutMs?: number
  /** How often password resets made elsewhere (user:add) are looked for, to end earlier sign-ins (default 2000 ms). */
  passwordResetPollMs?: number
  /** Milliseconds since the epoch; sessions, tickets and counters use this one clock. Tests move it by hand. */
  now?: () => number
  /** Used for the back-channel logout calls. */
  fetch?: typeof fetch
  /** The service's metrics, served by the caller on a listener of their own (runService, pnpm start); default a fresh registry. */
  metrics?: Metrics
}
