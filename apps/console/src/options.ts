// The app's options: what app.ts reads and config.ts's appOptions builds, apart so that neither imports the other.
import type { PrismaClient } from '@kefu/db'
import type { MiniProgramRegistry, WechatComponentConfig } from '@kefu/mini-programs'
import type { SecretKey } from '@kefu/secrets'
import type { EventBus, Metrics, RedisClient, RedisTarget, WechatAppConfig } from '@kefu/service'
import type { WechatSender } from './common/sender.js'
import type { CustomerOptions } from './customer/index.js'
import type { ConsoleHistoryOptions } from './history/index.js'
import type { LiveOptions, LiveStreamLimits } from './live/index.js'

export interface ConsoleSessionOptions {
  /** SESSION_SECRET (one or several for rotation), each ≥ 32 characters. */
  secret: string | string[]
  idleTimeoutS?: number
  absoluteTimeoutS?: number
  /** Default `kefu_console`. */
  cookieName?: string
  secure?: 'auto' | boolean
}

export interface ConsoleOptions {
  /** The console's origin as browsers see it (PUBLIC_URL). */
  publicUrl: string
  /** A's origin as browsers see it (AUTH_URL). */
  authUrl: string
  /** A's base URL for server-to-server calls (AUTH_INTERNAL_URL); default `authUrl`. */
  authInternalUrl?: string
  clientId: string
  clientSecret: string
  session: ConsoleSessionOptions
  /**
   * Mini programs to import into the mini_program table at start as rows managed by configuration, as ingest does
   * with WECHAT_APPS (tests, embedding). The console itself reads its mini programs from the table.
   */
  apps?: WechatAppConfig[]
  /** KEFU_SECRET_KEY: the keys that open the secrets of the mini_program table and seal authorizers' refresh tokens; default one key for this process. */
  secretKeys?: SecretKey[]
  /** Replaces the registry of mini programs (tests); default one opened on the app's database and bus. */
  miniPrograms?: MiniProgramRegistry
  /** The registry's full reload, the safety net under the bus (default 30 000 ms). */
  miniProgramsReloadMs?: number
  prisma?: PrismaClient
  prismaConcurrency?: number
  databaseUrl?: string
  /** DATABASE_READ_URL: search, reports and history browsing read from this replica. */
  databaseReadUrl?: string
  dataDir?: string
  poolMax?: number
  redis?: RedisClient
  /** REDIS_URL or REDIS_CLUSTER_URLS. */
  redisUrl?: RedisTarget
  /** Default `kefu:console:`. */
  redisPrefix?: string
  /** Where ingest announces stored pushes; Redis pub/sub with redisUrl, else in-process. */
  bus?: EventBus
  /** INGEST_PUBLIC_URL: where WeChat reaches ingest (the Mini programs page's push URL); default http://127.0.0.1:3000 */
  ingestUrl?: string
  /** WECHAT_API_BASE, default https://api.weixin.qq.com */
  wechatApiBase?: string
  /** Replaces the WeChat API client (tests). */
  sender?: WechatSender
  /** Replies per agent per minute (default 30). */
  repliesPerMinute?: number
  /** Searches per agent per minute (default SEARCHES_PER_MINUTE, 60). */
  searchesPerMinute?: number
  /** How long one search or one report may hold its database connection (default SEARCH_TIMEOUT_MS, REPORT_TIMEOUT_MS). */
  queryTimeouts?: { searchMs?: number, reportMs?: number }
  /** How often an open live stream checks its session, the A login and the agent's mini programs (default 4000 ms). */
  sessionCheckMs?: number
  /** Live streams per agent and what a client that does not read may hold (defaults in live/routes.ts). */
  liveStreams?: Partial<LiveStreamLimits>
  /** How long A's word that a login is live is trusted; activity here reaches A within it (default 4000 ms). */
  checkIntervalMs?: number
  /** Pages warn this long before an idle sign-out (SESSION_WARN_BEFORE_S, default 120). */
  warnBeforeS?: number
  /** How often pages ask when the sign-in ends (default 5000 ms). */
  statusPollMs?: number
  now?: () => number
  fetch?: typeof fetch
  /** The customer panel's profile lookup limits, and when an agent counts as connected (issue #10). */
  teamwork?: Pick<CustomerOptions, 'profileTimeoutMs' | 'profileCacheS'> & Pick<LiveOptions, 'connectedWithinS'>
  /** Kept media (issue #11): MEDIA_STORE, MEDIA_MAX_BYTES; default files under DATA_DIR/media. The worker keeps them. */
  history?: Partial<ConsoleHistoryOptions>
  /** The service's metrics, served by the caller on a listener of their own (runService, pnpm start); default a fresh registry. */
  metrics?: Metrics
  /** WECHAT_COMPONENT: third-party platform mode (authorizing mini programs; replies with their authorizer tokens). */
  component?: WechatComponentConfig
  /** WECHAT_COMPONENT_AUTHORIZE_URL, default WeChat's componentloginpage. */
  componentAuthorizeUrl?: string
  /** Where component_access_token and authorizer tokens are cached with Redis, shared with ingest (default `kefu:wechat-component:`). */
  componentTokenPrefix?: string
}
