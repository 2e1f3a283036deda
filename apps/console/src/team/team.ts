import type { PrismaClient } from '@kefu/db'

export type Role = 'agent' | 'admin'
export type Availability = 'online' | 'away' | 'offline'
export type AutoAssign = 'off' | 'round_robin'

export interface AgentProfile {
  username: string
  role: Role
  /** May manage the mini programs themselves (the Mini programs page); `agent:add --owner` makes one. */
  owner: boolean
  availability: Availability
  notifyDesktop: boolean
  notifySound: boolean
}

/** An agent as colleagues see them: the mini programs listed are those the viewer shares with them. */
export interface TeamMember { username: string, role: Role, availability: Availability, apps: string[] }

/**
 * What came of an administrator's change to an account: done, or refused (`unknown`: no such account, or one serving
 * only other mini programs; `role`: a role change for an account also serving others; `admin-of-nothing`: an
 * administrator who would serve no mini program; `last-admin`: these mini programs would have no administrator left).
 */
export type ManageOutcome = { done: true } | { refused: 'unknown' } | { refused: 'role' } | { refused: 'admin-of-nothing' } | { refused: 'last-admin', appIds: string[] }

export interface AppSettings { appId: string, autoAssign: AutoAssign, maxOpenPerAgent: number }

const DEFAULT_PROFILE = { role: 'agent', owner: false, availability: 'offline', notifyDesktop: true, notifySound: false } as const
export const DEFAULT_SETTINGS = { autoAssign: 'off', maxOpenPerAgent: 10 } as const

/** Agents' roles, availability and notification choices, who serves which mini program, and each app's assignment settings. */
export class TeamStore {
  readonly #prisma: PrismaClient

  constructor (prisma: PrismaClient) {
    this.#prisma = prisma
  }

  async profile (username: string): Promise<AgentProfile> {
    const row = await this.#prisma.agent.findUnique({ where: { username } })
    return { username, ...DEFAULT_PROFILE, ...(row === null ? {} : { role: row.role as Role, owner: row.owner, availability: row.availability as Availability, notifyDesktop: row.notifyDesktop, notifySound: row.notifySound }) }
  }

