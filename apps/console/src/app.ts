import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { databasePlugin, defaultDataDir } from '@kefu/db'
import { componentPushCrypto, miniProgramsPlugin } from '@kefu/mini-programs'
import {
  busPlugin, healthRoutes, installErrorHandler, metricsPlugin, redirectToPublicUrl, redisPlugin, sameOriginGuard
} from '@kefu/service'
import { openSessionStore, ssoClient } from '@kefu/sso-client'
import agentPlugin from './common/agent.js'
import { canSend } from './common/mini-programs.js'
import { createMemoryRateLimiter, createRedisRateLimiter } from './common/rate-limit.js'
import { refuseCoercedBodies } from './common/validation.js'
import { createWechatSender } from './common/wechat.js'
import component, { openComponent } from './component/index.js'
import { generateSecretKey } from '@kefu/secrets'
import conversations, { ConsoleStore } from './conversations/index.js'
import customer from './customer/index.js'
import history, { DEFAULT_MEDIA_MAX_BYTES } from './history/index.js'
import live from './live/index.js'
import media from './media/index.js'
import mentions from './mentions/index.js'
import miniPrograms from './mini-programs/index.js'
import type { ConsoleOptions } from './options.js'
import quickReplies from './quick-replies/index.js'
import reports from './reports/index.js'
import search from './search/index.js'
import shell from './shell/index.js'
import subscribe from './subscribe/index.js'
import team from './team/index.js'

/** Without secretKeys (tests): authorizers' refresh tokens sealed with a key of this process. */
const COMPONENT_PROCESS_KEY = generateSecretKey('component')

