// The worker's options: what app.ts reads and config.ts's appOptions builds, apart so that neither imports the other.
import type { DatabasePluginOptions } from '@kefu/db'
import type { HistoryOptions, MediaSource } from '@kefu/history'
import type { MiniProgramRegistry, WechatComponentConfig } from '@kefu/mini-programs'
import type { SecretKey } from '@kefu/secrets'
import type { BusPluginOptions, Metrics, RedisPluginOptions, WechatAppConfig } from '@kefu/service'

/** The database, Redis (REDIS_URL or REDIS_CLUSTER_URLS) and the bus (where ingest announces stored pushes and the console its replies), as ingest takes them. */
export interface WorkerOptions extends DatabasePluginOptions, RedisPluginOptions, BusPluginOptions {
  /** KEFU_SECRET_KEY: the keys that open the AppSecrets of the mini_program table (ingest's and the console's). */
  secretKeys?: SecretKey[]
  /** Mini programs to import into the mini_program table at start, as ingest does with WECHAT_APPS (tests, embedding). */
  apps?: WechatAppConfig[]
  /** Replaces the registry of mini programs (tests); default one opened on the app's database and bus. */
  miniPrograms?: MiniProgramRegistry
  /** WECHAT_API_BASE, default https://api.weixin.qq.com */
  wechatApiBase?: string
  /** Access tokens shared with the consoles through Redis (default `kefu:console:wechat:token:`, the console's). */
  wechatTokenPrefix?: string
  /** WECHAT_COMPONENT: media of mini programs served by the third-party platform are fetched with authorizer tokens. */
  component?: WechatComponentConfig
  /** Where component_access_token and authorizer tokens are cached with Redis, shared with ingest and the console (default `kefu:wechat-component:`). */
  componentTokenPrefix?: string
  /** Replaces WeChat's media API (tests). */
  mediaSource?: MediaSource
  /** Kept media, search's index, retention, partitions: MEDIA_*, RETENTION_DAYS; default files under DATA_DIR/media. */
  history?: Partial<HistoryOptions>
  /** How often waiting conversations are assigned automatically (default 15 000 ms; 0: never). */
  autoAssignSweepMs?: number
  /** An agent's console counts as open this long after its live stream last checked in (default 90 s, the console's). */
  connectedWithinS?: number
  /** The service's metrics, served by the caller on a listener of their own (runService, pnpm start); default a fresh registry. */
  metrics?: Metrics
  now?: () => number
  fetch?: typeof fetch
}
