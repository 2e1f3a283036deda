// The mini programs kefu serves, from the mini_program table, held in memory so that a push's lookup is one Map.get.
// A change written through the registry is announced on the event bus (Redis pub/sub across instances, in-process
// in embedded mode); every instance reloads that row when it hears it, and reloads every row each 30 s besides, so a
// lost announcement delays a change by at most that much. The table's SQL: table.ts; the reloading: live-reload.ts.
import type { PrismaClient } from '@kefu/db'
import type { SecretBox } from '@kefu/secrets'
import { createPushCrypto, parseWechatApps, type EventBus, type WechatAppConfig } from '@kefu/service'
import type { PushCrypto } from '@kefu/wechat-crypto'
import { LiveReload } from './live-reload.js'
import type { MiniProgram, MiniProgramEntry, MiniProgramInput, MiniProgramOptions, MiniProgramSource, RegistryLog } from './program.js'
import { CONFIGURATION, type Row } from './rows.js'
import { MiniProgramTable } from './table.js'

export { CONFIGURATION, secretContext } from './rows.js'
export type { MessageFormat, MiniProgram, MiniProgramEntry, MiniProgramInput, MiniProgramOptions, MiniProgramSource, RegistryLog } from './program.js'

export const MINI_PROGRAMS_CHANNEL = 'kefu:mini-programs'
/** Rows per INSERT when WECHAT_APPS is imported (14 parameters each: PostgreSQL takes 65,535 a statement). */
const IMPORT_BATCH = 1000

export interface MiniProgramRegistryOptions {
  prisma: PrismaClient
  bus: EventBus
  secrets: SecretBox
  /** WECHAT_APPS: imported at start as rows with source `configuration` (see importConfigured). */
  configured?: WechatAppConfig[]
  /** The safety net: every row reloaded this often (ms); default 30 s. */
  reloadIntervalMs?: number
  channel?: string
  log?: RegistryLog
  /**
   * WECHAT_COMPONENT: rows with source `component` are served with this crypto (the platform's token and key, the
   * component appid in the plaintext); without it they are listed but not served.
   */
  component?: PushCrypto
}

/** The console tried to change a row that WECHAT_APPS manages. */
export class ReadOnlyMiniProgram extends Error {
  override name = 'ReadOnlyMiniProgram'
  constructor (readonly appid: string) { super(`mini program ${appid} is managed by WECHAT_APPS: change it there`) }
}

export class MiniProgramRegistry {
  readonly #table: MiniProgramTable
  readonly #live: LiveReload
  readonly #log: RegistryLog | undefined
  readonly #component: PushCrypto | undefined
  #entries = new Map<string, MiniProgramEntry>()
  /** Every row, enabled or not (the console's list); entries holds the enabled ones with their crypto. */
  #all = new Map<string, MiniProgram>()

