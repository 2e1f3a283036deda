// The mini programs kefu serves, from the mini_program table, held in memory so that a push's lookup is one Map.get.
// A change written through the registry is announced on the event bus (Redis pub/sub across instances, in-process
// in embedded mode); every instance reloads that row when it hears it, and reloads every row each 30 s besides, so a
// lost announcement delays a change by at most that much.
import { Prisma, type PrismaClient } from '@kefu/db'
import type { SecretBox } from '@kefu/secrets'
import { createPushCrypto, parseWechatApps, type EventBus, type WechatAppConfig } from '@kefu/service'
import type { PushCrypto } from '@kefu/wechat-crypto'
import { COLUMN, canonical, sealedValue, secretContext, type Options, type Row, type SealedField } from './rows.js'

export { secretContext } from './rows.js'

export const MINI_PROGRAMS_CHANNEL = 'kefu:mini-programs'
/** Rows per INSERT when WECHAT_APPS is imported (14 parameters each: PostgreSQL takes 65,535 a statement). */
const IMPORT_BATCH = 1000
/** Rows per SELECT when rows are read (see #readRows). */
const READ_PAGE = 1000

/** Who changed a row imported from WECHAT_APPS. */
export const CONFIGURATION = 'configuration'

/** component: authorized kefu's third-party platform (WECHAT_COMPONENT), served with the platform's token and key. */
export type MiniProgramSource = 'configuration' | 'console' | 'component'
export type MessageFormat = 'json' | 'xml'

/** One mini program as kefu uses it: WECHAT_APPS's fields (secrets opened) and the table's own. */
export interface MiniProgram extends WechatAppConfig {
  name?: string
  originalId?: string
  messageFormat: MessageFormat
  enabled: boolean
  source: MiniProgramSource
  /** head_img of WeChat's authorizer info (source component). */
  pictureUrl?: string
  changedBy?: string
  changedAt: Date
}

/** What a push needs: the mini program and its crypto, made once per change. */
export interface MiniProgramEntry {
  program: MiniProgram
  crypto: PushCrypto
}

export interface MiniProgramInput extends WechatAppConfig {
  name?: string
  originalId?: string
  messageFormat?: MessageFormat
  enabled?: boolean
}

/** What a mini program may do beyond receiving, editable for console and component rows alike. */
export type MiniProgramOptions = Pick<WechatAppConfig, 'transferCustomerService' | 'profileUrl' | 'profileSecret' | 'subscribeTemplates'>

