// fastify.miniPrograms: the registry of the mini programs this instance serves (@kefu/mini-programs), opened on the
// app's database and event bus after WECHAT_APPS is imported, and closed with the app.
import fp from 'fastify-plugin'
import { MiniProgramRegistry, PROCESS_SECRET_KEY } from '@kefu/mini-programs'
import { SecretBox, type SecretKey } from '@kefu/secrets'
import type { WechatAppConfig } from '@kefu/service'
import type { PushCrypto } from '@kefu/wechat-crypto'

/** Without secretKeys (tests, embedded runs): PROCESS_SECRET_KEY, the console's too, so every service in the process reads the others' rows. */
const PROCESS_KEY = PROCESS_SECRET_KEY

declare module 'fastify' {
  interface FastifyInstance { miniPrograms: MiniProgramRegistry }
}

export interface MiniProgramsPluginOptions {
  registry?: MiniProgramRegistry
  configured: WechatAppConfig[]
  secretKeys?: SecretKey[]
  reloadIntervalMs?: number
  /** WECHAT_COMPONENT's push crypto: mini programs of source component are served with it. */
  component?: PushCrypto
}

export default fp<MiniProgramsPluginOptions>(async function miniPrograms (fastify, opts) {
  if (opts.registry !== undefined) {
    fastify.decorate('miniPrograms', opts.registry)
    return
  }
  const registry = await MiniProgramRegistry.open({
    prisma: fastify.prisma,
    bus: fastify.bus,
    secrets: new SecretBox(opts.secretKeys ?? [PROCESS_KEY]),
    configured: opts.configured,
    reloadIntervalMs: opts.reloadIntervalMs,
    log: fastify.log,
    component: opts.component
  })
  fastify.decorate('miniPrograms', registry)
  fastify.addHook('onClose', async () => { await registry.close() })
}, { name: 'kefu-mini-programs', dependencies: ['kefu-database', 'kefu-bus'] })
