// The app's options: what app.ts reads and config.ts's appOptions builds, apart so that neither imports the other.
import type { DatabasePluginOptions } from '@kefu/db'
import type { MiniProgramRegistry, WechatComponentConfig } from '@kefu/mini-programs'
import type { SecretKey } from '@kefu/secrets'
import type { BusPluginOptions, Metrics, RedisPluginOptions, WechatAppConfig } from '@kefu/service'

export interface IngestOptions extends DatabasePluginOptions, RedisPluginOptions, BusPluginOptions {
  /** WECHAT_APPS: imported into the mini_program table at start (source configuration); pushes are served from the table. */
  apps: WechatAppConfig[]
  /** KEFU_SECRET_KEY: seals the secrets stored in mini_program; default a key made for this instance (tests). */
  secretKeys?: SecretKey[]
  /** Share a registry (tests); otherwise the app opens its own on its database and bus. */
  miniPrograms?: MiniProgramRegistry
  /** The registry's safety net: every mini program reloaded this often (ms); default 30 s. */
  miniProgramsReloadMs?: number
  redisPrefix?: string
  /** ± seconds a push's timestamp may differ from our clock. */
  timestampWindowS?: number
  writeTimeoutMs?: number
  /** Batches written at once (group commit); defaults to 2 (at most the pool size). */
  writeConcurrency?: number
  /** A further batch starts once those in flight have run this long (ms); defaults to 5 (MessageWriter). */
  writeOverlapMs?: number
  /** Milliseconds since the epoch; tests pass a fixed clock. */
  now?: () => number
  docs?: boolean
  /**
   * WECHAT_COMPONENT: third-party platform mode. Authorization events at POST /wechat/component/events, messages of
   * authorized mini programs at POST /wechat/component/:appid.
   */
  component?: WechatComponentConfig
  /** WECHAT_API_BASE, default https://api.weixin.qq.com (api_query_auth and authorizer info in third-party platform mode). */
  wechatApiBase?: string
  /** Where component_access_token is cached with Redis: shared with the console (default `kefu:wechat-component:`). */
  componentTokenPrefix?: string
  /** Calls to WeChat's API (tests); default the global fetch. */
  fetch?: typeof fetch
  /**
   * The service's metrics, served by the caller on a listener of their own (runService, pnpm start); default a fresh
   * registry. `createMetrics(false)` leaves the counters and their hooks out (the benchmark measures without).
   */
  metrics?: Metrics
}