export interface RegistryLog {
  warn: (obj: object, msg: string) => void
}

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
  readonly #prisma: PrismaClient
  readonly #bus: EventBus
  readonly #secrets: SecretBox
  readonly #channel: string
  readonly #log: RegistryLog | undefined
  readonly #component: PushCrypto | undefined
  #entries = new Map<string, MiniProgramEntry>()
  /** Every row, enabled or not (the console's list); entries holds the enabled ones with their crypto. */
  #all = new Map<string, MiniProgram>()
  /** Loads run one after another, so a load that began before a change never overwrites one that began after. */
  #queue: Promise<unknown> = Promise.resolve()
  #timer: NodeJS.Timeout | undefined
  #unsubscribe: (() => Promise<void>) | undefined
  #listeners = new Set<(appid: string | undefined) => void>()
  /** The table's fingerprint when every row was last read (see #check); undefined after a change of one row. */
  #fingerprint: string | undefined
  #counts = { checks: 0, fullLoads: 0 }

  private constructor (opts: MiniProgramRegistryOptions) {
    this.#prisma = opts.prisma
    this.#bus = opts.bus
    this.#secrets = opts.secrets
    this.#channel = opts.channel ?? MINI_PROGRAMS_CHANNEL
    this.#log = opts.log
    this.#component = opts.component
  }

  /** Imports `configured`, loads every row, then follows changes until close(). */
  static async open (opts: MiniProgramRegistryOptions): Promise<MiniProgramRegistry> {
    const registry = new MiniProgramRegistry(opts)
    registry.#unsubscribe = await opts.bus.subscribe(registry.#channel, (message) => { registry.#heard(message) })
    try {
      if (opts.configured !== undefined) await registry.importConfigured(opts.configured)
      await registry.reload()
    } catch (err) {
      await registry.close()
      throw err
    }
    const every = opts.reloadIntervalMs ?? 30_000
    registry.#timer = setInterval(() => {
      registry.#check().catch((err: Error) => registry.#log?.warn({ err: err.message }, 'mini programs: periodic reload failed'))
    }, every)
    registry.#timer.unref()
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
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
  }

  /**
   * WECHAT_APPS → rows with source `configuration`: new or changed ones are written (sealed under the current key),
   * unchanged ones left alone, a `console` row with the same appid taken over, and configuration rows that are no
   * longer listed disabled (kept, with their history). Concurrent starts converge: each write is one upsert.
   */
  async importConfigured (apps: WechatAppConfig[]): Promise<void> {
    const listed = new Set(apps.map((a) => a.appid))
    const existing = new Map((await this.#readRows()).filter((r) => listed.has(r.appId)).map((r) => [r.appId, r]))
    const writes = apps.filter((app) => {
      const row = existing.get(app.appid)
      return !(row !== undefined && row.source === CONFIGURATION && row.enabled && this.#sameConfiguration(row, app))
    })
    // A few statements of many rows each, not a round trip per row: 10,000 mini programs import in seconds.
    for (let i = 0; i < writes.length; i += IMPORT_BATCH) {
      await this.#upsert(writes.slice(i, i + IMPORT_BATCH).map((app) => ({ ...app, enabled: true })), CONFIGURATION, CONFIGURATION)
    }
    const dropped = await this.#prisma.$executeRaw`
      UPDATE mini_program SET enabled = false, changed_by = ${CONFIGURATION}, changed_at = now()
      WHERE source = ${CONFIGURATION} AND enabled AND NOT (app_id = ANY(${[...listed]}::text[]))`
    if (writes.length > 0 || dropped > 0) await this.#announce(undefined)
  }

  /**
   * Adds or changes a mini program from the console (source `console`): every field checked as WECHAT_APPS checks
   * it. A row managed by WECHAT_APPS is refused (ReadOnlyMiniProgram). In effect on every instance within 2 s.
   */
  async save (input: MiniProgramInput, changedBy: string): Promise<void> {
    if (typeof input.appid === 'string') await this.#refuseConfigured(input.appid)
    const { name, originalId, messageFormat, enabled, ...config } = input
    const [app] = parseWechatApps([config], `mini program ${input.appid ?? ''}`.trim())
    await this.#upsert([{ ...app!, name, originalId, messageFormat, enabled: enabled ?? true }], 'console', changedBy)
    await this.reload(app!.appid)
    await this.#announce(app!.appid)
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
    const stored: Options = {}
    if (checked!.transferCustomerService !== undefined) stored.transferCustomerService = checked!.transferCustomerService
    if (checked!.profileUrl !== undefined) stored.profileUrl = checked!.profileUrl
    if (checked!.subscribeTemplates !== undefined) stored.subscribeTemplates = checked!.subscribeTemplates
    const profileSecret = checked!.profileSecret === undefined ? null : this.#secrets.seal(checked!.profileSecret, secretContext(appid, COLUMN.profileSecret))
    const count = await this.#prisma.$executeRaw`
      UPDATE mini_program SET options = ${JSON.stringify(stored)}::jsonb, profile_secret = ${profileSecret}, changed_by = ${changedBy}, changed_at = now()
      WHERE app_id = ${appid} AND source <> ${CONFIGURATION}`
    if (count === 0) return false
    await this.reload(appid)
    await this.#announce(appid)
    return true
  }

  /** Disables or re-enables a console row; pushes for a disabled one store nothing (404). */
  async setEnabled (appid: string, enabled: boolean, changedBy: string): Promise<boolean> {
    await this.#refuseConfigured(appid)
    const { count } = await this.#prisma.miniProgram.updateMany({ where: { appId: appid }, data: { enabled, changedBy, changedAt: new Date() } })
    if (count === 0) return false
    await this.reload(appid)
    await this.#announce(appid)
    return true
  }

  /** Reads one row (`appid`) or every row again. */
  async reload (appid?: string): Promise<void> {
    const run = this.#queue.then(async () => { await this.#load(appid) })
    this.#queue = run.catch(() => {})
    await run
  }

  /**
   * How many periodic checks ran, and how many times every row was read (at start, on an announcement of many, and
   * when a check saw a change).
   */
  get loadCounts (): { checks: number, fullLoads: number } {
    return { ...this.#counts }
  }

  /**
   * The safety net, run every reloadIntervalMs: reads the table's fingerprint (one row from PostgreSQL) and every row
   * only when it differs from the one of the last full read. With 10,000 mini programs, reading and comparing them all
   * every 30 s cost every instance a burst of CPU and garbage for nothing, nearly always.
   */
  async #check (): Promise<void> {
    const run = this.#queue.then(async () => {
      if (await this.#readFingerprint() !== this.#fingerprint) await this.#load(undefined)
      this.#counts.checks++
    })
    this.#queue = run.catch(() => {})
    await run
  }

  /**
   * What any write to a row changes: how many rows there are, and a sum over (appid, enabled, changed_at) of each.
   * Every write sets changed_at (a re-seal under a new KEFU_SECRET_KEY does not, and changes no opened value).
   */
  async #readFingerprint (): Promise<string> {
    const [row] = await this.#prisma.$queryRaw<Array<{ fingerprint: string }>>`
      SELECT count(*)::text || ':' || coalesce(sum(hashtext(app_id || ':' || enabled::text || ':' || (extract(epoch FROM changed_at) * 1000)::bigint::text)::bigint), 0)::text AS fingerprint
      FROM mini_program`
    return row!.fingerprint
  }

  async close (): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    const unsubscribe = this.#unsubscribe
    this.#unsubscribe = undefined
    await unsubscribe?.().catch(() => {})
    await this.#queue
  }

  #heard (message: string): void {
    let appid: string | undefined
    try {
      const parsed = JSON.parse(message) as { appid?: unknown }
      appid = typeof parsed.appid === 'string' ? parsed.appid : undefined
    } catch {
      return
    }
    this.reload(appid).catch((err: Error) => this.#log?.warn({ err: err.message, appid }, 'mini programs: reload after a change failed'))
  }

  async #announce (appid: string | undefined): Promise<void> {
    await this.#bus.publish(this.#channel, JSON.stringify(appid === undefined ? { all: true } : { appid }))
  }

  async #refuseConfigured (appid: string): Promise<void> {
    const row = await this.#prisma.miniProgram.findUnique({ where: { appId: appid }, select: { source: true } })
    if (row?.source === CONFIGURATION) throw new ReadOnlyMiniProgram(appid)
  }

  #open (row: Row, field: SealedField): string | undefined {
    const sealed = sealedValue(row, field)
    return sealed === null ? undefined : this.#secrets.open(sealed, secretContext(row.appId, COLUMN[field]))
  }

  #sameConfiguration (row: Row, app: WechatAppConfig): boolean {
    try {
      const current = this.#toProgram(row)
      const { name: _n, originalId: _o, messageFormat: _f, enabled: _e, source: _s, changedBy: _b, changedAt: _a, ...config } = current
      return canonical(config) === canonical(app)
    } catch {
      return false // sealed under a key no longer listed (embedded mode's key is new each start): write it again
    }
  }

  /** Writes rows, one statement for all of them (two instances importing the same WECHAT_APPS at once both succeed). */
  async #upsert (programs: MiniProgramInput[], source: MiniProgramSource, changedBy: string): Promise<void> {
    const values = programs.map((p) => {
      const seal = (field: SealedField): string | null => {
        const value = p[field]
        return value === undefined ? null : this.#secrets.seal(value, secretContext(p.appid, COLUMN[field]))
      }
      const options: Options = {}
      if (p.transferCustomerService !== undefined) options.transferCustomerService = p.transferCustomerService
      if (p.profileUrl !== undefined) options.profileUrl = p.profileUrl
      if (p.subscribeTemplates !== undefined) options.subscribeTemplates = p.subscribeTemplates
      const format = p.messageFormat ?? 'json'
      if (format !== 'json' && format !== 'xml') throw new Error(`mini program ${p.appid}: messageFormat must be json or xml`)
      return Prisma.sql`(${p.appid}, ${p.name ?? null}, ${p.originalId ?? null}, ${seal('token')}, ${seal('encodingAESKey')}, ${seal('previousEncodingAESKey')},
        ${seal('secret')}, ${seal('profileSecret')}, ${format}, ${JSON.stringify(options)}::jsonb, ${p.enabled ?? true}, ${source}, ${changedBy}, now())`
    })
    if (values.length === 0) return
    await this.#prisma.$executeRaw`
      INSERT INTO mini_program (app_id, name, original_id, token, encoding_aes_key, previous_encoding_aes_key, secret, profile_secret,
        message_format, options, enabled, source, changed_by, changed_at)
      VALUES ${Prisma.join(values)}
      ON CONFLICT (app_id) DO UPDATE SET
        name = COALESCE(EXCLUDED.name, mini_program.name), original_id = COALESCE(EXCLUDED.original_id, mini_program.original_id),
        token = EXCLUDED.token, encoding_aes_key = EXCLUDED.encoding_aes_key,
        previous_encoding_aes_key = EXCLUDED.previous_encoding_aes_key, secret = EXCLUDED.secret, profile_secret = EXCLUDED.profile_secret,
        message_format = EXCLUDED.message_format, options = EXCLUDED.options, enabled = EXCLUDED.enabled, source = EXCLUDED.source,
        changed_by = EXCLUDED.changed_by, changed_at = EXCLUDED.changed_at`
  }

  #toProgram (row: Row): MiniProgram {
    const options = (row.options ?? {}) as Options
    const source: MiniProgramSource = row.source === CONFIGURATION ? 'configuration' : row.source === 'component' ? 'component' : 'console'
    const program: MiniProgram = {
      appid: row.appId,
      // A component row has no token of its own: the platform's serves it.
      token: source === 'component' ? '' : this.#open(row, 'token')!,
      messageFormat: row.messageFormat === 'xml' ? 'xml' : 'json',
      enabled: row.enabled,
      source,
      changedAt: row.changedAt
    }
    if (row.pictureUrl !== null) program.pictureUrl = row.pictureUrl
    for (const field of ['encodingAESKey', 'previousEncodingAESKey', 'secret', 'profileSecret'] as const) {
      const value = this.#open(row, field)
      if (value !== undefined) program[field] = value
    }
    if (options.transferCustomerService !== undefined) program.transferCustomerService = options.transferCustomerService
    if (options.profileUrl !== undefined) program.profileUrl = options.profileUrl
    if (options.subscribeTemplates !== undefined) program.subscribeTemplates = options.subscribeTemplates as WechatAppConfig['subscribeTemplates']
    if (row.name !== null) program.name = row.name
    if (row.originalId !== null) program.originalId = row.originalId
    if (row.changedBy !== null) program.changedBy = row.changedBy
    return program
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
      program = this.#toProgram(row)
    } catch (err) {
      this.#log?.warn({ appid: row.appId, err: (err as Error).message }, 'mini programs: a row does not open under KEFU_SECRET_KEY; pushes for it get 404')
      return undefined
    }
    if (!program.enabled) return { program }
    if (program.source === 'component') return this.#component === undefined ? { program } : { program, entry: { program, crypto: this.#component } }
    return { program, entry: { program, crypto: createPushCrypto(program) } }
  }

  /**
   * Every row, READ_PAGE at a time in appid order. Besides bounding each answer, this keeps node-postgres from holding
   * 10,000 rows for as long as a connection lives: pg-pool's first query on a new connection stays reachable from that
   * connection's listeners (seen in a heap snapshot: 8 MB at 10,000 rows). No `appId: { in: [...] }` either: Prisma
   * keeps each plan it compiled, with an object per parameter (another 5 MB for a list of 10,000).
   */
  async #readRows (): Promise<Row[]> {
    const rows: Row[] = []
    for (let after = ''; ;) {
      const page = await this.#prisma.miniProgram.findMany({
        where: { appId: { gt: after } },
        orderBy: { appId: 'asc' },
        take: READ_PAGE
      }) as Row[]
      rows.push(...page)
      if (page.length < READ_PAGE) return rows
      after = page[page.length - 1]!.appId
    }
  }

  async #load (appid: string | undefined): Promise<void> {
    if (appid !== undefined) {
      const row = await this.#prisma.miniProgram.findUnique({ where: { appId: appid } }) as Row | null
      const loaded = row === null ? undefined : this.#toEntry(row)
      if (loaded === undefined) this.#all.delete(appid)
      else this.#all.set(appid, loaded.program)
      if (loaded?.entry === undefined) this.#entries.delete(appid)
      else this.#entries.set(appid, loaded.entry)
      this.#fingerprint = undefined
    } else {
      // Read before the rows: a write between the two makes the next check read every row again, never miss it.
      this.#fingerprint = await this.#readFingerprint()
      this.#counts.fullLoads++
      const rows = await this.#readRows()
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
    for (const listener of this.#listeners) listener(appid)
  }
}
