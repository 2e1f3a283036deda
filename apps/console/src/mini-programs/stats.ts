// Per mini program, for the page's rows only: the last push stored, the pushes stored today (China Standard Time,
// WeChat's day) and the last send WeChat refused. One read query for a page, each figure an index range
// (customer_message_app_time_idx, outbound_message_app_time_idx), so a page costs the same with 10,000 mini programs.
import type { PrismaClient } from '@kefu/db'

export interface Stats {
  /** WeChat's CreateTime of the newest stored push, ISO 8601; null when none. */
  lastPushAt: string | null
  pushesToday: number
  /** The newest send WeChat refused: when, its errcode and errmsg. */
  lastError: { at: string, errcode: number | null, errmsg: string | null } | null
}

const CST_OFFSET_S = 8 * 3600

export class MiniProgramStats {
  constructor (private readonly prisma: PrismaClient, private readonly now: () => number) {}

  async of (appIds: string[]): Promise<Map<string, Stats>> {
    if (appIds.length === 0) return new Map()
    const nowS = Math.floor(this.now() / 1000)
    const dayStart = Math.floor((nowS + CST_OFFSET_S) / 86400) * 86400 - CST_OFFSET_S
    const rows = await this.prisma.$queryRaw<Array<{ app_id: string, last: bigint | null, today: bigint, err_at: Date | null, errcode: number | null, errmsg: string | null }>>`
      SELECT a.app_id,
        (SELECT m.wechat_create_time FROM customer_message m WHERE m.app_id = a.app_id ORDER BY m.wechat_create_time DESC LIMIT 1) AS last,
        (SELECT count(*) FROM customer_message m WHERE m.app_id = a.app_id AND m.wechat_create_time >= ${BigInt(dayStart)}) AS today,
        e.created_at AS err_at, e.errcode, e.errmsg
      FROM unnest(${appIds}::text[]) AS a(app_id)
      LEFT JOIN LATERAL (
        SELECT o.created_at, o.errcode, o.errmsg FROM outbound_message o
        WHERE o.app_id = a.app_id AND o.status = 'failed' ORDER BY o.created_at DESC LIMIT 1
      ) e ON true`
    return new Map(rows.map((r) => [r.app_id, {
      lastPushAt: r.last === null ? null : new Date(Number(r.last) * 1000).toISOString(),
      pushesToday: Number(r.today),
      lastError: r.err_at === null ? null : { at: r.err_at.toISOString(), errcode: r.errcode, errmsg: r.errmsg }
    }]))
  }
}
