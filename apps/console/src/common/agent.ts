import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'
import { LoginRequiredError } from '@kefu/sso-client'
import type { MiniProgramLookup } from './mini-programs.js'

export interface Agent {
  username: string
  /** The mini programs this agent may see: assigned to them and known here (enabled or not: history stays). */
  apps: string[]
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in agent and their mini programs; 401 without a sign-in. Memoized per request. */
    agent: () => Promise<Agent>
  }
  interface FastifyInstance {
    /** The mini programs an agent may see now: assigned to them and configured here. */
    agentApps: (username: string) => Promise<string[]>
    /** The same for many agents in one query. */
    agentAppsOf: (usernames: string[]) => Promise<Map<string, string[]>>
  }
}

/** Where agents' mini programs are read (the conversations' ConsoleStore). */
export interface AgentAppsSource {
  agentApps: (username: string) => Promise<string[]>
  agentAppsOf: (usernames: string[]) => Promise<Map<string, string[]>>
}

export interface AgentPluginOptions {
  store: AgentAppsSource
  /** The mini programs of the mini_program table, as they are now. */
  known: MiniProgramLookup
}

export default fp<AgentPluginOptions>(async function agentPlugin (fastify, opts) {
  const configured = { has: (appid: string) => opts.known.find(appid) !== undefined }
  async function agentApps (username: string): Promise<string[]> {
    return (await opts.store.agentApps(username)).filter((appId) => configured.has(appId))
  }
  fastify.decorate('agentApps', agentApps)
  fastify.decorate('agentAppsOf', async function agentAppsOf (usernames: string[]): Promise<Map<string, string[]>> {
    const all = await opts.store.agentAppsOf(usernames)
    return new Map([...all].map(([username, apps]) => [username, apps.filter((appId) => configured.has(appId))]))
  })
  const memo = new WeakMap<FastifyRequest, Promise<Agent>>()
  fastify.decorateRequest('agent', function agent (this: FastifyRequest): Promise<Agent> {
    let found = memo.get(this)
    if (found === undefined) {
      found = (async () => {
        const user = await this.ssoUser()
        if (user === null) throw new LoginRequiredError()
        return { username: user.username, apps: await agentApps(user.username) }
      })()
      memo.set(this, found)
    }
    return found
  })
}, { name: 'kefu-console-agent' })
