// The deployment the load-balancer suite runs: two processes of each service (ingest, auth, sync, console) on one
// PostgreSQL database and the Redis Cluster, HAProxy in front. The sites' public URLs are HAProxy's frontends, as a
// browser and WeChat see them.
import crypto from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { WechatAppConfig } from '@kefu/service'
import { startHaproxy, type Haproxy } from './haproxy.js'
import { freePort, serviceProcess, type AppName, type ServiceProcess } from './processes.js'

export const APPS: WechatAppConfig[] = [
  { appid: 'wxba1a4ce000000001', token: 'balanceToken1', encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789BALANCE', secret: 'balance-secret-00000000000000001' }
]
export const SECRETS = {
  session: crypto.randomBytes(24).toString('base64url'),
  sync: crypto.randomBytes(24).toString('base64url'),
  console: crypto.randomBytes(24).toString('base64url'),
  kefu: `k1:${crypto.randomBytes(32).toString('base64')}`
}

export interface Topology {
  haproxy: Haproxy
  /** The two processes of each service. */
  instances: Record<AppName, [ServiceProcess, ServiceProcess]>
  byName: (name: string) => ServiceProcess
  /** Every instance's output, for a failure's diagnostics. */
  stop: () => Promise<void>
}

export interface TopologyOptions {
  databaseUrl: string
  redisClusterUrls: string
  wechatApiBase: string
  drainMs: number
}

export async function startTopology (options: TopologyOptions): Promise<Topology> {
  const names: AppName[] = ['ingest', 'auth', 'sync', 'console']
  const front = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await freePort()] as const))) as Record<AppName, number>
  const site = (n: AppName): string => `http://127.0.0.1:${front[n]}`
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'kefu-lb-console-'))
  const common = {
    DATABASE_URL: options.databaseUrl,
    DATABASE_POOL_MAX: '3',
    REDIS_CLUSTER_URLS: options.redisClusterUrls,
    DRAIN_MS: String(options.drainMs)
  }
  const bSite = (n: 'sync' | 'console'): Record<string, string> => ({
    SESSION_SECRET: SECRETS.session,
    PUBLIC_URL: site(n),
    AUTH_URL: site('auth'),
    AUTH_INTERNAL_URL: site('auth'),
    CLIENT_ID: n,
    CLIENT_SECRET: SECRETS[n]
  })
  const env: Record<AppName, Record<string, string>> = {
    ingest: { ...common, WECHAT_APPS: JSON.stringify(APPS), KEFU_SECRET_KEY: SECRETS.kefu },
    auth: {
      ...common,
      SESSION_SECRET: SECRETS.session,
      PUBLIC_URL: site('auth'),
      SSO_CLIENTS: JSON.stringify((['sync', 'console'] as const).map((n) => ({
        clientId: n, clientSecret: SECRETS[n], origins: [site(n)], redirectUris: [site(n) + '/sso/callback'], logoutUri: site(n) + '/sso/logout'
      })))
    },
    sync: { REDIS_CLUSTER_URLS: options.redisClusterUrls, DRAIN_MS: String(options.drainMs), ...bSite('sync') },
    console: { ...common, ...bSite('console'), KEFU_SECRET_KEY: SECRETS.kefu, WECHAT_API_BASE: options.wechatApiBase, DATA_DIR: dataDir }
  }
  const instances = {} as Record<AppName, [ServiceProcess, ServiceProcess]>
  for (const n of names) {
    instances[n] = [serviceProcess(`${n}1`, n, await freePort(), env[n]), serviceProcess(`${n}2`, n, await freePort(), env[n])]
  }
  const all = names.flatMap((n) => instances[n])
  const stopAll = async (): Promise<void> => {
    await Promise.all(all.map((s) => s.kill9()))
    rmSync(dataDir, { recursive: true, force: true })
  }
  let haproxy: Haproxy
  try {
    // One at a time (two cores; the first of a service imports WECHAT_APPS into the database), auth first: the B
    // sites call it (through HAProxy) once they serve.
    for (const s of [...instances.auth, ...all.filter((s) => s.app !== 'auth')]) await s.start()
    haproxy = await startHaproxy(names.map((n) => ({ name: n, port: front[n], servers: instances[n] })))
  } catch (err) {
    await stopAll()
    throw err
  }
  return {
    haproxy,
    instances,
    byName: (name) => {
      const found = all.find((s) => s.name === name)
      if (found === undefined) throw new Error(`no instance named ${name}`)
      return found
    },
    async stop () {
      await haproxy.stop()
      // SIGTERM would wait DRAIN_MS each: the suite is over, nothing is in flight.
      await stopAll()
    }
  }
}
