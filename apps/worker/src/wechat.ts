// Where the worker gets media from: WeChat's temporary media API, with each mini program's AppSecret as the registry
// holds it now, and in third-party platform mode the authorizer tokens of the mini programs the platform serves.
// Access tokens are shared with the consoles through Redis (the console's token keys): one refresh for all.
import type { FastifyInstance } from 'fastify'
import type { MediaSource } from '@kefu/history'
import { ComponentStore, componentApi, wechatApiPerApp, type WechatComponentConfig } from '@kefu/mini-programs'
import { SecretBox, type SecretKey } from '@kefu/secrets'
import { createMemoryTokenStore, createRedisTokenStore, WechatApiError, type WechatComponentApi, type TokenStore } from '@kefu/wechat-api'

export interface WechatMediaOptions {
  baseUrl?: string
  /** MEDIA_MAX_BYTES: a download stops there. */
  maxMediaBytes: number
  /** Token keys in Redis, the console's (`kefu:console:wechat:token:`). */
  tokenPrefix: string
  component?: { config: WechatComponentConfig, secretKeys: SecretKey[], tokenPrefix: string }
  fetch?: typeof fetch
  now: () => number
}

async function tokenStore (fastify: FastifyInstance, prefix: string): Promise<TokenStore> {
  const store = fastify.redis === null ? createMemoryTokenStore() : await createRedisTokenStore({ client: fastify.redis, prefix })
  fastify.addHook('onClose', async () => { await store.close() })
  return store
}

/** Needs the database, Redis, bus and mini-programs plugins registered on `fastify`. */
export async function openWechatMedia (fastify: FastifyInstance, opts: WechatMediaOptions): Promise<MediaSource> {
  const registry = fastify.miniPrograms
  const tokens = await tokenStore(fastify, opts.tokenPrefix)
  let externalTokens: WechatComponentApi | undefined
  if (opts.component !== undefined) {
    const { config, secretKeys } = opts.component
    const store = new ComponentStore({ prisma: fastify.prisma, secrets: new SecretBox(secretKeys), bus: fastify.bus, componentAppid: config.appid, now: opts.now })
    externalTokens = componentApi(config, store, {
      baseUrl: opts.baseUrl,
      tokenStore: await tokenStore(fastify, opts.component.tokenPrefix),
      isAuthorizer: (appid) => registry.get(appid)?.program.source === 'component',
      fetch: opts.fetch,
      clock: opts.now,
      logger: fastify.log
    })
  }
  const api = wechatApiPerApp(registry, { baseUrl: opts.baseUrl, tokenStore: tokens, fetch: opts.fetch, clock: opts.now, maxMediaBytes: opts.maxMediaBytes, logger: fastify.log, externalTokens })
  return {
    getMedia: async (appid, mediaId) => await api(appid).getMedia(appid, mediaId),
    failure (err) {
      if (!(err instanceof WechatApiError) || err.errcode === null) return null
      return { errcode: err.errcode, explanation: err.explain('en') }
    }
  }
}
