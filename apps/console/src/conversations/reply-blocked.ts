import type { PrismaClient } from '@kefu/db'

/**
 * Counts a reply the console refused because WeChat's window was closed (`closed`) or its replies used up (`used`),
 * per hour, mini program and agent: the reports show how often agents met a closed window. Only the count is kept.
 */
export async function countBlockedReply (prisma: PrismaClient, appId: string, agent: string, reason: 'closed' | 'used', at: number): Promise<void> {
  await prisma.$executeRawUnsafe(
    `INSERT INTO reply_blocked_hourly (hour, app_id, agent, reason, count) VALUES (date_trunc('hour', $1::timestamptz), $2, $3, $4, 1)
     ON CONFLICT (hour, app_id, agent, reason) DO UPDATE SET count = reply_blocked_hourly.count + 1`,
    new Date(at), appId, agent, reason)
}
