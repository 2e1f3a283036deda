// The client's small shared types (an app, the logger, a token refresh, tokens from elsewhere, a media file), in
// a module of their own so that the client's parts (answers.ts, stable-tokens.ts) need not import client.ts.

export interface WechatApp {
  appid: string
  /** AppSecret. An app without one is known but cannot be called for (e.g. one handed to WeChat's own tool). */
  secret?: string
}

/** The part of a pino / Fastify logger the client uses. Nothing logged ever contains a token or a secret. */
export interface WechatApiLogger {
  info: (obj: object, msg: string) => void
  warn: (obj: object, msg: string) => void
}

export interface TokenRefresh { appid: string, forced: boolean, ok: boolean }

/**
 * Access tokens that come from elsewhere than stable_token: a third-party platform's authorizer tokens
 * (`WechatComponentApi`). For an appid it `has`, the client takes its token from here, and asks `renewRejected`
 * once when WeChat rejects it (40001, 40014, 42001).
 */
export interface ExternalTokens {
  has: (appid: string) => boolean
  token: (appid: string) => Promise<string>
  renewRejected: (appid: string, rejected: string, errcode: number) => Promise<string>
}

export interface MediaFile {
  /** As WeChat sent it, e.g. `image/jpeg`. */
  contentType: string
  body: Buffer
}
