import type { PrismaClient } from '@kefu/db'

export type Role = 'agent' | 'admin'
export type Availability = 'online' | 'away' | 'offline'
export type AutoAssign = 'off' | 'round_robin'

export interface AgentProfile {
  username: string
  role: Role
  availability: Availability
  notifyDesktop: boolean
  notifySound: boolean
}

/** An agent as colleagues see them: the mini programs listed are those the viewer shares with them. */
export interface TeamMember { username: string, role: Role, availability: Availability, apps: string[] }

export interface AppSettings { appId: string, autoAssign: AutoAssign, maxOpenPerAgent: number }

const DEFAULT_PROFILE = { role: 'agent', availability: 'offline', notifyDesktop: true, notifySound: false } as const
export const DEFAULT_SETTINGS = { autoAssign: 'off', maxOpenPerAgent: 10 } as const

/** Agents' roles, availability and notification choices, who serves which mini program, and each app's assignment settings. */
export class TeamStore {
  readonly #prisma: PrismaClient

  constructor (prisma: PrismaClient) {
    this.#prisma = prisma
  }

  async profile (username: string): Promise<AgentProfile> {
    const row = await this.#prisma.agent.findUnique({ where: { username } })
    return { username, ...DEFAULT_PROFILE, ...(row === null ? {} : { role: row.role as Role, availability: row.availability as Availability, notifyDesktop: row.notifyDesktop, notifySound: row.notifySound }) }
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

  async adminCount (): Promise<number> {
    return await this.#prisma.agent.count({ where: { role: 'admin' } })
  }

  async accountExists (username: string): Promise<boolean> {
    return (await this.#prisma.account.count({ where: { username } })) > 0
  }

  async serves (username: string, appId: string): Promise<boolean> {
    return (await this.#prisma.agentApp.count({ where: { username, appId } })) > 0
  }

  /**
   * The agents who serve any of `appIds`, each with the mini programs among those; with `everyone`, also the agents
   * (with a row) who serve none of them (what an administrator sees to add them).
   */
  async members (appIds: string[], options: { everyone?: boolean } = {}): Promise<TeamMember[]> {
    const links = await this.#prisma.agentApp.findMany({ where: { appId: { in: appIds } }, orderBy: [{ username: 'asc' }, { appId: 'asc' }] })
    const apps = new Map<string, string[]>()
    for (const l of links) apps.set(l.username, [...(apps.get(l.username) ?? []), l.appId])
    const rows = await this.#prisma.agent.findMany({ where: options.everyone === true ? {} : { username: { in: [...apps.keys()] } } })
    const byName = new Map(rows.map((r) => [r.username, r]))
    const names = [...new Set([...apps.keys(), ...rows.map((r) => r.username)])].sort()
    return names.map((username) => {
      const row = byName.get(username)
      return {
        username,
        role: (row?.role ?? DEFAULT_PROFILE.role) as Role,
        availability: (row?.availability ?? DEFAULT_PROFILE.availability) as Availability,
        apps: apps.get(username) ?? []
      }
    })
  }

  /** Sets which of `within` (the administrator's mini programs) the agent serves; others stay as they are. */
  async setApps (username: string, wanted: string[], within: string[]): Promise<void> {
    const keep = wanted.filter((a) => within.includes(a))
    await this.#prisma.$transaction([
      this.#prisma.agentApp.deleteMany({ where: { username, appId: { in: within.filter((a) => !keep.includes(a)) } } }),
      this.#prisma.agentApp.createMany({ data: keep.map((appId) => ({ username, appId })), skipDuplicates: true }),
      this.#prisma.agent.upsert({ where: { username }, create: { username }, update: {} })
    ])
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
