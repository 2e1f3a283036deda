// The team: agents' roles, availability and notification choices, who serves which mini program, and each mini
// program's assignment settings (team.ts, routes.ts).
import fp from 'fastify-plugin'
import { registerUncached } from '../common/uncached.js'
import teamRoutes from './routes.js'
import { TeamStore } from './team.js'

declare module 'fastify' {
  interface FastifyInstance { team: TeamStore }
}

export default fp(async function team (fastify) {
  fastify.decorate('team', new TeamStore(fastify.prisma))
  await registerUncached(fastify, teamRoutes)
}, { name: 'kefu-console-team', dependencies: ['kefu-console-agent'] })

export { DEFAULT_SETTINGS, TeamStore, type AppSettings, type Availability } from './team.js'
