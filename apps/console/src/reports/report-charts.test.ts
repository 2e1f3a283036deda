// The charts' y axes, without a browser: for every range the tick labels are distinct, increasing, and reach the
// largest value (a day of 1 conversation drew "0 0 1 1 1"; a first response of under a second "0s 0s 1s 1s 1s").
import t, { type Test } from 'tap'
import { barChart, lineChart } from './report-charts.js'

const MAXIMA = [0, 0.4, 1, 2, 3, 4, 5, 7, 9, 11, 59, 60, 61, 99, 101, 599, 999, 1001, 3599, 3600, 3601, 5400, 9999, 43_210, 86_400, 100_001, 777_777, 3_000_000]

/** The y-axis labels of a chart: the ticks written right-aligned left of the plot. */
function yLabels (svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*text-anchor="end"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!)
}

/** "1h30m" → 5400; "2d" → 172800; "45s" → 45; a count reads as itself. */
function seconds (label: string): number {
  if (/^\d+$/.test(label)) return Number(label)
  const unit: Record<string, number> = { d: 86_400, h: 3600, m: 60, s: 1 }
  let s = 0
  for (const [, n, u] of label.matchAll(/(\d+)([dhms])/g)) s += Number(n) * unit[u!]!
  return s
}
function count (label: string): number {
  const m = /^(\d+)([kM]?)$/.exec(label)
  if (m === null) return NaN
  return Number(m[1]) * (m[2] === 'k' ? 1000 : m[2] === 'M' ? 1_000_000 : 1)
}

function check (t: Test, labels: string[], value: (l: string) => number, max: number, what: string): void {
  t.ok(labels.length >= 2 && labels.length <= 6, `${what}: 2 to 6 ticks (${labels.join(' ')})`)
  t.equal(new Set(labels).size, labels.length, `${what}: distinct (${labels.join(' ')})`)
  const values = labels.map(value)
  t.ok(values.every((v, i) => Number.isFinite(v) && (i === 0 ? v === 0 : v > values[i - 1]!)), `${what}: from 0, increasing (${labels.join(' ')})`)
  t.ok(values[values.length - 1]! >= max, `${what}: the top tick reaches ${max} (${labels.join(' ')})`)
}

t.test('counts: whole numbers, never repeated, up to the largest bar', async (t) => {
  for (const max of MAXIMA.filter(Number.isInteger)) {
    const svg = barChart('t', 'd', ['a', 'b'], [{ name: 's', tone: 1, values: [max, null] }])
    check(t, yLabels(svg), count, max, `max ${max}`)
  }
})

t.test('durations: a step of seconds, minutes, hours or days, every label distinct, up to the largest point', async (t) => {
  for (const max of MAXIMA) {
    const svg = lineChart('t', 'd', ['a', 'b'], [{ name: 's', tone: 1, values: [max, null] }], 'seconds')
    check(t, yLabels(svg), seconds, max, `max ${max}s`)
  }
})
