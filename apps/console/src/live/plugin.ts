import { EventEmitter } from 'node:events'
import fp from 'fastify-plugin'
import { CHANGES_CHANNEL, type AssignedChange, type AutoAssigner } from '@kefu/assignment'
import { activityItem, type TimelineItem } from '../common/messages.js'
import type { ChangeKind, ConversationState, ConversationSummary } from '../conversations/index.js'
import { DEFAULT_SETTINGS, type AppSettings, type Availability, type TeamStore } from '../team/index.js'

/** The channel ingest announces stored pushes on (see @kefu/ingest). */
export const MESSAGES_CHANNEL = 'kefu:messages'
/** Reply status changes, announced by the console process that sends the reply. */
export const OUTBOUND_CHANNEL = 'kefu:outbound'
/** Everything else agents change: conversations, availability, quick replies, assignment settings; and the worker's
 *  assignment sweep (`assigned`: each console reads the conversation and the activity once, for its own streams). */
export { CHANGES_CHANNEL }

/** What changed in a conversation, with the timeline entries that say so. */
export interface ConversationChange { conversation: ConversationSummary, activities: TimelineItem[], changed: ChangeKind[] }
export interface AgentChange { username: string, availability: Availability, apps: string[] }
/** Shared quick replies of a mini program (appId) or one agent's own (username) changed. */
export interface QuickRepliesChange { appId?: string, username?: string }
/** One agent's mentions changed (mentioned in a note, or one read): for that agent's consoles only. */
/** A mention made (`mention`) or read (`read`: one id; `readAll`: every one, in no one mini program: `appId` absent). */
export interface MentionChange { username: string, appId?: string, unread: number, mention?: unknown, read?: string, readAll?: boolean }
/** A stored push, with the state of its conversation once automatic assignment has had its say. */
export interface LiveMessage { item: TimelineItem, conversation: ConversationState | null }

interface Changes { conversation?: ConversationChange, agent?: AgentChange, quickReplies?: QuickRepliesChange, mention?: MentionChange, settings?: string, assigned?: AssignedChange[] }
interface Announcement { id: string, appId: string, openid: string }

/**
 * This process's view of the live updates: `events` emits `messages` (LiveMessage[]), `outbound` (TimelineItem[]),
 * `conversation`, `agent`, `quick-replies` and `mention` to the open streams, each read or received once per process; the
 * `publish…` methods announce a change to every console process (Redis pub/sub with REDIS_URL).
 */
export interface Live {
  events: EventEmitter
  publishConversation: (change: ConversationChange) => void
  publishAgent: (change: AgentChange) => void
  publishQuickReplies: (change: QuickRepliesChange) => void
  publishMention: (change: MentionChange) => void
  publishSettings: (appId: string) => void
  /** Automatic assignment for these mini programs now (an agent came online, settings changed). */
  autoAssign: (appIds: string[]) => Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance { live: Live }
}

export interface LivePluginOptions {
  team: TeamStore
  assigner: AutoAssigner
  /** appids configured here: only these are assigned automatically by this process. */
  configuredApps: Iterable<string> & { has: (appid: string) => boolean }
  now: () => number
}

