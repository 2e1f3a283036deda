// The part of fastify.miniPrograms (the registry of @kefu/mini-programs, registered by app.ts as ingest registers it)
// that the console's features read, and whether a mini program can be sent for.
import type { WechatAppConfig } from '@kefu/service'

/** The part of the registry the features read: lookups by appid, each one a Map.get. */
export interface MiniProgramLookup {
  /** The mini program (enabled or not), secrets opened; undefined when this kefu has no such mini program. */
  find: (appid: string) => (WechatAppConfig & { enabled: boolean }) | undefined
  /**
   * The enabled mini program with what serves it; a mini program of source component only while this console runs
   * in third-party platform mode (WECHAT_COMPONENT), which sends for it with the authorizer's token.
   */
  get?: (appid: string) => { program: { source: string } } | undefined
}

/**
 * Whether replies, media and subscribe messages can go out for `appid` now: known, enabled, and either with an
 * AppSecret or authorized to this console's third-party platform (withdrawn: disabled at once).
 */
export function canSend (lookup: MiniProgramLookup, appid: string): boolean {
  const found = lookup.find(appid)
  if (found === undefined || !found.enabled) return false
  return found.secret !== undefined || servedByPlatform(lookup, appid)
}

/** Whether `appid` is an enabled mini program this console's third-party platform serves. A memory lookup. */
export function servedByPlatform (lookup: MiniProgramLookup, appid: string): boolean {
  return lookup.get?.(appid)?.program.source === 'component'
}
