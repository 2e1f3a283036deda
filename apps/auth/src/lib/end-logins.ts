import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { sendBackChannelLogout } from './back-channel.js'
import type { AuthContext } from './context.js'

/**
 * Ends A logins of one account (by handle) and every B session behind them: each login's session is destroyed,
 * then each B site that redeemed a ticket from one of them gets the signed back-channel logout. A B site that
 * misses the call still sees the login gone at its next check with A (≤ its check interval).
 * Resolves to how many of the logins were still live.
 */
export async function endLogins (fastify: FastifyInstance, ctx: AuthContext, log: FastifyBaseLogger, userId: string, handles: readonly string[]): Promise<number> {
  if (handles.length === 0) return 0
  let live = 0
  for (const handle of handles) if (await fastify.kefuSessions.destroyHandle(handle, userId)) live++
  const participants = await fastify.tickets.takeParticipants(handles)
  await sendBackChannelLogout({
    issuer: ctx.origin,
    clients: ctx.clients,
    timeoutMs: ctx.backChannelTimeoutMs,
    now: ctx.now,
    fetch: ctx.fetch,
    log,
    onFailure: (clientId, reason) => { ctx.metrics.backChannelFailures.inc({ client: clientId, reason }) }
  }, userId, participants)
  return live
}
