// Third-party platform mode (WECHAT_COMPONENT): GET /api/component for the "Mini programs" page, and the round trip
// through WeChat's authorization page (GET /component/authorize, GET /component/callback) by which an
// administrator adds a mini program that authorizes kefu's platform. tokens.ts makes the platform's client.
import fp from 'fastify-plugin'
import { registerUncached } from '../common/uncached.js'
import componentRoutes from './routes.js'
import type { ConsoleComponent } from './tokens.js'

export { openComponent, type ConsoleComponent, type ConsoleComponentOptions } from './tokens.js'

declare module 'fastify' {
  interface FastifyInstance { component: ConsoleComponent | null }
}

export interface ComponentOptions {
  /** null when the mode is off: none of the routes exist (GET /api/component answers 404). */
  component: ConsoleComponent | null
  /** The console's origin (PUBLIC_URL): WeChat sends the browser back to <publicUrl>/component/callback. */
  publicUrl: string
}

export default fp<ComponentOptions>(async function component (fastify, opts) {
  fastify.decorate('component', opts.component)
  const platform = opts.component
  if (platform !== null) await registerUncached(fastify, async (scope) => { await scope.register(componentRoutes, { component: platform, publicUrl: opts.publicUrl }) })
}, { name: 'kefu-console-component', dependencies: ['kefu-console-agent'] })