export default fp<LivePluginOptions>(async function livePlugin (fastify, opts) {
  const store = fastify.consoleStore
  const events = new EventEmitter()
  events.setMaxListeners(0)
  const configured = opts.configuredApps

  const warn = (what: string) => (err: Error): void => { fastify.log.warn({ err: err.message }, what) }
  const publish = (changes: Changes): void => {
    fastify.bus.publish(CHANGES_CHANNEL, JSON.stringify(changes)).catch(warn('live change not announced'))
  }

  // Assignment settings, read at most every 5 s per app unless a change is announced.
  const settingsCache = new Map<string, { until: number, settings: AppSettings }>()
  async function settingsOf (appIds: string[]): Promise<AppSettings[]> {
    const now = opts.now()
    const missing = appIds.filter((a) => (settingsCache.get(a)?.until ?? 0) <= now)
    if (missing.length > 0) for (const s of await opts.team.settings(missing)) settingsCache.set(s.appId, { until: now + 5000, settings: s })
    return appIds.map((a) => settingsCache.get(a)?.settings ?? { appId: a, ...DEFAULT_SETTINGS })
  }

  async function autoAssign (appIds: string[], openids?: Map<string, string[]>): Promise<void> {
    const apps = (await settingsOf([...new Set(appIds)].filter((a) => configured.has(a)))).filter((s) => s.autoAssign === 'round_robin')
    for (const s of apps) {
      // A few at a time: each run holds the mini program's assignment lock, which pushes being relayed wait for.
      for (;;) {
        const assigned = await opts.assigner.run(s.appId, s.maxOpenPerAgent, openids?.get(s.appId), 20)
        for (const a of assigned) {
          const conversation = await store.conversation(a.appId, a.openid)
          if (conversation !== null) publish({ conversation: { conversation, activities: [activityItem(a.activity)], changed: ['assignment'] } })
        }
        if (assigned.length < 20) break
      }
    }
  }

  // One subscription per channel and process. Stored pushes are assigned first (so that their live update already
  // says whose they are), then read once and fanned out; in order, so a reply's `sent` never overtakes its `sending`.
  let reads: Promise<void> = Promise.resolve()
  const inOrder = (job: () => Promise<void>): void => {
    reads = reads.then(job).catch(warn('live update failed'))
  }
  function parse<T> (m: string): T | null {
    try {
      return JSON.parse(m) as T
    } catch {
      return null
    }
  }
  function onMessages (m: string): void {
    const list = parse<{ messages?: Announcement[] }>(m)?.messages ?? []
    if (list.length === 0) return
    inOrder(async () => {
      const byApp = new Map<string, string[]>()
      for (const a of list) byApp.set(a.appId, [...(byApp.get(a.appId) ?? []), a.openid])
      await autoAssign([...byApp.keys()], byApp).catch(warn('automatic assignment failed'))
      if (events.listenerCount('messages') === 0 && events.listenerCount('conversation') === 0) return
      const ids = list.map((a) => a.id)
      const items = await store.inboundByIds(ids, [...byApp.keys()])
      const states = new Map((await store.states(list)).map((s) => [`${s.appId}\u0000${s.openid}`, s]))
      events.emit('messages', items.map((item): LiveMessage => ({ item, conversation: states.get(`${item.appId}\u0000${item.openid}`) ?? null })))
      // A customer message that reopened a conversation (the trigger wrote why): its timeline says so too.
      const reopened = await store.activitiesOfMessages(list)
      for (const [key, activities] of reopened) {
        const [appId, openid] = key.split('\u0000') as [string, string]
        const conversation = await store.conversation(appId, openid)
        if (conversation !== null) events.emit('conversation', { conversation, activities, changed: [...new Set(activities.map((a) => a.type))] })
      }
    })
  }
  function onOutbound (m: string): void {
    const list = parse<{ outbound?: Announcement[] }>(m)?.outbound ?? []
    if (list.length === 0 || events.listenerCount('outbound') === 0) return
    inOrder(async () => {
      const items = await Promise.all(list.map((a) => store.outboundById(a.id, [a.appId])))
      events.emit('outbound', items.filter((item) => item !== null))
    })
  }
  function onChanges (m: string): void {
    const changes = parse<Changes>(m)
    if (changes === null) return
    if (changes.settings !== undefined) settingsCache.delete(changes.settings)
    // Behind the reads in progress, so a change never overtakes the push it follows.
    inOrder(async () => {
      if (changes.conversation !== undefined) events.emit('conversation', changes.conversation)
      if (changes.agent !== undefined) events.emit('agent', changes.agent)
      if (changes.quickReplies !== undefined) events.emit('quick-replies', changes.quickReplies)
      if (changes.mention !== undefined) events.emit('mention', changes.mention)
      if (changes.assigned !== undefined && events.listenerCount('conversation') > 0) {
        for (const a of changes.assigned) {
          if (!/^[0-9]{1,19}$/.test(a.activityId)) continue
          const conversation = await store.conversation(a.appId, a.openid)
          const activity = await fastify.prisma.conversationActivity.findUnique({ where: { id: BigInt(a.activityId) } })
          if (conversation !== null && activity !== null) events.emit('conversation', { conversation, activities: [activityItem(activity)], changed: ['assignment'] })
        }
      }
    })
  }

  // No timer here: the sweep for conversations that wait without a push is the worker's (@kefu/assignment).
  const unsubscribe: Array<() => Promise<void>> = []
  fastify.addHook('onReady', async () => {
    unsubscribe.push(await fastify.bus.subscribe(MESSAGES_CHANNEL, onMessages))
    unsubscribe.push(await fastify.bus.subscribe(OUTBOUND_CHANNEL, onOutbound))
    unsubscribe.push(await fastify.bus.subscribe(CHANGES_CHANNEL, onChanges))
  })
  fastify.addHook('preClose', async () => {
    events.emit('close')
    for (const stop of unsubscribe) await stop().catch(() => {})
  })

  fastify.decorate('live', {
    events,
    publishConversation: (change: ConversationChange) => { publish({ conversation: change }) },
    publishAgent: (change: AgentChange) => { publish({ agent: change }) },
    publishQuickReplies: (change: QuickRepliesChange) => { publish({ quickReplies: change }) },
    publishMention: (change: MentionChange) => { publish({ mention: change }) },
    publishSettings: (appId: string) => {
      settingsCache.delete(appId)
      publish({ settings: appId })
    },
    autoAssign: (appIds: string[]) => autoAssign(appIds)
  } satisfies Live)
}, { name: 'kefu-console-live-updates', dependencies: ['kefu-console-conversations'] })
