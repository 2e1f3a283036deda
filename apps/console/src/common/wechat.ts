import type { RedisClient, WechatAppConfig } from '@kefu/service'
import { createMemoryTokenStore, createRedisTokenStore, WechatApi, WechatApiError, type ExternalTokens, type TokenRefresh, type TokenStore } from '@kefu/wechat-api'
import type { WechatSender } from './sender.js'

export interface WechatSenderOptions {
  baseUrl?: string
  apps: WechatAppConfig[]
  /** Tokens shared by every process through Redis (one refresh at a time); in-process without. */
  redis: RedisClient | null
  redisPrefix: string
  fetch?: typeof fetch
  /** MEDIA_MAX_BYTES: a download stops there (Content-Length, then the bytes counted). */
  maxMediaBytes?: number
  now: () => number
  logger?: { warn: (obj: object, msg: string) => void, info: (obj: object, msg: string) => void }
  onTokenRefresh?: (refresh: TokenRefresh) => void
  /** Third-party platform mode: the mini programs it serves get their authorizer tokens from here. */
  externalTokens?: ExternalTokens
}

export async function createWechatSender (options: WechatSenderOptions): Promise<WechatSender> {
  const tokenStore: TokenStore = options.redis === null
    ? createMemoryTokenStore()
    : await createRedisTokenStore({ client: options.redis, prefix: options.redisPrefix + 'token:' })
  const api = new WechatApi({
    baseUrl: options.baseUrl,
    apps: options.apps.map((a) => ({ appid: a.appid, secret: a.secret })),
    tokenStore,
    fetch: options.fetch,
    clock: options.now,
    maxMediaBytes: options.maxMediaBytes,
    logger: options.logger,
    onTokenRefresh: options.onTokenRefresh,
    externalTokens: options.externalTokens
  })
  return {
    send: (appid, openid, body) => api.sendMessage(appid, openid, body),
    sendSubscribe: (appid, openid, body) => api.sendSubscribeMessage(appid, openid, body),
    typing: (appid, openid, typing) => api.setTyping(appid, openid, typing),
    uploadImage: (appid, bytes, filename, contentType) => api.uploadTempImage(appid, bytes, filename, contentType),
    getMedia: (appid, mediaId) => api.getMedia(appid, mediaId),
    failure (err, lang) {
      if (!(err instanceof WechatApiError) || err.errcode === null) return null
      return { errcode: err.errcode, errmsg: err.errmsg ?? '', explanation: err.explain(lang === 'zh-CN' ? 'zh' : 'en') }
    },
    mayHaveTakenEffect (err) {
      // Anything else failed before WeChat acted (no connection, no token, a refusal) or is not WeChat's.
      return err instanceof WechatApiError && (err.code === 'KEFU_WECHAT_API_TIMEOUT' || err.code === 'KEFU_WECHAT_API_BAD_RESPONSE')
    },
    async close () {
      await tokenStore.close()
    }
  }
}
