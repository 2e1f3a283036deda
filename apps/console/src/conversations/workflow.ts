import type { Conversation, Prisma, PrismaClient } from '@kefu/db'
import { activityItem, type TimelineItem } from '../common/messages.js'
import { conversationState, type ConversationState, type ConversationStatus } from './store.js'

type Tx = Prisma.TransactionClient
type ConversationActivity = Prisma.ConversationActivityGetPayload<object>

/** A change made, with what the timeline shows of it (nothing when the conversation already was that way). */
export interface Changed { state: ConversationState, activities: TimelineItem[] }

/** What changed in a conversation, as the live updates announce it. */
export type ChangeKind = 'assignment' | 'status' | 'snooze' | 'note' | 'customer'

/** A note about to be written, as the features that act on notes see it (mentions). */
export interface NoteDraft { appId: string, openid: string, text: string, actor: string }
/** What a feature does with one note: within its transaction once it is stored, and after it is committed. */
export interface NoteStep { within: (tx: Tx, note: ConversationActivity) => Promise<void>, committed: (note: ConversationActivity) => void }
/** Looks at a note before its transaction: a step to take, none, or a thrown coded error that refuses the note. */
export type NoteHook = (draft: NoteDraft) => Promise<NoteStep | null>

/** The assignment was not what the caller expected: someone else changed it first. */
export interface AssignmentConflict { conflict: true, assignee: string | null }

export const SNOOZE_MAX_MS = 30 * 24 * 3600 * 1000

/**
 * Changes agents make to a conversation: assignment, status, snooze, internal notes. Each is one transaction that
 * locks the conversation row, so two agents acting at once are ordered, and every change lands in the timeline
 * (conversation_activity) with who made it and from what to what.
 */
export class Workflow {
  readonly #prisma: PrismaClient
  readonly #now: () => number
  readonly #noteHooks: NoteHook[] = []

  constructor (prisma: PrismaClient, now: () => number) {
    this.#prisma = prisma
    this.#now = now
  }

  async #locked<T> (appId: string, openid: string, fn: (tx: Tx, row: Conversation) => Promise<T>): Promise<T | null> {
    return await this.#prisma.$transaction(async (tx) => {
      const locked = await tx.$queryRaw<unknown[]>`SELECT 1 FROM conversation WHERE app_id = ${appId} AND openid = ${openid} FOR UPDATE`
      if (locked.length === 0) return null
      const row = await tx.conversation.findUniqueOrThrow({ where: { appId_openid: { appId, openid } } })
      return await fn(tx, row)
    }, { maxWait: 10_000, timeout: 10_000 })
  }

  /**
   * Sets the assignee to `to` if it is `expected` now (compare and set): of two agents claiming one conversation at
   * once, exactly one finds it unassigned. Null when there is no such conversation.
   */
  async setAssignee (appId: string, openid: string, change: { expected: string | null, to: string | null, actor: string }): Promise<Changed | AssignmentConflict | null> {
    return await this.#locked(appId, openid, async (tx, row): Promise<Changed | AssignmentConflict> => {
      if (row.assignee === change.to) return { state: conversationState(row), activities: [] }
      if (row.assignee !== change.expected) return { conflict: true, assignee: row.assignee }
      const updated = await tx.conversation.update({
        where: { appId_openid: { appId, openid } },
        data: { assignee: change.to, assignedAt: new Date(this.#now()) }
      })
      const activity = await tx.conversationActivity.create({
        data: { appId, openid, kind: 'assignment', cause: 'agent', actor: change.actor, fromValue: row.assignee, toValue: change.to, createdAt: new Date(this.#now()) }
      })
      return { state: conversationState(updated), activities: [activityItem(activity)] }
    })
  }

  /** Open, pending (waiting on the customer) or resolved; resolving also ends a snooze. */
  async setStatus (appId: string, openid: string, status: ConversationStatus, actor: string): Promise<Changed | null> {
    return await this.#locked(appId, openid, async (tx, row) => {
      const endSnooze = status === 'resolved' && row.snoozedUntil !== null
      if (row.status === status && !endSnooze) return { state: conversationState(row), activities: [] }
      const at = new Date(this.#now())
      const updated = await tx.conversation.update({
        where: { appId_openid: { appId, openid } },
        data: { status, statusAt: at, ...(endSnooze ? { snoozedUntil: null } : {}) }
      })
      const activities = []
      if (row.status !== status) {
        activities.push(await tx.conversationActivity.create({ data: { appId, openid, kind: 'status', actor, fromValue: row.status, toValue: status, createdAt: at } }))
      }
      if (endSnooze && row.snoozedUntil!.getTime() > at.getTime()) {
        activities.push(await tx.conversationActivity.create({ data: { appId, openid, kind: 'snooze', actor, fromValue: row.snoozedUntil!.toISOString(), toValue: null, createdAt: at } }))
      }
      return { state: conversationState(updated), activities: activities.map(activityItem) }
    })
  }

  /** Out of the open and pending views until `until` (ms), or back now (null). */
  async snooze (appId: string, openid: string, until: number | null, actor: string): Promise<Changed | null> {
    return await this.#locked(appId, openid, async (tx, row) => {
      const at = new Date(this.#now())
      const current = row.snoozedUntil !== null && row.snoozedUntil.getTime() > at.getTime() ? row.snoozedUntil : null
      if ((current?.getTime() ?? null) === until) return { state: conversationState(row), activities: [] }
      const updated = await tx.conversation.update({
        where: { appId_openid: { appId, openid } },
        data: { snoozedUntil: until === null ? null : new Date(until) }
      })
      const activity = await tx.conversationActivity.create({
        data: { appId, openid, kind: 'snooze', actor, fromValue: current?.toISOString() ?? null, toValue: until === null ? null : new Date(until).toISOString(), createdAt: at }
      })
      return { state: conversationState(updated), activities: [activityItem(activity)] }
    })
  }

  /** Another feature acts on every note (in its transaction): mentions. */
  onNote (hook: NoteHook): void {
    this.#noteHooks.push(hook)
  }

  /** An internal note: for agents only, never sent to WeChat. The hooks' steps share its transaction. */
  async addNote (appId: string, openid: string, text: string, actor: string): Promise<Changed | null> {
    const steps = (await Promise.all(this.#noteHooks.map((hook) => hook({ appId, openid, text, actor })))).filter((s) => s !== null)
    const made: ConversationActivity[] = []
    const changed = await this.#locked(appId, openid, async (tx, row) => {
      const note = await tx.conversationActivity.create({ data: { appId, openid, kind: 'note', actor, text, createdAt: new Date(this.#now()) } })
      for (const step of steps) await step.within(tx, note)
      made.push(note)
      return { state: conversationState(row), activities: [activityItem(note)] }
    })
    for (const note of made) for (const step of steps) step.committed(note)
    return changed
  }
}
