import type { FastifyInstance } from 'fastify'
import { NoSuchMention } from '../common/errors.js'

// Ids are bigint: 18 digits at most keeps every one below PostgreSQL's int8 limit.
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[1-9][0-9]{0,17}$' } } } as const

/**
 * GET /api/mentions — the signed-in agent's newest mentions (in the mini programs they serve now) and how many are
 * unread. POST /api/mentions/:id/read — one of theirs read (opened); POST /api/mentions/read — all of them read
 * ("mark all read"); their other consoles hear of either live.
 */
export default async function mentionRoutes (fastify: FastifyInstance): Promise<void> {
  const store = fastify.mentions

  fastify.get<{ Querystring: { limit?: number } }>('/api/mentions', {
    schema: { querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 100 } } } }
  }, async function listMentions (request) {
    const agent = await request.agent()
    return await store.list(agent.username, agent.apps, request.query.limit ?? 50)
  })

  fastify.post('/api/mentions/read', async function readAllMentions (request) {
    const agent = await request.agent()
    const read = await store.markAllRead(agent.username, agent.apps)
    if (read > 0) fastify.live.publishMention({ username: agent.username, unread: 0, readAll: true })
    return { read, unread: 0 }
  })

  fastify.post<{ Params: { id: string } }>('/api/mentions/:id/read', {
    schema: { params: idParams }
  }, async function readMention (request) {
    const agent = await request.agent()
    const read = await store.markRead(BigInt(request.params.id), agent.username, agent.apps)
    if (read === null) throw new NoSuchMention()
    fastify.live.publishMention({ username: agent.username, appId: read.mention.appId, unread: read.unread, read: read.mention.id })
    return read
  })
}
