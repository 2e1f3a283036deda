// Live updates: what ingest stores and what agents change, announced to every console process (plugin.ts, which
// also runs automatic assignment as pushes arrive) and streamed to the open pages (GET /api/events: routes.ts,
// live-streams.ts, stream-registry.ts).
import fp from 'fastify-plugin'
import { AutoAssigner } from '@kefu/assignment'
import livePlugin, { type LivePluginOptions } from './plugin.js'
import eventsRoutes, { type EventsRoutesOptions } from './routes.js'

export interface LiveOptions extends Pick<LivePluginOptions, 'configuredApps' | 'now'>, Pick<EventsRoutesOptions, 'sessionCheckMs' | 'limits' | 'redisPrefix'> {
  /** Online agents count for automatic assignment while a console of theirs had its stream open this recently (90 s). */
  connectedWithinS?: number
}

export default fp<LiveOptions>(async function live (fastify, opts) {
  await fastify.register(livePlugin, {
    team: fastify.team,
    assigner: new AutoAssigner(fastify.prisma, opts.now, opts.connectedWithinS),
    configuredApps: opts.configuredApps,
    now: opts.now
  })
  await fastify.register(eventsRoutes, { sessionCheckMs: opts.sessionCheckMs, limits: opts.limits, redisPrefix: opts.redisPrefix })
}, { name: 'kefu-console-live', dependencies: ['kefu-console-conversations', 'kefu-console-team'] })

export { CHANGES_CHANNEL, MESSAGES_CHANNEL, OUTBOUND_CHANNEL, type AgentChange, type ConversationChange, type MentionChange, type QuickRepliesChange } from './plugin.js'
export { DEFAULT_STREAM_LIMITS, type LiveStreamLimits } from './routes.js'