export default async function consoleApp (fastify: FastifyInstance, opts: ConsoleOptions): Promise<void> {
  const now = opts.now ?? Date.now
  const prefix = opts.redisPrefix ?? 'kefu:console:'
  installErrorHandler(fastify, 'KEFU_CONSOLE')
  // First of all hooks: a state-changing request from any page but the console's own changes nothing.
  sameOriginGuard(fastify, { origin: opts.publicUrl, code: 'KEFU_CONSOLE_CROSS_SITE' })
  refuseCoercedBodies(fastify)
  redirectToPublicUrl(fastify, opts.publicUrl)
  await fastify.register(metricsPlugin, { metrics: opts.metrics })

  await fastify.register(databasePlugin, {
    prisma: opts.prisma,
    prismaConcurrency: opts.prismaConcurrency,
    databaseUrl: opts.databaseUrl,
    databaseReadUrl: opts.databaseReadUrl,
    dataDir: opts.dataDir,
    poolMax: opts.poolMax
  })
  await fastify.register(redisPlugin, { redis: opts.redis, redisUrl: opts.redisUrl })
  await fastify.register(busPlugin, { bus: opts.bus, redisUrl: opts.redisUrl })

  const sessions = await openSessionStore(fastify, prefix + 'session:')
  await fastify.register(ssoClient, {
    authUrl: opts.authUrl,
    authInternalUrl: opts.authInternalUrl,
    clientId: opts.clientId,
    clientSecret: opts.clientSecret,
    publicUrl: opts.publicUrl,
    now: opts.now,
    fetch: opts.fetch,
    checkIntervalMs: opts.checkIntervalMs,
    warnBeforeS: opts.warnBeforeS,
    statusPollMs: opts.statusPollMs,
    meRoute: false,
    session: {
      store: sessions,
      secret: opts.session.secret,
      cookieName: opts.session.cookieName ?? 'kefu_console',
      idleTimeoutS: opts.session.idleTimeoutS,
      absoluteTimeoutS: opts.session.absoluteTimeoutS,
      secure: opts.session.secure,
      clock: opts.now
    }
  })

  const store = new ConsoleStore(fastify.prisma, now)
  // With WECHAT_COMPONENT, the mini programs authorized to the platform are served (sent for) as ingest serves them.
  await fastify.register(miniProgramsPlugin, {
    registry: opts.miniPrograms,
    configured: opts.apps,
    secretKeys: opts.secretKeys,
    reloadIntervalMs: opts.miniProgramsReloadMs,
    component: opts.component === undefined ? undefined : componentPushCrypto(opts.component)
  })
  const known = fastify.miniPrograms
  const configuredApps = {
    has: (appid: string) => known.find(appid) !== undefined,
    * [Symbol.iterator] () { for (const p of known.list()) yield p.appid }
  }
  await fastify.register(agentPlugin, { store, known })

  const tokenRefreshes = fastify.metrics.counter('kefu_console_token_refreshes_total', "Access-token refreshes this process made (WeChat's stable_token), by appid and outcome", ['appid', 'outcome'])
  const platform = opts.component === undefined
    ? null
    : await openComponent(fastify, {
      config: opts.component,
      secretKeys: opts.secretKeys ?? [COMPONENT_PROCESS_KEY],
      wechatApiBase: opts.wechatApiBase,
      authorizeUrl: opts.componentAuthorizeUrl,
      tokenPrefix: opts.componentTokenPrefix,
      registry: known,
      fetch: opts.fetch,
      now
    })
  const sender = opts.sender ?? await createWechatSender({
    baseUrl: opts.wechatApiBase,
    apps: known,
    redis: fastify.redis,
    redisPrefix: prefix + 'wechat:',
    fetch: opts.fetch,
    maxMediaBytes: opts.history?.maxBytes ?? DEFAULT_MEDIA_MAX_BYTES,
    now,
    logger: fastify.log,
    onTokenRefresh: (refresh) => { tokenRefreshes.inc({ appid: refresh.appid, outcome: refresh.ok ? (refresh.forced ? 'forced' : 'ok') : 'failed' }) },
    externalTokens: platform?.api
  })
  fastify.addHook('onClose', async () => { await sender.close() })
  const perMinute = opts.repliesPerMinute ?? 30
  const replyLimiter = fastify.redis === null
    ? createMemoryRateLimiter(perMinute, 60_000, now)
    : createRedisRateLimiter(fastify.redis, prefix + 'replies:', perMinute, 60_000)

  await fastify.register(healthRoutes, { ready: async () => { await fastify.prisma.$queryRawUnsafe('SELECT 1') }, favicon: true })

  // The features, one folder each (its routes, logic, browser modules and tests), in the order their decorators are
  // needed: the live updates read the conversations and the team, search and media what the history worker keeps.
  const { profileTimeoutMs, profileCacheS, connectedWithinS } = opts.teamwork ?? {}
  await fastify.register(shell)
  await fastify.register(conversations, {
    store,
    sender,
    canReply: (appid: string) => canSend(known, appid),
    appName: (appid: string) => known.find(appid)?.name,
    replyLimiter,
    now
  })
  await fastify.register(subscribe, { apps: known, sender, replyLimiter, now })
  await fastify.register(team)
  await fastify.register(customer, { apps: known, redisPrefix: prefix, fetch: opts.fetch, now, profileTimeoutMs, profileCacheS })
  await fastify.register(quickReplies)
  await fastify.register(component, { component: platform, publicUrl: opts.publicUrl })
  await fastify.register(live, {
    configuredApps,
    connectedWithinS,
    now,
    sessionCheckMs: opts.sessionCheckMs,
    limits: opts.liveStreams,
    redisPrefix: prefix
  })
  await fastify.register(mentions, { now })
  await fastify.register(history, {
    ...opts.history,
    // Each default by itself: a setting passed along as undefined must not erase it.
    store: opts.history?.store ?? { kind: 'fs', dir: path.join(defaultDataDir(), 'media') },
    redisPrefix: prefix,
    sender
  })
  await fastify.register(media, {})
  await fastify.register(search, { perMinute: opts.searchesPerMinute, timeoutMs: opts.queryTimeouts?.searchMs, redisPrefix: prefix, now })
  await fastify.register(reports, { now: opts.now, timeoutMs: opts.queryTimeouts?.reportMs })
  await fastify.register(miniPrograms, { ingestUrl: opts.ingestUrl ?? 'http://127.0.0.1:3000', sender, now })
}

export type { ConsoleOptions, ConsoleSessionOptions } from './options.js'
export { appOptions, loadConfig, serverOptions, type ConsoleConfig } from './config.js'
export { ConsoleStore } from './conversations/index.js'
export type { WechatSender, OutboundBody, SendFailure } from './common/sender.js'
