import type { PrismaClient } from '@kefu/db'

/** Months of customer_message partitions kept ready past the current one. */
export const PARTITION_MONTHS_AHEAD = 3

/**
 * Partition upkeep: customer_message is partitioned by month on wechat_create_time, and this creates the current
 * month's partition and the next `monthsAhead` where missing (customer_message_ensure_partitions, migration
 * 20261211110000: several consoles calling at once take turns on an advisory lock). A month not created in time is no
 * failure (its rows wait in the default partition and move into the month when it is created), only slower to drop.
 * Returns how many partitions were created.
 */
export async function ensurePartitions (prisma: Pick<PrismaClient, '$queryRawUnsafe'>, monthsAhead: number = PARTITION_MONTHS_AHEAD): Promise<number> {
  const rows = await prisma.$queryRawUnsafe<Array<{ n: number }>>('SELECT customer_message_ensure_partitions($1::int) AS n', monthsAhead)
  return rows[0]?.n ?? 0
}
