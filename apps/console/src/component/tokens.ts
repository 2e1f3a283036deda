// Third-party platform mode in the console: the Open Platform client whose authorizer tokens the console's WeChat
// sender uses for mini programs of source component (replies, media, subscribe messages), and the durable state it
// reads (ticket, refresh tokens). Made before the sender, so app.ts can hand it over.
import type { FastifyInstance } from 'fastify'
import { ComponentStore, componentApi, type WechatComponentConfig } from '@kefu/mini-programs'
import { SecretBox, type SecretKey } from '@kefu/secrets'
import { createMemoryTokenStore, createRedisTokenStore, type WechatComponentApi, type TokenStore } from '@kefu/wechat-api'
import { servedByPlatform, type MiniProgramLookup } from '../common/mini-programs.js'

export interface ConsoleComponent {
  config: WechatComponentConfig
  store: ComponentStore
  api: WechatComponentApi
}

export interface ConsoleComponentOptions {
  config: WechatComponentConfig
  secretKeys: SecretKey[]
  wechatApiBase?: string
  /** WECHAT_COMPONENT_AUTHORIZE_URL. */
  authorizeUrl?: string
  /** Shared with ingest: one component_access_token for every instance (default `kefu:wechat-component:`). */
  tokenPrefix?: string
  /** The console's mini programs (fastify.miniPrograms), opened with the platform's push crypto. */
  registry: MiniProgramLookup
  fetch?: typeof fetch
  now: () => number
}

/** Needs the database, Redis and the bus plugins registered on `fastify`; closes what it opened with it. */
export async function openComponent (fastify: FastifyInstance, opts: ConsoleComponentOptions): Promise<ConsoleComponent> {
  const secrets = new SecretBox(opts.secretKeys)
  const lookup = opts.registry
  const store = new ComponentStore({ prisma: fastify.prisma, secrets, bus: fastify.bus, componentAppid: opts.config.appid, now: opts.now })
  const tokenStore: TokenStore = fastify.redis === null
    ? createMemoryTokenStore()
    : await createRedisTokenStore({ client: fastify.redis, prefix: opts.tokenPrefix ?? 'kefu:wechat-component:' })
  fastify.addHook('onClose', async () => { await tokenStore.close() })
  const api = componentApi(opts.config, store, {
    baseUrl: opts.wechatApiBase,
    tokenStore,
    // A memory lookup: enabled, and served by the platform. A withdrawn one is disabled at once on every instance.
    isAuthorizer: (appid) => servedByPlatform(lookup, appid),
    authorizeUrl: opts.authorizeUrl,
    fetch: opts.fetch,
    clock: opts.now,
    logger: fastify.log
  })
  return { config: opts.config, store, api }
}
