// fastify.miniPrograms: the registry of the mini programs this instance serves, opened on the app's database and event
// bus (after WECHAT_APPS, when given, is imported as rows managed by configuration) and closed with the app. Ingest and
// the console register it alike; a change made on any instance reaches every one within 2 s (the bus, and a full
// reload every 30 s besides), and every lookup a request makes is a memory lookup.
import fp from 'fastify-plugin'
import { SecretBox, type SecretKey } from '@kefu/secrets'
import type { WechatAppConfig } from '@kefu/service'
import type { PushCrypto } from '@kefu/wechat-crypto'
import { PROCESS_SECRET_KEY } from './process-key.js'
import { MiniProgramRegistry } from './registry.js'

declare module 'fastify' {
  interface FastifyInstance { miniPrograms: MiniProgramRegistry }
}

export interface MiniProgramsPluginOptions {
  /** Share a registry (tests); otherwise the plugin opens one on fastify.prisma and fastify.bus. */
  registry?: MiniProgramRegistry
  /** WECHAT_APPS: imported as rows managed by configuration before the registry opens. */
  configured?: WechatAppConfig[]
  /** KEFU_SECRET_KEY; without it PROCESS_SECRET_KEY, so every service of one process opens the others' rows. */
  secretKeys?: SecretKey[]
  /** The full reload under the bus (default 30 s). */
  reloadIntervalMs?: number
  /** WECHAT_COMPONENT's push crypto: mini programs of source component are served with it. */
  component?: PushCrypto
}

export const miniProgramsPlugin = fp<MiniProgramsPluginOptions>(async function miniPrograms (fastify, opts) {
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
    log: fastify.log,
    component: opts.component
  })
  fastify.decorate('miniPrograms', registry)
  fastify.addHook('onClose', async () => { await registry.close() })
}, { name: 'kefu-mini-programs', dependencies: ['kefu-database', 'kefu-bus'] })
