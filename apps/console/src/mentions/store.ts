import type { Prisma, PrismaClient } from '@kefu/db'

type Tx = Prisma.TransactionClient

/** At most this many colleagues are mentioned by one note. */
export const MAX_MENTIONS = 20
/** The first this many `@names` of a note are looked at (a note is 2000 characters at most). */
const MAX_CANDIDATES = 200

/** A mention as its agent sees it: who wrote which note on which conversation, and whether they opened it. */
export interface MentionItem {
  id: string
  appId: string
  openid: string
  /** The customer's display name, when agents gave one. */
  customer: string | null
  by: string
  text: string
  at: number
  readAt: number | null
}

// Usernames as the A site makes them (guards.ts USERNAME_PATTERN), after an @ that does not end a word (mail@x).
const NAME = /(?<![A-Za-z0-9._@-])@([A-Za-z0-9][A-Za-z0-9._@-]{0,63})/g

/**
 * The names a note's text may mention, in order, each once. A name followed by a full stop or a dash ("ask @bob.")
 * is also tried without them, as usernames may hold dots and dashes but seldom end with them.
 */
export function mentionCandidates (text: string): string[][] {
  const seen = new Set<string>()
  const out: string[][] = []
  for (const m of text.matchAll(NAME)) {
    const name = m[1]!
    const trimmed = name.replace(/[._@-]+$/, '')
    const tries = trimmed === name || trimmed === '' ? [name] : [name, trimmed]
    if (tries.some((t) => seen.has(t))) continue
    for (const t of tries) seen.add(t)
    out.push(tries)
    if (out.length === MAX_CANDIDATES) break
  }
  return out
}

type Row = Prisma.NoteMentionGetPayload<{ include: { activity: { select: { text: true } } } }>

function item (row: Row, customer: string | null): MentionItem {
  return {
    id: row.id.toString(),
    appId: row.appId,
    openid: row.openid,
    customer,
    by: row.by,
    text: row.activity.text ?? '',
    at: row.createdAt.getTime(),
    readAt: row.readAt?.getTime() ?? null
  }
}

/** Mentions in internal notes: who is named (colleagues serving the mini program), stored with the note, read by them. */
export class MentionStore {
  readonly #prisma: PrismaClient
  readonly #now: () => number

  constructor (prisma: PrismaClient, now: () => number) {
    this.#prisma = prisma
    this.#now = now
  }

  /** The agents a note of `author` on `appId` mentions: those of its names who serve the mini program, not the author. */
  async resolve (appId: string, text: string, author: string): Promise<string[]> {
    const candidates = mentionCandidates(text)
    if (candidates.length === 0) return []
    const serving = new Set((await this.#prisma.agentApp.findMany({
      where: { appId, username: { in: [...new Set(candidates.flat())] } },
      select: { username: true }
    })).map((r) => r.username))
    const agents: string[] = []
    for (const tries of candidates) {
      const found = tries.find((t) => serving.has(t))
      if (found !== undefined && found !== author && !agents.includes(found)) agents.push(found)
    }
    return agents
  }

  /** Within the note's transaction. */
  async create (tx: Tx, note: { id: bigint, appId: string, openid: string, actor: string | null, createdAt: Date }, agents: string[]): Promise<void> {
    await tx.noteMention.createMany({
      data: agents.map((agent) => ({ activityId: note.id, appId: note.appId, openid: note.openid, agent, by: note.actor ?? '', createdAt: note.createdAt })),
      skipDuplicates: true
    })
  }

  async #items (rows: Row[]): Promise<MentionItem[]> {
    if (rows.length === 0) return []
    const names = await this.#prisma.conversation.findMany({
      where: { OR: rows.map((r) => ({ appId: r.appId, openid: r.openid })) },
      select: { appId: true, openid: true, displayName: true }
    })
    const byKey = new Map(names.map((c) => [`${c.appId}\u0000${c.openid}`, c.displayName]))
    return rows.map((r) => item(r, byKey.get(`${r.appId}\u0000${r.openid}`) ?? null))
  }

  /** An agent's newest mentions in the mini programs they serve now, and how many of those are unread. */
  async list (agent: string, apps: string[], limit: number): Promise<{ mentions: MentionItem[], unread: number }> {
    const where = { agent, appId: { in: apps } }
    const [rows, unread] = await Promise.all([
      this.#prisma.noteMention.findMany({ where, orderBy: { id: 'desc' }, take: limit, include: { activity: { select: { text: true } } } }),
      this.#prisma.noteMention.count({ where: { ...where, readAt: null } })
    ])
    return { mentions: await this.#items(rows), unread }
  }

  /** The mentions just made, as their agents are told of them, with each one's unread count. */
  async made (noteId: bigint, apps: Map<string, string[]>): Promise<Array<{ mention: MentionItem, agent: string, unread: number }>> {
    const rows = await this.#prisma.noteMention.findMany({ where: { activityId: noteId }, include: { activity: { select: { text: true } } } })
    const items = await this.#items(rows)
    return await Promise.all(rows.map(async (r, i) => ({
      mention: items[i]!,
      agent: r.agent,
      unread: await this.#prisma.noteMention.count({ where: { agent: r.agent, readAt: null, appId: { in: apps.get(r.agent) ?? [] } } })
    })))
  }

  /** Marks every unread mention of the agent (in the mini programs they serve now) read; how many that was. */
  async markAllRead (agent: string, apps: string[]): Promise<number> {
    const { count } = await this.#prisma.noteMention.updateMany({ where: { agent, appId: { in: apps }, readAt: null }, data: { readAt: new Date(this.#now()) } })
    return count
  }

  /** Marks one of the agent's mentions read (once: the first time counts); null when it is not theirs to read. */
  async markRead (id: bigint, agent: string, apps: string[]): Promise<{ mention: MentionItem, unread: number } | null> {
    const where = { id, agent, appId: { in: apps } }
    await this.#prisma.noteMention.updateMany({ where: { ...where, readAt: null }, data: { readAt: new Date(this.#now()) } })
    const row = await this.#prisma.noteMention.findFirst({ where, include: { activity: { select: { text: true } } } })
    if (row === null) return null
    const unread = await this.#prisma.noteMention.count({ where: { agent, appId: { in: apps }, readAt: null } })
    return { mention: (await this.#items([row]))[0]!, unread }
  }
}
