import type { FastifyInstance } from 'fastify'
import { AdminOfNothing, AdminOnly, BadTimeZone, LastAdmin, NoSuchAccount, NoSuchApp, RoleBeyondYours } from '../common/errors.js'
import { canonicalTimeZone, teamTimeZone } from '../common/time-zone.js'
import type { AutoAssign, Availability, Role } from './team.js'
import { APPID_PATTERN, adminOf, agentOf, username } from '../common/guards.js'

/**
 * The team: colleagues and their availability, the agent's own availability and notification choices, and what
 * administrators manage (who serves which mini program, roles, automatic assignment).
 */
export default async function teamRoutes (fastify: FastifyInstance): Promise<void> {
  const team = fastify.team

  async function announceAgent (name: string): Promise<void> {
    const profile = await team.profile(name)
    fastify.live.publishAgent({ username: name, availability: profile.availability, apps: await fastify.agentApps(name) })
  }

  fastify.get('/api/counts', async function counts (request) {
    const agent = await request.agent()
    return await fastify.consoleStore.counts(agent.apps, agent.username)
  })

  // Colleagues who serve the agent's mini programs, administrators included: nobody sees who serves only others'.
  fastify.get('/api/agents', async function agents (request) {
    const agent = await request.agent()
    return { agents: await team.members(agent.apps) }
  })

  fastify.put<{ Body: { availability: Availability } }>('/api/me/availability', {
    schema: { body: { type: 'object', additionalProperties: false, required: ['availability'], properties: { availability: { type: 'string', enum: ['online', 'away', 'offline'] } } } }
  }, async function setAvailability (request) {
    const agent = await request.agent()
    const profile = await team.setAvailability(agent.username, request.body.availability)
    fastify.live.publishAgent({ username: agent.username, availability: profile.availability, apps: agent.apps })
    // Conversations waiting for someone may now go to this agent.
    if (profile.availability === 'online') fastify.live.autoAssign(agent.apps).catch((err: Error) => { request.log.warn({ err: err.message }, 'automatic assignment failed') })
    return { me: profile }
  })

  fastify.put<{ Body: { desktop: boolean, sound: boolean } }>('/api/me/notifications', {
    schema: { body: { type: 'object', additionalProperties: false, required: ['desktop', 'sound'], properties: { desktop: { type: 'boolean' }, sound: { type: 'boolean' } } } }
  }, async function setNotifications (request) {
    const agent = await request.agent()
    return { me: await team.setNotifications(agent.username, request.body) }
  })

  // Administrators: which of their mini programs an agent serves (the others are left as they are), and roles. An
  // account that serves none yet (fresh from agent:add or the sign-in site) is added by its exact name; one that
  // serves only other mini programs is answered as an absent one, so that no administrator learns of the others'.
  fastify.put<{ Params: { username: string }, Body: { apps?: string[], role?: Role } }>('/api/agents/:username', {
    schema: {
      params: { type: 'object', required: ['username'], properties: { username } },
      body: {
        type: 'object',
        additionalProperties: false,
        minProperties: 1,
        properties: {
          apps: { type: 'array', maxItems: 500, uniqueItems: true, items: { type: 'string', pattern: APPID_PATTERN } },
          role: { type: 'string', enum: ['agent', 'admin'] }
        }
      }
    }
  }, async function manageAgent (request) {
    const admin = await adminOf(request, 'manage agents')
    const name = request.params.username
    const { apps, role } = request.body
    if (apps !== undefined && apps.some((a) => !admin.apps.includes(a))) throw new NoSuchApp()
    const outcome = await team.manage(name, admin.apps, { apps, role })
    if ('refused' in outcome) {
      if (outcome.refused === 'unknown') throw new NoSuchAccount(name)
      if (outcome.refused === 'role') throw new RoleBeyondYours(name)
      if (outcome.refused === 'admin-of-nothing') throw new AdminOfNothing(name)
      throw new LastAdmin(outcome.appIds.join(', '))
    }
    await announceAgent(name)
    const [member] = (await team.members(admin.apps)).filter((m) => m.username === name)
    if (member !== undefined) return { agent: member }
    const { role: now, availability } = await team.profile(name)
    return { agent: { username: name, role: now, availability, apps: [] } }
  })

  fastify.get<{ Params: { appid: string } }>('/api/apps/:appid/settings', {
    schema: { params: { type: 'object', required: ['appid'], properties: { appid: { type: 'string', pattern: APPID_PATTERN } } } }
  }, async function appSettings (request) {
    await agentOf(request, request.params.appid)
    const [settings] = await team.settings([request.params.appid])
    return { settings }
  })

  fastify.put<{ Params: { appid: string }, Body: { autoAssign: AutoAssign, maxOpenPerAgent: number } }>('/api/apps/:appid/settings', {
    schema: {
      params: { type: 'object', required: ['appid'], properties: { appid: { type: 'string', pattern: APPID_PATTERN } } },
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['autoAssign', 'maxOpenPerAgent'],
        properties: { autoAssign: { type: 'string', enum: ['off', 'round_robin'] }, maxOpenPerAgent: { type: 'integer', minimum: 1, maximum: 1000 } }
      }
    }
  }, async function setAppSettings (request) {
    const appid = request.params.appid
    const admin = await adminOf(request, 'change automatic assignment', appid)
    const settings = await team.setSettings(appid, request.body, admin.username)
    fastify.live.publishSettings(appid)
    if (settings.autoAssign === 'round_robin') fastify.live.autoAssign([appid]).catch((err: Error) => { request.log.warn({ err: err.message }, 'automatic assignment failed') })
    return { settings }
  })

  // The team's time zone: reports count days in it, and the console names it. Every agent reads it; an owner or an
  // administrator changes it.
  fastify.get('/api/team/settings', async function teamSettings (request) {
    await request.agent()
    return { settings: { timeZone: await teamTimeZone(fastify.prisma) } }
  })

  fastify.put<{ Body: { timeZone: string } }>('/api/team/settings', {
    schema: { body: { type: 'object', required: ['timeZone'], propertyNames: { enum: ['timeZone'] }, properties: { timeZone: { type: 'string', minLength: 1, maxLength: 64 } } } }
  }, async function setTeamSettings (request) {
    const agent = await request.agent()
    const profile = await team.profile(agent.username)
    if (profile.role !== 'admin' && !profile.owner) throw new AdminOnly('change the team’s time zone (an owner may too)')
    const timeZone = canonicalTimeZone(request.body.timeZone.trim())
    if (timeZone === null) throw new BadTimeZone(request.body.timeZone.slice(0, 64))
    await fastify.prisma.teamSetting.upsert({ where: { id: 1 }, create: { id: 1, timeZone, updatedBy: agent.username }, update: { timeZone, updatedBy: agent.username } })
    return { settings: { timeZone } }
  })
}
