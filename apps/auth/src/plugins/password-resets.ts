import fp from 'fastify-plugin'
import type { AuthContext } from '../lib/context.js'
import { endLogins } from '../lib/end-logins.js'

export interface PasswordResetsOptions {
  ctx: AuthContext
  /** How often the account table is asked for new password resets (default 2000 ms). */
  pollMs: number
}

/**
 * A password reset ends every sign-in that began before it, on A and on every B site behind it. The reset is
 * written to the account (`sessions_valid_from`) by whoever makes it — `user:add`, another auth instance, SQL — so
 * each auth instance looks for recent resets every `pollMs` and ends the sessions that predate them (both session
 * stores; sessions in Redis too when the reset happened while no auth was running: resets younger than the absolute
 * limit are checked at start). Ending is idempotent, so instances need not agree on who does it.
 */
export default fp<PasswordResetsOptions>(async function passwordResets (fastify, opts) {
  const { ctx } = opts
  const done = new Map<string, number>()
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined

  async function sweep (): Promise<void> {
    const since = ctx.now() - fastify.kefuSessions.limits.absoluteMs
    const resets = await fastify.prisma.account.findMany({
      where: { sessionsValidFrom: { gt: new Date(since) } },
      select: { id: true, username: true, sessionsValidFrom: true }
    })
    for (const [id, from] of done) if (from <= since) done.delete(id)
    for (const account of resets) {
      const id = account.id.toString()
      const from = account.sessionsValidFrom!.getTime()
      if (done.get(id) === from) continue
      const older = (await fastify.kefuSessions.listForUser(id)).filter((s) => s.createdAt < from).map((s) => s.handle)
      if (older.length > 0) {
        const live = await endLogins(fastify, ctx, fastify.log, id, older)
        fastify.log.info({ username: account.username, sessions: live }, 'password reset: earlier sign-ins ended')
      }
      done.set(id, from)
    }
  }

  function tick (): void {
    if (running !== undefined) return
    running = sweep()
      .catch((err: Error) => { fastify.log.warn({ err: err.message }, 'password resets not checked; trying again') })
      .finally(() => { running = undefined })
  }

  fastify.addHook('onReady', async () => {
    tick()
    timer = setInterval(tick, opts.pollMs)
    timer.unref()
  })
  fastify.addHook('preClose', async () => {
    clearInterval(timer)
    await running
  })
}, { name: 'kefu-auth-password-resets', dependencies: ['kefu-auth-stores'] })
