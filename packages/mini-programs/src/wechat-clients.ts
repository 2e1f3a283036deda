// WeChat API clients for the mini programs of the registry, as the console (replies, media, subscribe messages) and the
// worker (kept media) both make them: one WechatApi per mini program with its AppSecret as the registry holds it now,
// and in third-party platform mode the Open Platform client whose authorizer tokens serve the platform's mini programs.
import { WechatApi, WechatComponentApi, type TokenStore } from '@kefu/wechat-api'
import type { ComponentStore } from './component-store.js'
import type { WechatComponentConfig } from './component-config.js'
import type { MiniProgram } from './registry.js'

type WechatApiOptions = ConstructorParameters<typeof WechatApi>[0]
type WechatComponentApiOptions = ConstructorParameters<typeof WechatComponentApi>[0]

/** What a client needs of the registry: a memory lookup of a mini program, enabled or not, with its AppSecret. */
export interface ProgramLookup {
  find: (appid: string) => Pick<MiniProgram, 'enabled' | 'secret'> | undefined
}

/**
 * `(appid) => WechatApi` with the AppSecret `lookup` holds now: the client is made again when the secret changes, and
 * a disabled or unknown mini program gets one without a secret (its calls fail before reaching WeChat, unless the
 * platform's authorizer tokens serve it). `options` are every client's but `apps`.
 */
export function wechatApiPerApp (lookup: ProgramLookup, options: Omit<WechatApiOptions, 'apps'>): (appid: string) => WechatApi {
  const clients = new Map<string, { secret: string | undefined, api: WechatApi }>()
  return (appid) => {
    const found = lookup.find(appid)
    const secret = found?.enabled === true ? found.secret : undefined
    const known = clients.get(appid)
    if (known !== undefined && known.secret === secret) return known.api
    const made = new WechatApi({ ...options, apps: secret === undefined ? [] : [{ appid, secret }] })
    clients.set(appid, { secret, api: made })
    return made
  }
}

/** The Open Platform client reading its durable state (ticket, refresh tokens) from `store`. */
export function componentApi (config: WechatComponentConfig, store: ComponentStore, options: Omit<WechatComponentApiOptions, 'component' | 'state'> & { tokenStore: TokenStore }): WechatComponentApi {
  return new WechatComponentApi({
    ...options,
    component: config,
    state: {
      verifyTicket: async () => await store.verifyTicket(),
      refreshToken: async (appid) => await store.refreshToken(appid),
      saveRefreshToken: async (appid, token) => { await store.saveRefreshToken(appid, token) }
    }
  })
}
