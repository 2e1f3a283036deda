// Quick replies: canned answers shared by a mini program's agents or an agent's own (store.ts, routes.ts).
import fp from 'fastify-plugin'
import { registerUncached } from '../common/uncached.js'
import quickReplyRoutes from './routes.js'
import { QuickReplyStore } from './store.js'

declare module 'fastify' {
  interface FastifyInstance { quickReplies: QuickReplyStore }
}

export default fp(async function quickReplies (fastify) {
  fastify.decorate('quickReplies', new QuickReplyStore(fastify.prisma))
  await registerUncached(fastify, quickReplyRoutes)
}, { name: 'kefu-console-quick-replies', dependencies: ['kefu-console-agent'] })
