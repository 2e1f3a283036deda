import type { FastifyServerOptions } from 'fastify'
import { readListener, readRedisUrl, readTrustProxy, trustProxyOption, type Env, type RedisTarget, type ListenerConfig, type TrustProxy } from '@kefu/service'
import { bSiteOptions, readBSiteConfig, type BSiteConfig } from '@kefu/sso-client'
import type { SyncOptions } from './options.js'

/** PORT 3002, METRICS_PORT 9466. */
export interface SyncConfig extends ListenerConfig, BSiteConfig {
  /** TRUST_PROXY: the proxies in front of this site (hop count or addresses), so that cookies become Secure (__Host-) behind TLS. */
  trustProxy: TrustProxy
  /** REDIS_URL or REDIS_CLUSTER_URLS. */
  redisUrl?: RedisTarget
}

export function loadConfig (env: Env): SyncConfig {
  const listener = readListener(env, { port: 3002, metricsPort: 9466 })
  const redisUrl = readRedisUrl(env)
  return {
    ...listener,
    ...readBSiteConfig(env, { port: listener.port, clientId: 'sync', redisUrl }),
    trustProxy: readTrustProxy(env),
    redisUrl
  }
}

/** The app's options from its configuration (server.ts and the all-in-one launcher both start sync this way). */
export function appOptions (config: SyncConfig): SyncOptions {
  return { ...bSiteOptions(config), redisUrl: config.redisUrl }
}

/** Fastify's own options for sync: small bodies (back-channel logouts); the protocol and client IP as TRUST_PROXY says. */
export function serverOptions (config: SyncConfig): Pick<FastifyServerOptions, 'bodyLimit' | 'trustProxy'> {
  return { bodyLimit: 64 * 1024, trustProxy: trustProxyOption(config.trustProxy) }
}
