// Third-party platform mode, what must outlive a process and be shared by every instance: the last
// component_verify_ticket (table wechat_component) and the authorizers with their refresh tokens (component_authorizer),
// each secret sealed with KEFU_SECRET_KEY. An authorization creates or updates the mini program's row (source
// `component`) and a withdrawal disables it at once, both announced on the registry's bus channel.
import type { PrismaClient } from '@kefu/db'
import type { SecretBox } from '@kefu/secrets'
import type { EventBus } from '@kefu/service'
import { MINI_PROGRAMS_CHANNEL } from './registry.js'

/** Who changed a mini program's row when WeChat's authorization events did. */
export const WECHAT = 'wechat'

/** A component_verify_ticket is valid 12 hours (WeChat pushes a new one every 10 minutes). */
export const VERIFY_TICKET_LIFETIME_MS = 12 * 3600 * 1000

/** A mini program that authorized the platform, as api_query_auth and api_get_authorizer_info describe it. */
export interface Authorization {
  /** The authorizer's (the mini program's) appid. */
  appid: string
  refreshToken: string
  /** Permission-set ids (func_info[].funcscope_category.id); 19 is 小程序客服管理. */
  funcInfo: number[]
  name?: string
  /** user_name: 原始ID gh_…, the ToUserName of its pushes. */
  originalId?: string
  /** head_img. */
  pictureUrl?: string
}

export interface ComponentStoreOptions {
  prisma: PrismaClient
  secrets: SecretBox
  bus: EventBus
  /** The platform's component appid. */
  componentAppid: string
  channel?: string
  now?: () => number
}

export function ticketContext (componentAppid: string): string {
  return `wechat_component:${componentAppid}:verify_ticket`
}

export function refreshTokenContext (appid: string): string {
  return `component_authorizer:${appid}:refresh_token`
}

export class ComponentStore {
  readonly componentAppid: string
  readonly #prisma: PrismaClient
  readonly #secrets: SecretBox
  readonly #bus: EventBus
  readonly #channel: string
  readonly #now: () => number

  constructor (opts: ComponentStoreOptions) {
    this.componentAppid = opts.componentAppid
    this.#prisma = opts.prisma
    this.#secrets = opts.secrets
    this.#bus = opts.bus
    this.#channel = opts.channel ?? MINI_PROGRAMS_CHANNEL
    this.#now = opts.now ?? Date.now
  }

