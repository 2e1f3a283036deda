import type { FastifyRequest } from 'fastify'
import { AdminOnly, NoSuchApp, OwnerOnly } from './errors.js'
import type { Agent } from './agent.js'

export interface ConversationParams { appid: string, openid: string }

export const APPID_PATTERN = '^wx[0-9A-Za-z]{16}$'
/** The A site's usernames (see @kefu/auth). */
export const USERNAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$'

export const conversationParams = {
  type: 'object',
  required: ['appid', 'openid'],
  properties: { appid: { type: 'string', pattern: APPID_PATTERN }, openid: { type: 'string', minLength: 1, maxLength: 128 } }
} as const

export const username = { type: 'string', pattern: USERNAME_PATTERN } as const

/** The agent, if `appid` is among their mini programs; 404 otherwise (indistinguishable from absent). */
export async function agentOf (request: FastifyRequest, appid: string): Promise<Agent> {
  const agent = await request.agent()
  if (!agent.apps.includes(appid)) throw new NoSuchApp()
  return agent
}

/** The agent, if they are an administrator (and `appid`, when given, is among their mini programs); 403 otherwise. */
export async function adminOf (request: FastifyRequest, what: string, appid?: string): Promise<Agent> {
  const agent = appid === undefined ? await request.agent() : await agentOf(request, appid)
  if ((await request.server.team.profile(agent.username)).role !== 'admin') throw new AdminOnly(appid === undefined ? what : `${what} of this mini program`)
  return agent
}

/** The signed-in agent, if they are an owner (who manages the mini programs themselves); 403 otherwise. */
export async function ownerOf (request: FastifyRequest, what: string): Promise<Agent> {
  const agent = await request.agent()
  if (!(await request.server.team.profile(agent.username)).owner) throw new OwnerOnly(what)
  return agent
}
