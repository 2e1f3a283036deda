// fastify.miniPrograms: the mini programs this console serves, from the mini_program table (@kefu/mini-programs), the
// same registry ingest reads. A change made on any instance reaches this one within 2 s (the event bus, and a full
// reload every 30 s besides); every lookup a request makes is a memory lookup.
import fp from 'fastify-plugin'
import { MiniProgramRegistry, PROCESS_SECRET_KEY } from '@kefu/mini-programs'
import { SecretBox, type SecretKey } from '@kefu/secrets'
import type { WechatAppConfig } from '@kefu/service'

declare module 'fastify' {
  interface FastifyInstance { miniPrograms: MiniProgramRegistry }
}

export interface MiniProgramsSourceOptions {
  registry?: MiniProgramRegistry
  /** Imported as rows managed by configuration, as ingest does (tests, embedding); the console's server imports none. */
  configured?: WechatAppConfig[]
  /** KEFU_SECRET_KEY: the same keys as ingest's, or the rows do not open. */
  secretKeys?: SecretKey[]
  reloadIntervalMs?: number
}

export default fp<MiniProgramsSourceOptions>(async function miniProgramsSource (fastify, opts) {
  if (opts.registry !== undefined) {
    fastify.decorate('miniPrograms', opts.registry)
    return
  }
  const registry = await MiniProgramRegistry.open({
    prisma: fastify.prisma,
    bus: fastify.bus,
    secrets: new SecretBox(opts.secretKeys ?? [PROCESS_SECRET_KEY]),
    configured: opts.configured,
    reloadIntervalMs: opts.reloadIntervalMs,
    log: fastify.log
  })
  fastify.decorate('miniPrograms', registry)
  fastify.addHook('onClose', async () => { await registry.close() })
}, { name: 'kefu-console-mini-programs-source', dependencies: ['kefu-database', 'kefu-bus'] })

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
