import type { FastifyInstance, FastifyRequest } from 'fastify'
import { DuplicateShortcut, NoSuchQuickReply, UnknownVariable } from '../common/errors.js'
import { DuplicateShortcut as Duplicate, type QuickReply } from './store.js'
import { APPID_PATTERN, adminOf, agentOf } from '../common/guards.js'

const shortcut = { type: 'string', minLength: 1, maxLength: 32, pattern: '^[\\p{L}\\p{N}_-]+$' } as const
const text = { type: 'string', minLength: 1, maxLength: 2000, pattern: '\\S' } as const
/** The variables the composer fills in (variables.js, in the browser); any other `{{…}}` is a mistake. */
const VARIABLES = new Set(['customer.name', 'agent.name', 'mini_program.name'])
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g

/** The text as given, or UnknownVariable for the first `{{…}}` that is not one of VARIABLES. */
function checkedText (body: string): string {
  for (const m of body.matchAll(PLACEHOLDER)) if (!VARIABLES.has(m[1]!)) throw new UnknownVariable(m[0])
  return body.trim()
}
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[0-9]{1,18}$' } } } as const

/**
 * Quick replies: shared ones per mini program (administrators manage them) and each agent's own. The composer
 * searches them when the agent types `/`.
 */
export default async function quickReplyRoutes (fastify: FastifyInstance): Promise<void> {
  const replies = fastify.quickReplies

  /** A quick reply the agent may change: their own, or a shared one of their mini program if they are an administrator. */
  async function editable (request: FastifyRequest, id: string): Promise<QuickReply> {
    const agent = await request.agent()
    const found = await replies.get(id)
    const visible = found !== null && (found.scope === 'personal' ? found.owner === agent.username : agent.apps.includes(found.appId!))
    if (found === null || !visible) throw new NoSuchQuickReply()
    if (found.scope === 'shared') await adminOf(request, 'manage shared quick replies', found.appId)
    return found
  }

  function announce (q: QuickReply): void {
    fastify.live.publishQuickReplies(q.scope === 'shared' ? { appId: q.appId! } : { username: q.owner! })
  }

  async function saving<T> (name: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      if (err instanceof Duplicate) throw new DuplicateShortcut(name)
      throw err
    }
  }

  fastify.get<{ Querystring: { appid?: string } }>('/api/quick-replies', {
    schema: { querystring: { type: 'object', properties: { appid: { type: 'string', pattern: APPID_PATTERN } } } }
  }, async function listQuickReplies (request) {
    const { appid } = request.query
    const agent = appid === undefined ? await request.agent() : await agentOf(request, appid)
    return { quickReplies: await replies.list(appid === undefined ? agent.apps : [appid], agent.username) }
  })

  fastify.post<{ Body: { scope: 'shared' | 'personal', appId?: string, shortcut: string, text: string } }>('/api/quick-replies', {
    schema: {
      // One object schema with if/then rather than oneOf: dropping unknown properties per branch would drop appId.
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['scope', 'shortcut', 'text'],
        properties: { scope: { type: 'string', enum: ['shared', 'personal'] }, appId: { type: 'string', pattern: APPID_PATTERN }, shortcut, text },
        if: { properties: { scope: { const: 'shared' } } },
        then: { required: ['appId'] }
      }
    }
  }, async function createQuickReply (request, reply) {
    const { scope, appId, shortcut: name, text: body } = request.body
    const agent = scope === 'shared' ? await adminOf(request, 'manage shared quick replies', appId) : await request.agent()
    const created = await saving(name, () => replies.create(scope === 'shared' ? { appId: appId! } : { username: agent.username }, { shortcut: name, text: checkedText(body) }, agent.username))
    announce(created)
    return reply.code(201).send({ quickReply: created })
  })

  fastify.put<{ Params: { id: string }, Body: { shortcut: string, text: string } }>('/api/quick-replies/:id', {
    schema: { params: idParams, body: { type: 'object', additionalProperties: false, required: ['shortcut', 'text'], properties: { shortcut, text } } }
  }, async function updateQuickReply (request) {
    await editable(request, request.params.id)
    const updated = await saving(request.body.shortcut, () => replies.update(request.params.id, { shortcut: request.body.shortcut, text: checkedText(request.body.text) }))
    announce(updated)
    return { quickReply: updated }
  })

  fastify.delete<{ Params: { id: string } }>('/api/quick-replies/:id', {
    schema: { params: idParams }
  }, async function deleteQuickReply (request, reply) {
    const found = await editable(request, request.params.id)
    await replies.delete(request.params.id)
    announce(found)
    return reply.code(204).send()
  })
}
