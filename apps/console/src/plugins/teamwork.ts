import fp from 'fastify-plugin'
import type { WechatAppConfig } from '@kefu/service'
import { AutoAssigner } from '../conversations/auto-assign.js'
import { CustomerStore } from '../customer/customer.js'
import { ProfileLookup } from '../customer/profile-lookup.js'
import { QuickReplyStore } from '../quick-replies/store.js'
import { TeamStore } from '../team/team.js'
import { Workflow } from '../conversations/workflow.js'
import customerRoutes from '../customer/routes.js'
import quickReplyRoutes from '../quick-replies/routes.js'
import teamRoutes from '../team/routes.js'
import workflowRoutes from '../conversations/workflow-routes.js'
import livePlugin from '../live/plugin.js'

declare module 'fastify' {
  interface FastifyInstance {
    team: TeamStore
    workflow: Workflow
    customers: CustomerStore
    quickReplies: QuickReplyStore
    profileLookup: ProfileLookup
  }
}

export interface TeamworkOptions {
  apps: WechatAppConfig[]
  /** Key prefix for what the console keeps in Redis (profile answers). */
  redisPrefix: string
  /** Customer-profile lookups: longest wait (default 1500 ms) and how long answers are kept (default 300 s). */
  profileTimeoutMs?: number
  profileCacheS?: number
  /** How often waiting conversations are assigned automatically without a push (default 15 s; 0: only on pushes). */
  autoAssignSweepMs?: number
  /** Online agents count for automatic assignment while a console of theirs had its stream open this recently (90 s). */
  connectedWithinS?: number
  fetch?: typeof fetch
  now: () => number
}

/**
 * The console as a team's tool (issue #10): assignment (by hand and round robin), status and snooze, internal notes,
 * availability, roles, quick replies, the customer panel and its profile lookup, and the live fan-out of all of it.
 */
export default fp<TeamworkOptions>(async function teamwork (fastify, opts) {
  const prisma = fastify.prisma
  const team = new TeamStore(prisma)
  fastify.decorate('team', team)
  fastify.decorate('workflow', new Workflow(prisma, opts.now))
  fastify.decorate('customers', new CustomerStore(prisma))
  fastify.decorate('quickReplies', new QuickReplyStore(prisma))
  fastify.decorate('profileLookup', new ProfileLookup({
    apps: opts.apps,
    redis: fastify.redis,
    redisPrefix: opts.redisPrefix + 'profile:',
    timeoutMs: opts.profileTimeoutMs,
    cacheS: opts.profileCacheS,
    fetch: opts.fetch,
    now: opts.now,
    logger: fastify.log
  }))
  await fastify.register(livePlugin, {
    team,
    assigner: new AutoAssigner(prisma, opts.now, opts.connectedWithinS),
    configuredApps: opts.apps.map((a) => a.appid),
    autoAssignSweepMs: opts.autoAssignSweepMs,
    now: opts.now
  })
  await fastify.register(async function teamworkRoutes (routes) {
    routes.addHook('onSend', async (_request, reply) => {
      if (reply.getHeader('cache-control') === undefined) void reply.header('cache-control', 'no-store')
    })
    await routes.register(workflowRoutes)
    await routes.register(customerRoutes)
    await routes.register(teamRoutes)
    await routes.register(quickReplyRoutes)
  })
}, { name: 'kefu-console-teamwork', dependencies: ['kefu-console-agent'] })