  private constructor (opts: MiniProgramRegistryOptions) {
    this.#table = new MiniProgramTable(opts.prisma, opts.secrets)
    this.#log = opts.log
    this.#component = opts.component
    this.#live = new LiveReload({
      bus: opts.bus,
      channel: opts.channel ?? MINI_PROGRAMS_CHANNEL,
      log: opts.log,
      load: async (appid) => { await this.#load(appid) },
      readFingerprint: async () => await this.#table.readFingerprint()
    })
  }

  /** Imports `configured`, loads every row, then follows changes until close(). */
  static async open (opts: MiniProgramRegistryOptions): Promise<MiniProgramRegistry> {
    const registry = new MiniProgramRegistry(opts)
    await registry.#live.subscribe()
    try {
      if (opts.configured !== undefined) await registry.importConfigured(opts.configured)
      await registry.reload()
    } catch (err) {
      await registry.close()
      throw err
    }
    registry.#live.startChecks(opts.reloadIntervalMs ?? 30_000)
    return registry
  }

  /** The enabled mini program `appid`, with its crypto; undefined when unknown or disabled. A memory lookup. */
  get (appid: string): MiniProgramEntry | undefined {
    return this.#entries.get(appid)
  }

  /** The mini program `appid`, enabled or disabled, secrets opened; undefined when unknown. A memory lookup. */
  find (appid: string): MiniProgram | undefined {
    return this.#all.get(appid)
  }

  /** How many mini programs there are, disabled ones included. */
  get size (): number {
    return this.#all.size
  }

  /** Every mini program, disabled ones included, by appid. */
  list (): MiniProgram[] {
    return [...this.#all.values()].sort((a, b) => a.appid.localeCompare(b.appid))
  }

  /** Called after each reload with the appid reloaded (undefined: every row). */
  onChange (listener: (appid: string | undefined) => void): () => void {
    return this.#live.onChange(listener)
  }

  /**
   * WECHAT_APPS → rows with source `configuration`: new or changed ones are written (sealed under the current key),
   * unchanged ones left alone, a `console` row with the same appid taken over, and configuration rows that are no
   * longer listed disabled (kept, with their history). Concurrent starts converge: each write is one upsert.
   */
  async importConfigured (apps: WechatAppConfig[]): Promise<void> {
    const listed = new Set(apps.map((a) => a.appid))
    const existing = new Map((await this.#table.readRows()).filter((r) => listed.has(r.appId)).map((r) => [r.appId, r]))
    const writes = apps.filter((app) => {
      const row = existing.get(app.appid)
      return !(row !== undefined && row.source === CONFIGURATION && row.enabled && this.#table.sameConfiguration(row, app))
    })
    // A few statements of many rows each, not a round trip per row: 10,000 mini programs import in seconds.
    for (let i = 0; i < writes.length; i += IMPORT_BATCH) {
      await this.#table.upsert(writes.slice(i, i + IMPORT_BATCH).map((app) => ({ ...app, enabled: true })), CONFIGURATION, CONFIGURATION)
    }
    const dropped = await this.#table.disableUnlisted([...listed])
    if (writes.length > 0 || dropped > 0) await this.#live.announce(undefined)
  }

  /**
   * Adds or changes a mini program from the console (source `console`): every field checked as WECHAT_APPS checks
   * it. A row managed by WECHAT_APPS is refused (ReadOnlyMiniProgram). In effect on every instance within 2 s.
   */
  async save (input: MiniProgramInput, changedBy: string): Promise<void> {
    if (typeof input.appid === 'string') await this.#refuseConfigured(input.appid)
    const { name, originalId, messageFormat, enabled, ...config } = input
    const [app] = parseWechatApps([config], `mini program ${input.appid ?? ''}`.trim())
    await this.#table.upsert([{ ...app!, name, originalId, messageFormat, enabled: enabled ?? true }], 'console', changedBy)
    await this.reload(app!.appid)
    await this.#live.announce(app!.appid)
  }

  /**
   * Sets the options of a console or component row (subscribe templates, transfer to WeChat's tool, profile lookup),
   * checked as WECHAT_APPS checks them (ConfigError, one line). A profileSecret left out is kept while profileUrl
   * stays. A configuration row is refused (ReadOnlyMiniProgram); false when there is no such row.
   */
  async saveOptions (appid: string, options: MiniProgramOptions, changedBy: string): Promise<boolean> {
    await this.#refuseConfigured(appid)
    const current = this.find(appid)
    if (current === undefined) return false
    const wanted = { ...options }
    if (wanted.profileUrl !== undefined && wanted.profileSecret === undefined) wanted.profileSecret = current.profileSecret
    // The token is not an option: any valid one stands in for the check.
    const [checked] = parseWechatApps([{ appid, token: 'optionsCheckToken', ...wanted }], `mini program ${appid}`)
    const count = await this.#table.updateOptions(appid, checked!, changedBy)
    if (count === 0) return false
    await this.reload(appid)
    await this.#live.announce(appid)
    return true
  }

  /** Disables or re-enables a console row; pushes for a disabled one store nothing (404). */
  async setEnabled (appid: string, enabled: boolean, changedBy: string): Promise<boolean> {
    await this.#refuseConfigured(appid)
    const count = await this.#table.setEnabled(appid, enabled, changedBy)
    if (count === 0) return false
    await this.reload(appid)
    await this.#live.announce(appid)
    return true
  }

  /** Reads one row (`appid`) or every row again. */
  async reload (appid?: string): Promise<void> {
    await this.#live.reload(appid)
  }

  /**
   * How many periodic checks ran, and how many times every row was read (at start, on an announcement of many, and
   * when a check saw a change).
   */
  get loadCounts (): { checks: number, fullLoads: number } {
    return this.#live.loadCounts
  }

  async close (): Promise<void> {
    await this.#live.close()
  }

  async #refuseConfigured (appid: string): Promise<void> {
    if (await this.#table.sourceOf(appid) === CONFIGURATION) throw new ReadOnlyMiniProgram(appid)
  }

  /** A row as an entry; undefined (with a warning) when its secrets do not open under KEFU_SECRET_KEY. */
  #toEntry (row: Row): { program: MiniProgram, entry?: MiniProgramEntry } | undefined {
    const known = this.#entries.get(row.appId)
    // Unchanged since the last load: keep the crypto already made.
    if (known !== undefined && known.program.changedAt.getTime() === row.changedAt.getTime() && known.program.enabled === row.enabled) {
      return { program: known.program, entry: known }
    }
    let program: MiniProgram
    try {
      program = this.#table.toProgram(row)
    } catch (err) {
      this.#log?.warn({ appid: row.appId, err: (err as Error).message }, 'mini programs: a row does not open under KEFU_SECRET_KEY; pushes for it get 404')
      return undefined
    }
    if (!program.enabled) return { program }
    if (program.source === 'component') return this.#component === undefined ? { program } : { program, entry: { program, crypto: this.#component } }
    return { program, entry: { program, crypto: createPushCrypto(program) } }
  }

  /** Puts one row (`appid`) or every row in memory; the reloading (live-reload.ts) decides when. */
  async #load (appid: string | undefined): Promise<void> {
    if (appid !== undefined) {
      const row = await this.#table.readRow(appid)
      const loaded = row === null ? undefined : this.#toEntry(row)
      if (loaded === undefined) this.#all.delete(appid)
      else this.#all.set(appid, loaded.program)
      if (loaded?.entry === undefined) this.#entries.delete(appid)
      else this.#entries.set(appid, loaded.entry)
    } else {
      const rows = await this.#table.readRows()
      const all = new Map<string, MiniProgram>()
      const entries = new Map<string, MiniProgramEntry>()
      for (const row of rows) {
        const loaded = this.#toEntry(row)
        if (loaded === undefined) continue
        all.set(row.appId, loaded.program)
        if (loaded.entry !== undefined) entries.set(row.appId, loaded.entry)
      }
      this.#all = all
      this.#entries = entries
    }
  }
}
