import fp from 'fastify-plugin'
import type { EventBus } from '@kefu/service'
import { AutoAssigner } from './auto-assign.js'

/** The console's live-update channel: every console process follows it and streams what it says to its pages. */
export const CHANGES_CHANNEL = 'kefu:console:changes'

/** An assignment the sweep made, as announced on CHANGES_CHANNEL (`{"assigned":[…]}`); consoles read the rest. */
export interface AssignedChange { appId: string, openid: string, activityId: string }

declare module 'fastify' {
  interface FastifyInstance {
    /** One sweep now (tests); resolves with the conversations it assigned. */
    assignmentSweep: () => Promise<number>
  }
}

export interface AssignmentSweepOptions {
  /** How often waiting conversations are assigned without a push (a missed announcement, an agent freed); default 15 s, 0 never. */
  sweepMs?: number
  /** Online agents count while a console of theirs had its stream open this recently (default 90 s). */
  connectedWithinS?: number
  /** The appids swept: the mini programs served now. */
  apps: () => Iterable<string>
  now?: () => number
}

/**
 * The automatic-assignment sweep: every `sweepMs`, the waiting conversations of each mini program set to round robin
 * are assigned (AutoAssigner: one run per mini program at a time across processes, so any number of sweeps may run
 * beside the consoles that assign as pushes arrive), and each assignment is announced to the consoles.
 */
export const assignmentSweep = fp<AssignmentSweepOptions>(async function assignmentSweep (fastify, opts) {
  const assigner = new AutoAssigner(fastify.prisma, opts.now ?? Date.now, opts.connectedWithinS)
  const bus: EventBus = fastify.bus
  async function sweep (): Promise<number> {
    const appIds = [...new Set(opts.apps())]
    if (appIds.length === 0) return 0
    const settings = await fastify.prisma.appSetting.findMany({ where: { appId: { in: appIds }, autoAssign: 'round_robin' }, orderBy: { appId: 'asc' } })
    let total = 0
    for (const s of settings) {
      // A few at a time: each run holds the mini program's assignment lock, which pushes being relayed wait for.
      for (;;) {
        const assigned = await assigner.run(s.appId, s.maxOpenPerAgent, undefined, 20)
        total += assigned.length
        if (assigned.length > 0) {
          const change: AssignedChange[] = assigned.map((a) => ({ appId: a.appId, openid: a.openid, activityId: a.activity.id.toString() }))
          await bus.publish(CHANGES_CHANNEL, JSON.stringify({ assigned: change }))
        }
        if (assigned.length < 20) break
      }
    }
    return total
  }
  fastify.decorate('assignmentSweep', sweep)

  let timer: NodeJS.Timeout | undefined
  fastify.addHook('onReady', async () => {
    const sweepMs = opts.sweepMs ?? 15_000
    if (sweepMs <= 0) return
    let sweeping = false
    timer = setInterval(() => {
      if (sweeping) return
      sweeping = true
      sweep().catch((err: Error) => { fastify.log.warn({ err: err.message }, 'automatic assignment failed') }).finally(() => { sweeping = false })
    }, sweepMs)
    timer.unref()
  })
  fastify.addHook('preClose', async () => { clearInterval(timer) })
}, { name: 'kefu-assignment-sweep', dependencies: ['kefu-database', 'kefu-bus'] })
