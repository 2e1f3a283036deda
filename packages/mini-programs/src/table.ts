// The mini_program table as the registry reads and writes it: every row read a page at a time, the table's
// fingerprint, rows written with their secrets sealed, and a row opened into a MiniProgram.
import { Prisma, type PrismaClient } from '@kefu/db'
import type { SecretBox } from '@kefu/secrets'
import type { WechatAppConfig } from '@kefu/service'
import type { MiniProgram, MiniProgramInput, MiniProgramSource } from './program.js'
import { COLUMN, CONFIGURATION, canonical, sealedValue, secretContext, type Options, type Row, type SealedField } from './rows.js'

/** Rows per SELECT when rows are read (see readRows). */
const READ_PAGE = 1000

export class MiniProgramTable {
  readonly #prisma: PrismaClient
  readonly #secrets: SecretBox

  constructor (prisma: PrismaClient, secrets: SecretBox) {
    this.#prisma = prisma
    this.#secrets = secrets
  }

  /**
   * Every row, READ_PAGE at a time in appid order. Besides bounding each answer, this keeps node-postgres from holding
   * 10,000 rows for as long as a connection lives: pg-pool's first query on a new connection stays reachable from that
   * connection's listeners (seen in a heap snapshot: 8 MB at 10,000 rows). No `appId: { in: [...] }` either: Prisma
   * keeps each plan it compiled, with an object per parameter (another 5 MB for a list of 10,000).
   */
  async readRows (): Promise<Row[]> {
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

  /** The row `appid`; null when there is none. */
  async readRow (appid: string): Promise<Row | null> {
    return await this.#prisma.miniProgram.findUnique({ where: { appId: appid } }) as Row | null
  }

  /**
   * What any write to a row changes: how many rows there are, and a sum over (appid, enabled, changed_at) of each.
   * Every write sets changed_at (a re-seal under a new KEFU_SECRET_KEY does not, and changes no opened value).
   */
  async readFingerprint (): Promise<string> {
    const [row] = await this.#prisma.$queryRaw<Array<{ fingerprint: string }>>`
      SELECT count(*)::text || ':' || coalesce(sum(hashtext(app_id || ':' || enabled::text || ':' || (extract(epoch FROM changed_at) * 1000)::bigint::text)::bigint), 0)::text AS fingerprint
      FROM mini_program`
    return row!.fingerprint
  }

  /** Who manages the row `appid` (its source); undefined when there is no such row. */
  async sourceOf (appid: string): Promise<string | undefined> {
    const row = await this.#prisma.miniProgram.findUnique({ where: { appId: appid }, select: { source: true } })
    return row?.source
  }

  /** Writes rows, one statement for all of them (two instances importing the same WECHAT_APPS at once both succeed). */
  async upsert (programs: MiniProgramInput[], source: MiniProgramSource, changedBy: string): Promise<void> {
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

  /** Sets the options of a console or component row (`checked` as WECHAT_APPS checks them): how many rows changed. */
  async updateOptions (appid: string, checked: WechatAppConfig, changedBy: string): Promise<number> {
    const stored: Options = {}
    if (checked.transferCustomerService !== undefined) stored.transferCustomerService = checked.transferCustomerService
    if (checked.profileUrl !== undefined) stored.profileUrl = checked.profileUrl
    if (checked.subscribeTemplates !== undefined) stored.subscribeTemplates = checked.subscribeTemplates
    const profileSecret = checked.profileSecret === undefined ? null : this.#secrets.seal(checked.profileSecret, secretContext(appid, COLUMN.profileSecret))
    return await this.#prisma.$executeRaw`
      UPDATE mini_program SET options = ${JSON.stringify(stored)}::jsonb, profile_secret = ${profileSecret}, changed_by = ${changedBy}, changed_at = now()
      WHERE app_id = ${appid} AND source <> ${CONFIGURATION}`
  }

  /** How many rows changed (0 or 1). */
  async setEnabled (appid: string, enabled: boolean, changedBy: string): Promise<number> {
    const { count } = await this.#prisma.miniProgram.updateMany({ where: { appId: appid }, data: { enabled, changedBy, changedAt: new Date() } })
    return count
  }

  /** Disables the enabled configuration rows whose appid is not `listed` (kept, with their history): how many. */
  async disableUnlisted (listed: string[]): Promise<number> {
    return await this.#prisma.$executeRaw`
      UPDATE mini_program SET enabled = false, changed_by = ${CONFIGURATION}, changed_at = now()
      WHERE source = ${CONFIGURATION} AND enabled AND NOT (app_id = ANY(${listed}::text[]))`
  }

  /** A row with its secrets opened; throws when they do not open under KEFU_SECRET_KEY. */
  toProgram (row: Row): MiniProgram {
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

  /** Whether the row already holds `app` as WECHAT_APPS gives it. */
  sameConfiguration (row: Row, app: WechatAppConfig): boolean {
    try {
      const current = this.toProgram(row)
      const { name: _n, originalId: _o, messageFormat: _f, enabled: _e, source: _s, changedBy: _b, changedAt: _a, ...config } = current
      return canonical(config) === canonical(app)
    } catch {
      return false // sealed under a key no longer listed (embedded mode's key is new each start): write it again
    }
  }

  #open (row: Row, field: SealedField): string | undefined {
    const sealed = sealedValue(row, field)
    return sealed === null ? undefined : this.#secrets.open(sealed, secretContext(row.appId, COLUMN[field]))
  }
}
