// The part of fastify.miniPrograms (the registry of @kefu/mini-programs, registered by app.ts as ingest registers it)
// that the console's features read, and whether a mini program can be sent for.
import type { WechatAppConfig } from '@kefu/service'

/** The part of the registry the features read: lookups by appid, each one a Map.get. */
export interface MiniProgramLookup {
  /** The mini program (enabled or not), secrets opened; undefined when this kefu has no such mini program. */
  find: (appid: string) => (WechatAppConfig & { enabled: boolean }) | undefined
}

/** Whether replies, media and subscribe messages can go out for `appid` now: known, enabled, with an AppSecret. */
export function canSend (lookup: MiniProgramLookup, appid: string): boolean {
  const found = lookup.find(appid)
  return found !== undefined && found.enabled && found.secret !== undefined
}
