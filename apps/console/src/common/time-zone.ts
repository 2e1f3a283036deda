import type { PrismaClient } from '@kefu/db'

/** The team's time zone when none was chosen: China's, where WeChat's users and their teams live. */
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai'

/** The IANA name as Intl spells it (`asia/shanghai` → `Asia/Shanghai`), or null when Intl knows no such zone. */
export function canonicalTimeZone (name: string): string | null {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(name)) return null
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone
  } catch {
    return null
  }
}

/** How far `zone`'s wall clock is ahead of UTC at the instant `ms` (ms). */
function offsetAt (ms: number, zone: string): number {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })
    .formatToParts(ms).filter((p) => p.type !== 'literal').map((p) => [p.type, Number(p.value)]))
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!) - Math.floor(ms / 1000) * 1000
}

/** The day (`YYYY-MM-DD`) it is in `zone` at the instant `ms`. */
export function dayIn (ms: number, zone: string): string {
  return new Date(ms + offsetAt(ms, zone)).toISOString().slice(0, 10)
}

/** The instant `day` (`YYYY-MM-DD`) begins in `zone`. */
export function startOfDay (day: string, zone: string): Date {
  const wall = Date.parse(`${day}T00:00:00Z`)
  const first = wall - offsetAt(wall, zone)
  return new Date(wall - offsetAt(first, zone))
}

/** The team's time zone (team_setting), or the default. */
export async function teamTimeZone (prisma: PrismaClient): Promise<string> {
  return (await prisma.teamSetting.findUnique({ where: { id: 1 } }))?.timeZone ?? DEFAULT_TIME_ZONE
}
