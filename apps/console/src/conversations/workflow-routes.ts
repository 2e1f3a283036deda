import type { FastifyInstance, FastifyReply } from 'fastify'
import { BadSnooze, NoSuchConversation, NotAnAgentOfApp, NotYours } from '../common/errors.js'
import type { ConversationStatus } from './store.js'
import { SNOOZE_MAX_MS, type AssignmentConflict, type ChangeKind, type Changed } from './workflow.js'
import { agentOf, conversationParams, username, type ConversationParams } from '../common/guards.js'

// null first: the validator would otherwise turn null into "" (or 0) for the other branch before trying it.
const nullableUsername = { anyOf: [{ type: 'null' }, username] } as const
const body = <P extends Record<string, unknown>>(properties: P, required: Array<keyof P & string>) =>
  ({ type: 'object', additionalProperties: false, required, properties }) as const

/**
 * Assignment, status, snooze and internal notes. Every change is one transaction on the conversation row, lands in
 * its timeline, and reaches every open console of its mini program live (`event: conversation`).
 */
export default async function workflowRoutes (fastify: FastifyInstance): Promise<void> {
  const store = fastify.consoleStore
  const workflow = fastify.workflow

  /** Answers with the conversation as it is now and announces the change to every console. */
  async function done (reply: FastifyReply, appid: string, openid: string, changed: Changed | null, kind: ChangeKind, status = 200): Promise<FastifyReply> {
    if (changed === null) throw new NoSuchConversation()
    const conversation = await store.conversation(appid, openid)
    if (conversation === null) throw new NoSuchConversation()
    if (changed.activities.length > 0) fastify.live.publishConversation({ conversation, activities: changed.activities, changed: [kind] })
    return reply.code(status).send({ conversation, activities: changed.activities })
  }

  function conflict (reply: FastifyReply, result: AssignmentConflict): FastifyReply {
    const who = result.assignee ?? 'nobody'
    return reply.code(409).send({
      statusCode: 409,
      code: 'KEFU_CONSOLE_ALREADY_ASSIGNED',
      error: 'Conflict',
      message: result.assignee === null ? 'this conversation was released meanwhile' : `${who} is already answering this conversation`,
      assignee: result.assignee
    })
  }

  fastify.post<{ Params: ConversationParams }>('/api/conversations/:appid/:openid/claim', {
    schema: { params: conversationParams }
  }, async function claim (request, reply) {
    const { appid, openid } = request.params
    const agent = await agentOf(request, appid)
    const result = await workflow.setAssignee(appid, openid, { expected: null, to: agent.username, actor: agent.username })
    if (result !== null && 'conflict' in result) return conflict(reply, result)
    return await done(reply, appid, openid, result, 'assignment')
  })

  // Hand over (to a colleague who serves the mini program) or release (to null). `from` is who the caller believes
  // answers it now: if someone else changed it meanwhile, nothing changes and the answer says who has it.
  fastify.post<{ Params: ConversationParams, Body: { to: string | null, from: string | null } }>('/api/conversations/:appid/:openid/assign', {
    schema: { params: conversationParams, body: body({ to: nullableUsername, from: nullableUsername }, ['to', 'from']) }
  }, async function assign (request, reply) {
    const { appid, openid } = request.params
    const { to, from } = request.body
    const agent = await agentOf(request, appid)
    if (from !== null && from !== agent.username && (await fastify.team.profile(agent.username)).role !== 'admin') throw new NotYours(from)
    if (to !== null && !(await fastify.team.serves(to, appid))) throw new NotAnAgentOfApp(to)
    const result = await workflow.setAssignee(appid, openid, { expected: from, to, actor: agent.username })
    if (result !== null && 'conflict' in result) return conflict(reply, result)
    return await done(reply, appid, openid, result, 'assignment')
  })

  fastify.post<{ Params: ConversationParams, Body: { status: ConversationStatus } }>('/api/conversations/:appid/:openid/status', {
    schema: { params: conversationParams, body: body({ status: { type: 'string', enum: ['open', 'pending', 'resolved'] } }, ['status']) }
  }, async function setStatus (request, reply) {
    const { appid, openid } = request.params
    const agent = await agentOf(request, appid)
    return await done(reply, appid, openid, await workflow.setStatus(appid, openid, request.body.status, agent.username), 'status')
  })

  fastify.post<{ Params: ConversationParams, Body: { until: number | null } }>('/api/conversations/:appid/:openid/snooze', {
    schema: { params: conversationParams, body: body({ until: { anyOf: [{ type: 'null' }, { type: 'integer', minimum: 0 }] } }, ['until']) }
  }, async function snooze (request, reply) {
    const { appid, openid } = request.params
    const { until } = request.body
    const agent = await agentOf(request, appid)
    const now = Date.now()
    if (until !== null && until <= now) throw new BadSnooze('until must be in the future (milliseconds since the epoch)')
    if (until !== null && until > now + SNOOZE_MAX_MS) throw new BadSnooze('a conversation can be snoozed for 30 days at most')
    return await done(reply, appid, openid, await workflow.snooze(appid, openid, until, agent.username), 'snooze')
  })

  fastify.post<{ Params: ConversationParams, Body: { text: string } }>('/api/conversations/:appid/:openid/notes', {
    schema: { params: conversationParams, body: body({ text: { type: 'string', minLength: 1, maxLength: 2000, pattern: '\\S' } }, ['text']) }
  }, async function addNote (request, reply) {
    const { appid, openid } = request.params
    const agent = await agentOf(request, appid)
    return await done(reply, appid, openid, await workflow.addNote(appid, openid, request.body.text.trim(), agent.username), 'note', 201)
  })
}
