/** True for a unique-constraint violation, from Prisma (P2002) or from the pg driver (SQLSTATE 23505). */
export function isUniqueViolation (err: unknown): boolean {
  const e = err as { code?: unknown, cause?: { originalCode?: unknown, code?: unknown } } | null
  return e?.code === 'P2002' || e?.code === '23505' || e?.cause?.originalCode === '23505' || e?.cause?.code === '23505'
}
