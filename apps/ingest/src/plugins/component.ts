// fastify.component: third-party platform mode (WECHAT_COMPONENT), or null when it is off. The platform's push
// crypto, the durable state (ticket, authorizers) and the Open Platform client that exchanges authorization codes;
// component_access_token is cached in Redis under a prefix the console shares, so that every instance uses one.
import fp from 'fastify-plugin'
import { ComponentStore, type WechatComponentConfig } from '@kefu/mini-programs'
import { SecretBox, type SecretKey } from '@kefu/secrets'
import { createMemoryTokenStore, createRedisTokenStore, WechatComponentApi, type TokenStore } from '@kefu/wechat-api'
import type { PushCrypto } from '@kefu/wechat-crypto'

export interface Component {
  config: WechatComponentConfig
  crypto: PushCrypto
  store: ComponentStore
  api: WechatComponentApi
}

declare module 'fastify' {
  interface FastifyInstance { component: Component | null }
}

export interface ComponentPluginOptions {
  config?: WechatComponentConfig
  /** The platform's push crypto, the one the registry serves component rows with. */
  crypto?: PushCrypto
  secretKeys: SecretKey[]
  wechatApiBase?: string
  tokenPrefix: string
  fetch?: typeof fetch
  now: () => number
}

export default fp<ComponentPluginOptions>(async function componentPlugin (fastify, opts) {
  const config = opts.config
  if (config === undefined || opts.crypto === undefined) {
    fastify.decorate('component', null)
    return
  }
  const store = new ComponentStore({ prisma: fastify.prisma, secrets: new SecretBox(opts.secretKeys), bus: fastify.bus, componentAppid: config.appid, now: opts.now })
  const tokenStore: TokenStore = fastify.redis === null
    ? createMemoryTokenStore()
    : await createRedisTokenStore({ client: fastify.redis, prefix: opts.tokenPrefix })
  const api = new WechatComponentApi({
    baseUrl: opts.wechatApiBase,
    component: config,
    state: {
      verifyTicket: async () => await store.verifyTicket(),
      refreshToken: async (appid) => await store.refreshToken(appid),
      saveRefreshToken: async (appid, token) => { await store.saveRefreshToken(appid, token) }
    },
    tokenStore,
    isAuthorizer: (appid) => fastify.miniPrograms.get(appid)?.program.source === 'component',
    fetch: opts.fetch,
    clock: opts.now,
    logger: fastify.log
  })
  fastify.decorate('component', { config, crypto: opts.crypto, store, api })
  fastify.addHook('onClose', async () => { await tokenStore.close() })
}, { name: 'kefu-ingest-component', dependencies: ['kefu-database', 'kefu-redis', 'kefu-bus', 'kefu-mini-programs'] })
