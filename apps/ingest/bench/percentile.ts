/** The q-quantile (0 < q ≤ 1) of ascending values, nearest rank; NaN when there are none. */
export function percentile (sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!
}