  /** Keeps `ticket` unless a later push already left a newer one (pushes may arrive out of order). */
  async saveVerifyTicket (ticket: string, createdAt: Date): Promise<void> {
    const sealed = this.#secrets.seal(ticket, ticketContext(this.componentAppid))
    await this.#prisma.$executeRaw`
      INSERT INTO wechat_component (app_id, verify_ticket, ticket_at) VALUES (${this.componentAppid}, ${sealed}, ${createdAt})
      ON CONFLICT (app_id) DO UPDATE SET verify_ticket = EXCLUDED.verify_ticket, ticket_at = EXCLUDED.ticket_at
      WHERE wechat_component.ticket_at <= EXCLUDED.ticket_at`
  }

  /** The last ticket WeChat pushed, while it is valid (12 h); undefined before the first push or after that. */
  async verifyTicket (): Promise<string | undefined> {
    const row = await this.#prisma.wechatComponent.findUnique({ where: { appId: this.componentAppid } })
    if (row === null || this.#now() - row.ticketAt.getTime() >= VERIFY_TICKET_LIFETIME_MS) return undefined
    return this.#secrets.open(row.verifyTicket, ticketContext(this.componentAppid))
  }

  /** The authorizer's refresh token while its authorization stands; undefined otherwise. */
  async refreshToken (appid: string): Promise<string | undefined> {
    const row = await this.#prisma.componentAuthorizer.findUnique({ where: { appId: appid } })
    if (row === null || !row.authorized || row.refreshToken === null || row.componentAppId !== this.componentAppid) return undefined
    return this.#secrets.open(row.refreshToken, refreshTokenContext(appid))
  }

  /** Keeps the refresh token api_authorizer_token answered with (it may be a new one), unless withdrawn meanwhile. */
  async saveRefreshToken (appid: string, refreshToken: string): Promise<void> {
    await this.#prisma.componentAuthorizer.updateMany({
      where: { appId: appid, authorized: true, componentAppId: this.componentAppid },
      data: { refreshToken: this.#secrets.seal(refreshToken, refreshTokenContext(appid)), updatedAt: new Date(this.#now()) }
    })
  }

  /**
   * An authorization (authorized, updateauthorized, or the console's return from WeChat's page): the authorizer's row
   * and the mini program's, source `component`, written together. `enable` turns the mini program on (a new
   * authorization); an update leaves it as an administrator set it. In effect on every instance within 2 s.
   */
  async authorize (auth: Authorization, changedBy: string, enable: boolean): Promise<void> {
    const sealed = this.#secrets.seal(auth.refreshToken, refreshTokenContext(auth.appid))
    const funcInfo = JSON.stringify(auth.funcInfo)
    const at = new Date(this.#now())
    await this.#prisma.$transaction([
      this.#prisma.$executeRaw`
        INSERT INTO component_authorizer (app_id, component_app_id, refresh_token, func_info, authorized, authorized_at, unauthorized_at, updated_at)
        VALUES (${auth.appid}, ${this.componentAppid}, ${sealed}, ${funcInfo}::jsonb, true, ${at}, NULL, ${at})
        ON CONFLICT (app_id) DO UPDATE SET component_app_id = EXCLUDED.component_app_id, refresh_token = EXCLUDED.refresh_token,
          func_info = EXCLUDED.func_info, authorized = true, unauthorized_at = NULL, updated_at = EXCLUDED.updated_at,
          authorized_at = CASE WHEN component_authorizer.authorized THEN component_authorizer.authorized_at ELSE EXCLUDED.authorized_at END`,
      // The platform's own token and key serve its pushes: the row keeps none, and no AppSecret (WeChat never gives one).
      this.#prisma.$executeRaw`
        INSERT INTO mini_program (app_id, name, original_id, picture_url, token, message_format, enabled, source, changed_by, changed_at)
        VALUES (${auth.appid}, ${auth.name ?? null}, ${auth.originalId ?? null}, ${auth.pictureUrl ?? null}, NULL, 'xml', true, 'component', ${changedBy}, ${at})
        ON CONFLICT (app_id) DO UPDATE SET
          name = COALESCE(EXCLUDED.name, mini_program.name), original_id = COALESCE(EXCLUDED.original_id, mini_program.original_id),
          picture_url = COALESCE(EXCLUDED.picture_url, mini_program.picture_url),
          token = NULL, encoding_aes_key = NULL, previous_encoding_aes_key = NULL, secret = NULL, message_format = 'xml',
          enabled = CASE WHEN ${enable}::boolean OR mini_program.source <> 'component' THEN true ELSE mini_program.enabled END,
          source = 'component', changed_by = EXCLUDED.changed_by, changed_at = EXCLUDED.changed_at`
    ])
    await this.#announce(auth.appid)
  }

  /**
   * unauthorized: the mini program stops receiving and sending at once (its row disabled, its refresh token dropped:
   * WeChat kills it), and its history stays. False when kefu never knew it.
   */
  async withdraw (appid: string): Promise<boolean> {
    const at = new Date(this.#now())
    const [authorizers, programs] = await this.#prisma.$transaction([
      this.#prisma.componentAuthorizer.updateMany({
        where: { appId: appid, componentAppId: this.componentAppid },
        data: { authorized: false, refreshToken: null, unauthorizedAt: at, updatedAt: at }
      }),
      this.#prisma.miniProgram.updateMany({ where: { appId: appid, source: 'component' }, data: { enabled: false, changedBy: WECHAT, changedAt: at } })
    ])
    if (authorizers.count + programs.count === 0) return false
    await this.#announce(appid)
    return true
  }

  /** Whether `appid` has authorized this platform and not withdrawn. */
  async isAuthorized (appid: string): Promise<boolean> {
    const row = await this.#prisma.componentAuthorizer.findUnique({ where: { appId: appid }, select: { authorized: true, componentAppId: true } })
    return row !== null && row.authorized && row.componentAppId === this.componentAppid
  }

  async #announce (appid: string): Promise<void> {
    await this.#bus.publish(this.#channel, JSON.stringify({ appid }))
  }
}