  async #upsert (username: string, data: { role?: Role, availability?: Availability, availabilityAt?: Date, connectedAt?: Date, notifyDesktop?: boolean, notifySound?: boolean }): Promise<AgentProfile> {
    await this.#prisma.agent.upsert({ where: { username }, create: { username, ...data }, update: data })
    return await this.profile(username)
  }

  /** Set from an open console: going online also counts as being connected (automatic assignment wants both). */
  setAvailability (username: string, availability: Availability): Promise<AgentProfile> {
    const at = new Date()
    return this.#upsert(username, { availability, availabilityAt: at, ...(availability === 'online' ? { connectedAt: at } : {}) })
  }

  setNotifications (username: string, prefs: { desktop: boolean, sound: boolean }): Promise<AgentProfile> {
    return this.#upsert(username, { notifyDesktop: prefs.desktop, notifySound: prefs.sound })
  }

  setRole (username: string, role: Role): Promise<AgentProfile> {
    return this.#upsert(username, { role })
  }

  /** Makes an account an owner (an administrator too) or no longer one. */
  async setOwner (username: string, owner: boolean): Promise<AgentProfile> {
    const data = owner ? { owner, role: 'admin' } : { owner }
    await this.#prisma.agent.upsert({ where: { username }, create: { username, ...data }, update: data })
    return await this.profile(username)
  }

  async serves (username: string, appId: string): Promise<boolean> {
    return (await this.#prisma.agentApp.count({ where: { username, appId } })) > 0
  }

  /** The agents who serve any of `appIds`, each with the mini programs among those. */
  async members (appIds: string[]): Promise<TeamMember[]> {
    const links = await this.#prisma.agentApp.findMany({ where: { appId: { in: appIds } }, orderBy: [{ username: 'asc' }, { appId: 'asc' }] })
    const apps = new Map<string, string[]>()
    for (const l of links) apps.set(l.username, [...(apps.get(l.username) ?? []), l.appId])
    const rows = await this.#prisma.agent.findMany({ where: { username: { in: [...apps.keys()] } } })
    const byName = new Map(rows.map((r) => [r.username, r]))
    return [...apps].map(([username, shared]) => {
      const row = byName.get(username)
      return {
        username,
        role: (row?.role ?? DEFAULT_PROFILE.role) as Role,
        availability: (row?.availability ?? DEFAULT_PROFILE.availability) as Availability,
        apps: shared
      }
    })
  }

  /**
   * An administrator's change to an account: which of `within` (the administrator's mini programs) it serves, the
   * others left as they are, and its role. The role is the account's, so it follows the account into every mini
   * program it serves: only an administrator of all of them may change it. An account serving mini programs none of
   * which are the administrator's is refused as an absent one is. No mini program loses its last administrator, and
   * an account that serves none is an agent.
   *
   * One change to an account at a time (a lock on its name), and one at a time among those that take an
   * administrator away from a mini program (a lock per mini program, taken in appid order): two administrators
   * demoting each other at once leave one.
   */
  async manage (username: string, within: string[], change: { apps?: string[], role?: Role }): Promise<ManageOutcome> {
    return await this.#prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT 1 FROM pg_advisory_xact_lock(hashtext(${'kefu.console.account:' + username}))`
      const [account] = await tx.$queryRaw<Array<{ role: string | null, apps: string[] }>>`
        SELECT (SELECT role FROM agent WHERE username = ${username}) AS role,
               ARRAY(SELECT app_id FROM agent_app WHERE username = ${username} ORDER BY app_id) AS apps
        FROM account WHERE username = ${username}`
      if (account === undefined) return { refused: 'unknown' }
      const serves = account.apps
      const beyond = serves.filter((a) => !within.includes(a))
      if (serves.length > 0 && beyond.length === serves.length) return { refused: 'unknown' }
      const role = (account.role ?? DEFAULT_PROFILE.role) as Role
      if (change.role !== undefined && change.role !== role && beyond.length > 0) return { refused: 'role' }
      const kept = change.apps === undefined ? serves : [...beyond, ...change.apps]
      // Authority does not travel between teams: an account serving no mini program is an agent, whatever role it
      // was left with, and joins one as an agent unless made an administrator there and then.
      if (kept.length === 0 && change.role === 'admin') return { refused: 'admin-of-nothing' }
      const newRole: Role = kept.length === 0 ? 'agent' : change.role ?? (serves.length === 0 ? 'agent' : role)
      const lost = role === 'admin' ? serves.filter((a) => newRole !== 'admin' || !kept.includes(a)) : []
      if (lost.length > 0) {
        for (const appId of lost) await tx.$queryRaw`SELECT 1 FROM pg_advisory_xact_lock(hashtext(${'kefu.console.app-admins:' + appId}))`
        const covered = await tx.$queryRaw<Array<{ app_id: string }>>`
          SELECT DISTINCT aa.app_id FROM agent_app aa JOIN agent a ON a.username = aa.username
          WHERE aa.app_id = ANY(${lost}::text[]) AND a.role = 'admin' AND aa.username <> ${username}`
        const orphaned = lost.filter((a) => !covered.some((c) => c.app_id === a))
        if (orphaned.length > 0) return { refused: 'last-admin', appIds: orphaned }
      }
      if (change.apps !== undefined) {
        const wanted = change.apps
        await tx.agentApp.deleteMany({ where: { username, appId: { in: within.filter((a) => !wanted.includes(a)) } } })
        await tx.agentApp.createMany({ data: wanted.map((appId) => ({ username, appId })), skipDuplicates: true })
      }
      await tx.agent.upsert({ where: { username }, create: { username, role: newRole }, update: { role: newRole } })
      return { done: true }
    }, { maxWait: 10_000, timeout: 20_000 })
  }

  async settings (appIds: string[]): Promise<AppSettings[]> {
    const rows = await this.#prisma.appSetting.findMany({ where: { appId: { in: appIds } } })
    const byApp = new Map(rows.map((r) => [r.appId, r]))
    return appIds.map((appId) => {
      const row = byApp.get(appId)
      return row === undefined
        ? { appId, ...DEFAULT_SETTINGS }
        : { appId, autoAssign: row.autoAssign as AutoAssign, maxOpenPerAgent: row.maxOpenPerAgent }
    })
  }

  async setSettings (appId: string, settings: { autoAssign: AutoAssign, maxOpenPerAgent: number }, by: string): Promise<AppSettings> {
    const data = { autoAssign: settings.autoAssign, maxOpenPerAgent: settings.maxOpenPerAgent, updatedBy: by }
    await this.#prisma.appSetting.upsert({ where: { appId }, create: { appId, ...data }, update: data })
    return { appId, ...settings }
  }
}
