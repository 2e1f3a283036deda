// WECHAT_COMPONENT: the credentials of a WeChat Open Platform third-party platform (第三方平台), which receives the
// customer-service messages of every mini program that authorized it and acts for them.
// https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/Before_Develop/message_push.html
import { ConfigError, readJsonSetting, readOptional, refusePlaceholder, type Env } from '@kefu/service'
import { PushCrypto, WechatCryptoError } from '@kefu/wechat-crypto'

export interface WechatComponentConfig {
  /** The platform's component appid (wx + 16). */
  appid: string
  /** component_appsecret. */
  secret: string
  /** 消息校验Token of the platform's development settings. */
  token: string
  /** 消息加解密Key: 43 characters (third-party platforms only get encrypted pushes). */
  encodingAESKey: string
}

/** WeChat's authorization page for a PC browser (componentloginpage). */
export const DEFAULT_COMPONENT_AUTHORIZE_URL = 'https://mp.weixin.qq.com/cgi-bin/componentloginpage'

const APPID = /^wx[0-9A-Za-z]{16}$/
const TOKEN = /^[0-9A-Za-z]{3,32}$/
const KEYS = ['appid', 'secret', 'token', 'encodingAESKey'] as const

/** Validates WECHAT_COMPONENT (already JSON-parsed); `source` names the variable or file in error messages. */
export function parseWechatComponent (value: unknown, source: string): WechatComponentConfig {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(`${source} must be a JSON object {"appid","secret","token","encodingAESKey"}`)
  }
  const entry = value as Record<string, unknown>
  for (const key of Object.keys(entry)) {
    if (!(KEYS as readonly string[]).includes(key)) throw new ConfigError(`${source} has an unknown field "${key}"`)
  }
  for (const key of KEYS) {
    if (entry[key] === undefined || entry[key] === '') throw new ConfigError(`${source}.${key} is required`)
    if (typeof entry[key] !== 'string') throw new ConfigError(`${source}.${key} must be a string`)
  }
  const config = entry as unknown as WechatComponentConfig
  if (!APPID.test(config.appid)) throw new ConfigError(`${source}.appid must look like wx followed by 16 letters or digits`)
  if (!TOKEN.test(config.token)) throw new ConfigError(`${source}.token must be 3 to 32 letters or digits`)
  if (config.secret.length < 16 || /\s/.test(config.secret)) throw new ConfigError(`${source}.secret must be the platform's AppSecret (16 or more characters, no spaces)`)
  for (const key of ['secret', 'token', 'encodingAESKey'] as const) refusePlaceholder(`${source}.${key}`, config[key])
  try {
    componentPushCrypto(config)
  } catch (err) {
    if (err instanceof WechatCryptoError) throw new ConfigError(`${source}.encodingAESKey: ${err.message}`)
    throw err
  }
  return { appid: config.appid, secret: config.secret, token: config.token, encodingAESKey: config.encodingAESKey }
}

/** WECHAT_COMPONENT (inline JSON) or WECHAT_COMPONENT_FILE; undefined when neither is set (the mode is off). */
export function readWechatComponent (env: Env): WechatComponentConfig | undefined {
  const setting = readJsonSetting(env, 'WECHAT_COMPONENT', 'WECHAT_COMPONENT_FILE')
  return setting === undefined ? undefined : parseWechatComponent(setting.value, setting.source)
}

/** WECHAT_COMPONENT_AUTHORIZE_URL: where the console sends an owner to authorize a mini program. */
export function readComponentAuthorizeUrl (env: Env): string {
  const raw = readOptional(env, 'WECHAT_COMPONENT_AUTHORIZE_URL') ?? DEFAULT_COMPONENT_AUTHORIZE_URL
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigError(`WECHAT_COMPONENT_AUTHORIZE_URL must be an http(s) URL, got ${JSON.stringify(raw)}`)
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search !== '' || url.hash !== '') {
    throw new ConfigError(`WECHAT_COMPONENT_AUTHORIZE_URL must be an http(s) URL without a query or fragment, got ${JSON.stringify(raw)}`)
  }
  return url.href
}

/**
 * The platform's push crypto: every push to both of its URLs, for every authorizer, is signed with its token and
 * encrypted with its key, and the appid at the end of the plaintext is the component appid.
 */
export function componentPushCrypto (config: Pick<WechatComponentConfig, 'appid' | 'token' | 'encodingAESKey'>): PushCrypto {
  return new PushCrypto({ appid: config.appid, token: config.token, encodingAESKey: config.encodingAESKey })
}
