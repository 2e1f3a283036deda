import type { FastifyServerOptions } from 'fastify'
import {
  ConfigError, readDatabase, readInt, readJsonSetting, readListener, readOrigin, readRedisUrl, readTrustProxy, trustProxyOption,
  type DatabaseConfig, type Env, type RedisTarget, type ListenerConfig, type TrustProxy
} from '@kefu/service'
import { readSessionConfig } from '@kefu/session'
import type { AuthOptions } from './options.js'
import { parseSsoClients, type SsoClient } from './lib/clients.js'
import type { LoginLimits } from './lib/login-limiter.js'

/** PORT 3001, METRICS_PORT 9465. */
export interface AuthConfig extends ListenerConfig, DatabaseConfig {
  /** TRUST_PROXY: the proxies in front of A (hop count or addresses), so that per-IP login limits see the client's IP. */
  trustProxy: TrustProxy
  /** REDIS_URL or REDIS_CLUSTER_URLS. */
  redisUrl?: RedisTarget
  publicUrl: string
  clients: SsoClient[]
  session: { secret: string, secretGenerated: boolean, idleTimeoutS: number, absoluteTimeoutS: number }
  ticketTtlS: number
  loginLimits: LoginLimits
}

export function readSsoClients (env: Env): SsoClient[] {
  const setting = readJsonSetting(env, 'SSO_CLIENTS', 'SSO_CLIENTS_FILE')
  return setting === undefined ? [] : parseSsoClients(setting.value, setting.source)
}

export function loadConfig (env: Env): AuthConfig {
  const listener = readListener(env, { port: 3001, metricsPort: 9465 })
  const redisUrl = readRedisUrl(env)
  const publicUrl = readOrigin(env, 'PUBLIC_URL', `http://127.0.0.1:${listener.port}`)
  const clients = readSsoClients(env)
  for (const [i, c] of clients.entries()) {
    if (c.origins.includes(publicUrl)) throw new ConfigError(`SSO_CLIENTS[${i}].origins lists PUBLIC_URL ${publicUrl}: a B site needs its own origin`)
  }
  // Without Redis every session lives in this one process, so a per-start secret loses nothing.
  const session = readSessionConfig(env, { generateMissingSecret: redisUrl === undefined })
  const window = readInt(env, 'LOGIN_LIMIT_WINDOW_S', 900, { min: 1, max: 86400 })
  return {
    ...listener,
    trustProxy: readTrustProxy(env),
    ...readDatabase(env),
    redisUrl,
    publicUrl,
    clients,
    session: { secret: session.secret, secretGenerated: session.secretGenerated, idleTimeoutS: session.idleTimeoutS, absoluteTimeoutS: session.absoluteTimeoutS },
    ticketTtlS: readInt(env, 'SSO_TICKET_TTL_S', 30, { min: 1, max: 60 }),
    loginLimits: {
      account: { max: readInt(env, 'LOGIN_MAX_ATTEMPTS_PER_ACCOUNT', 10, { min: 1, max: 10_000 }), windowS: window },
      ip: { max: readInt(env, 'LOGIN_MAX_ATTEMPTS_PER_IP', 100, { min: 1, max: 1_000_000 }), windowS: window }
    }
  }
}

/** The app's options from its configuration (server.ts and the all-in-one launcher both start A this way). */
export function appOptions (config: AuthConfig): AuthOptions {
  return {
    publicUrl: config.publicUrl,
    clients: config.clients,
    session: { secret: config.session.secret, idleTimeoutS: config.session.idleTimeoutS, absoluteTimeoutS: config.session.absoluteTimeoutS },
    databaseUrl: config.databaseUrl,
    poolMax: config.poolMax,
    redisUrl: config.redisUrl,
    ticketTtlS: config.ticketTtlS,
    loginLimits: config.loginLimits
  }
}

/** Fastify's own options for A: bodies are small forms and JSON; client IPs as TRUST_PROXY says. */
export function serverOptions (config: AuthConfig): Pick<FastifyServerOptions, 'bodyLimit' | 'trustProxy'> {
  return { bodyLimit: 64 * 1024, trustProxy: trustProxyOption(config.trustProxy) }
}
