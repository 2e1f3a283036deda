// Conversations: the list, the timeline, replies, read marks and uploads (routes.ts, over store.ts, within WeChat's
// reply window), what agents do to a conversation (claim, assign, status, snooze, notes: workflow.ts and
// workflow-routes.ts); automatic assignment is @kefu/assignment's, run by the live updates.
import fp from 'fastify-plugin'
import { registerUncached } from '../common/uncached.js'
import apiRoutes, { type ApiRoutesOptions } from './routes.js'
import type { ConsoleStore } from './store.js'
import { Workflow } from './workflow.js'
import workflowRoutes from './workflow-routes.js'

declare module 'fastify' {
  interface FastifyInstance {
    consoleStore: ConsoleStore
    workflow: Workflow
  }
}

export interface ConversationsOptions extends ApiRoutesOptions {
  store: ConsoleStore
  now: () => number
}

export default fp<ConversationsOptions>(async function conversations (fastify, opts) {
  fastify.decorate('consoleStore', opts.store)
  fastify.decorate('workflow', new Workflow(fastify.prisma, opts.now))
  await fastify.register(apiRoutes, { sender: opts.sender, canReply: opts.canReply, appName: opts.appName, replyLimiter: opts.replyLimiter })
  await registerUncached(fastify, workflowRoutes)
}, { name: 'kefu-console-conversations', dependencies: ['kefu-console-agent'] })

export { ConsoleStore, conversationState, type ConversationState, type ConversationStatus, type ConversationSummary } from './store.js'
export type { ChangeKind, NoteDraft, NoteHook, NoteStep } from './workflow.js'
export { ENTER_WINDOW_QUOTA, MESSAGE_WINDOW_QUOTA } from './reply-window.js'
