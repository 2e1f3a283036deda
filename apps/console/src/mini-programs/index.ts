// Mini programs, managed in the console by owners: the page (/mini-programs, mini-programs.js) and its API
// (routes.ts), the checks WeChat's settings impose (validate.ts), the figures per mini program (stats.ts). The
// mini programs themselves are fastify.miniPrograms (common/mini-programs.ts), the registry every instance shares.
import fp from 'fastify-plugin'
import { registerUncached } from '../common/uncached.js'
import type { WechatSender } from '../common/sender.js'
import miniProgramsRoutes from './routes.js'

export interface MiniProgramsOptions {
  /** INGEST_PUBLIC_URL: where WeChat reaches ingest. */
  ingestUrl: string
  sender: WechatSender
  now: () => number
}

export default fp<MiniProgramsOptions>(async function miniPrograms (fastify, opts) {
  await registerUncached(fastify, async (scope) => { await miniProgramsRoutes(scope, opts) })
}, { name: 'kefu-console-mini-programs', dependencies: ['kefu-console-agent', 'kefu-console-team', 'kefu-mini-programs'] })
