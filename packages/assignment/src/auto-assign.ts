import { Prisma, type PrismaClient } from '@kefu/db'

/** The conversation_activity row an automatic assignment wrote (the console shows it as a timeline item). */
export type AssignmentActivity = Prisma.ConversationActivityGetPayload<object>

export interface AutoAssigned { appId: string, openid: string, assignee: string, activity: AssignmentActivity }

/**
 * Round robin among a mini program's online agents whose console is open (a live stream within `connectedWithinS`:
 * an agent who left "online" on and closed the tab gets nothing), skipping those with `cap` open conversations (in
 * any mini program): each waiting conversation goes to the agent whose last automatic assignment there is the oldest.
 *
 * Waiting means open, not snoozed, unassigned, and written to by the customer since an agent last changed its
 * assignment (a conversation an agent released stays unassigned until the customer writes again): assigned_at is
 * null (the trigger conversation_reopen clears it when a customer message reaches an unassigned conversation). One run per
 * mini program at a time across every process (a transaction-scoped advisory lock): two consoles relaying the same
 * push, or workers sweeping beside them, assign it once and never push an agent past the cap.
 */
export class AutoAssigner {
  readonly #prisma: PrismaClient
  readonly #now: () => number
  readonly #connectedWithinS: number

  constructor (prisma: PrismaClient, now: () => number, connectedWithinS = 90) {
    this.#prisma = prisma
    this.#now = now
    this.#connectedWithinS = connectedWithinS
  }

  /** Assigns the waiting conversations of `appId` (only these openids when given), oldest customer message first. */
  async run (appId: string, cap: number, openids?: string[], limit = 100): Promise<AutoAssigned[]> {
    // Most pushes belong to conversations someone already answers, and on a busy day every agent may be at the cap:
    // one plain read (is one of these waiting, and could anyone take it?) spares them the transaction and its lock,
    // which cost a push ~6 ms on its way to the consoles (bench:console). Whatever it misses, the transaction would
    // have found nothing to do either, or the worker's sweep and an agent coming online catch up.
    const [due] = await this.#prisma.$queryRaw<Array<{ due: boolean }>>`
      SELECT EXISTS (${this.#waitingSql(appId, openids, 1)}) AND EXISTS (${this.#availableSql(appId, cap)}) AS due`
    if (due?.due !== true) return []
    return await this.#prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT 1 FROM pg_advisory_xact_lock(hashtext(${'kefu.console.auto-assign:' + appId}))`
      const waiting = await tx.$queryRaw<Array<{ openid: string }>>`${this.#waitingSql(appId, openids, limit)}`
      const assigned: AutoAssigned[] = []
      for (const { openid } of waiting) {
        const [next] = await tx.$queryRaw<Array<{ username: string }>>`${this.#availableSql(appId, cap)}`
        if (next === undefined) break
        await tx.$executeRaw`UPDATE conversation SET assignee = ${next.username}, assigned_at = NULL, updated_at = clock_timestamp()
          WHERE app_id = ${appId} AND openid = ${openid}`
        await tx.$executeRaw`UPDATE agent_app SET last_assigned_at = clock_timestamp() WHERE app_id = ${appId} AND username = ${next.username}`
        const activity = await tx.conversationActivity.create({ data: { appId, openid, kind: 'assignment', cause: 'auto', toValue: next.username, createdAt: new Date(this.#now()) } })
        assigned.push({ appId, openid, assignee: next.username, activity })
      }
      return assigned
    }, { maxWait: 10_000, timeout: 20_000 })
  }

  /** The conversations waiting for an agent, oldest customer message first. */
  #waitingSql (appId: string, openids: string[] | undefined, limit: number): Prisma.Sql {
    return Prisma.sql`
      SELECT openid FROM conversation
      WHERE app_id = ${appId} AND status = 'open' AND assignee IS NULL
        AND (snoozed_until IS NULL OR snoozed_until <= ${new Date(this.#now())})
        AND last_inbound_at IS NOT NULL AND assigned_at IS NULL
        ${openids === undefined ? Prisma.empty : Prisma.sql`AND openid = ANY(${openids}::text[])`}
      ORDER BY last_inbound_at, openid
      LIMIT ${limit}`
  }

  /** The agent whose turn it is: online, console open, under the cap, longest since their last automatic assignment. */
  #availableSql (appId: string, cap: number): Prisma.Sql {
    return Prisma.sql`
      SELECT aa.username FROM agent_app aa JOIN agent a ON a.username = aa.username
      WHERE aa.app_id = ${appId} AND a.availability = 'online'
        AND a.connected_at > clock_timestamp() - make_interval(secs => ${this.#connectedWithinS})
        AND (SELECT count(*) FROM conversation c WHERE c.assignee = aa.username AND c.status = 'open') < ${cap}
      ORDER BY aa.last_assigned_at ASC NULLS FIRST, aa.username
      LIMIT 1`
  }
}
