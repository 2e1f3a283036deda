import type { FastifyInstance } from 'fastify'
import { BadDisplayName, BadTags, NoSuchConversation } from '../common/errors.js'
import { APPID_PATTERN, agentOf, conversationParams, type ConversationParams } from '../common/guards.js'

const TAG = { type: 'string', minLength: 1, maxLength: 32, pattern: '^[^\\u0000-\\u001f\\u007f,]+$' } as const
const MAX_TAGS = 20
/** A customer's display name: at most this many characters once trimmed. */
export const MAX_DISPLAY_NAME = 64

/** Tags as agents typed them: trimmed, each once, in their order. */
function cleanTags (tags: string[]): string[] {
  const clean = [...new Set(tags.map((t) => t.trim()))]
  if (clean.some((t) => t === '')) throw new BadTags('a tag cannot be blank')
  return clean
}

/**
 * The customer panel: what kefu knows of the customer (first contact, last entry scene, message counts, tags and a
 * note agents keep), and, where the mini program has a profileUrl, what the business's own backend knows.
 */
export default async function customerRoutes (fastify: FastifyInstance): Promise<void> {
  const customers = fastify.customers
  const lookup = fastify.profileLookup

  fastify.get<{ Params: ConversationParams }>('/api/conversations/:appid/:openid/customer', {
    schema: { params: conversationParams }
  }, async function customerPanel (request) {
    const { appid, openid } = request.params
    await agentOf(request, appid)
    const panel = await customers.panel(appid, openid)
    if (panel === null) throw new NoSuchConversation()
    return { customer: { ...panel, profileLookup: lookup.configured(appid) } }
  })

  fastify.patch<{ Params: ConversationParams, Body: { tags?: string[], note?: string | null } }>('/api/conversations/:appid/:openid/customer', {
    schema: {
      params: conversationParams,
      body: {
        type: 'object',
        additionalProperties: false,
        minProperties: 1,
        properties: {
          tags: { type: 'array', maxItems: MAX_TAGS, items: TAG },
          note: { anyOf: [{ type: 'null' }, { type: 'string', maxLength: 2000 }] }
        }
      }
    }
  }, async function updateCustomer (request) {
    const { appid, openid } = request.params
    await agentOf(request, appid)
    const tags = request.body.tags === undefined ? undefined : cleanTags(request.body.tags)
    const note = request.body.note === undefined ? undefined : (request.body.note?.trim() ?? '') === '' ? null : request.body.note!.trim()
    const state = await customers.update(appid, openid, { tags, note })
    if (state === null) throw new NoSuchConversation()
    const conversation = await fastify.consoleStore.conversation(appid, openid)
    if (conversation !== null) fastify.live.publishConversation({ conversation, activities: [], changed: ['customer'] })
    const panel = await customers.panel(appid, openid)
    return { customer: { ...panel, profileLookup: lookup.configured(appid) } }
  })

  // The name agents give the customer, shown instead of the openid; an empty one clears it.
  fastify.put<{ Params: ConversationParams, Body: { displayName: string } }>('/api/conversations/:appid/:openid/name', {
    schema: {
      params: conversationParams,
      body: {
        type: 'object',
        required: ['displayName'],
        propertyNames: { enum: ['displayName'] },
        properties: { displayName: { type: 'string', maxLength: 1000, pattern: '^[^\\u0000-\\u001f\\u007f]*$' } }
      }
    }
  }, async function renameCustomer (request) {
    const { appid, openid } = request.params
    await agentOf(request, appid)
    const name = request.body.displayName.trim()
    if ([...name].length > MAX_DISPLAY_NAME) throw new BadDisplayName(`a display name is at most ${MAX_DISPLAY_NAME} characters`)
    const state = await customers.rename(appid, openid, name === '' ? null : name)
    if (state === null) throw new NoSuchConversation()
    const conversation = await fastify.consoleStore.conversation(appid, openid)
    if (conversation !== null) fastify.live.publishConversation({ conversation, activities: [], changed: ['customer'] })
    return { displayName: state.displayName }
  })

  // Only for a customer of this agent's mini program who has written (the backend is never asked about made-up openids).
  fastify.get<{ Params: ConversationParams }>('/api/conversations/:appid/:openid/profile', {
    schema: { params: conversationParams }
  }, async function customerProfile (request) {
    const { appid, openid } = request.params
    await agentOf(request, appid)
    if (!lookup.configured(appid)) return { status: 'off' }
    if (await fastify.consoleStore.conversation(appid, openid) === null) throw new NoSuchConversation()
    return await lookup.lookup(appid, openid)
  })

  fastify.get<{ Querystring: { appid?: string } }>('/api/tags', {
    schema: { querystring: { type: 'object', additionalProperties: false, properties: { appid: { type: 'string', pattern: APPID_PATTERN } } } }
  }, async function tags (request) {
    const agent = request.query.appid === undefined ? await request.agent() : await agentOf(request, request.query.appid)
    return { tags: await fastify.consoleStore.tags(request.query.appid === undefined ? agent.apps : [request.query.appid], 100) }
  })
}
