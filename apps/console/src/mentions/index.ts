// Mentions: `@username` in an internal note names a colleague who serves the mini program; they are told live (on
// their consoles only) and keep a list of their mentions, each read when they open it (store.ts, routes.ts; the
// composer's picker and the header's list: mention-picker.js, mentions.js).
import fp from 'fastify-plugin'
import type { NoteStep } from '../conversations/index.js'
import { TooManyMentions } from '../common/errors.js'
import { registerUncached } from '../common/uncached.js'
import mentionRoutes from './routes.js'
import { MAX_MENTIONS, MentionStore } from './store.js'

declare module 'fastify' {
  interface FastifyInstance { mentions: MentionStore }
}

export default fp<{ now: () => number }>(async function mentions (fastify, opts) {
  const store = new MentionStore(fastify.prisma, opts.now)
  fastify.decorate('mentions', store)

  async function announce (note: Parameters<NoteStep['committed']>[0], agents: string[]): Promise<void> {
    const apps = await fastify.agentAppsOf(agents)
    for (const made of await store.made(note.id, apps)) {
      fastify.live.publishMention({ username: made.agent, appId: made.mention.appId, unread: made.unread, mention: made.mention })
    }
  }

  // Stored in the note's transaction; a note naming too many colleagues is refused whole.
  fastify.workflow.onNote(async (draft) => {
    const agents = await store.resolve(draft.appId, draft.text, draft.actor)
    if (agents.length > MAX_MENTIONS) throw new TooManyMentions(MAX_MENTIONS, agents.length)
    if (agents.length === 0) return null
    return {
      within: async (tx, note) => { await store.create(tx, note, agents) },
      committed: (note) => { announce(note, agents).catch((err: Error) => { fastify.log.warn({ err: err.message }, 'mentions not announced') }) }
    }
  })
  await registerUncached(fastify, mentionRoutes)
}, { name: 'kefu-console-mentions', dependencies: ['kefu-console-agent', 'kefu-console-conversations', 'kefu-console-live-updates'] })

export { MAX_MENTIONS, type MentionItem } from './store.js'
