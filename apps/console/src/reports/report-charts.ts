// Charts drawn on the server as SVG: no script, no library in the page; each has a title and a description, a
// legend in HTML, and the page shows the same figures in a table beside it. The viewBox is about as wide as a phone's
// chart box (360 units for ~340 CSS px at 390 wide, three charts a row at 1280), so 13-unit text stays ≥ 11 CSS px.
// Colours are the theme's (--chart-1…4 in the page's CSS), so the dark theme draws them too.
import { escapeHtml } from '@kefu/service'

/** tone: the series' colour, --chart-<tone> (1 blue, 2 green, 3 orange, 4 red). */
export interface Series { name: string, tone: 1 | 2 | 3 | 4, values: Array<number | null> }
/** What the y axis counts: whole things, or seconds (drawn 45s, 15m, 1h30m, 2d). */
export type Unit = 'count' | 'seconds'

const W = 360
const H = 220
const FONT = 13
const PAD = { left: 46, right: 8, top: 10, bottom: 26 }
const PLOT_W = W - PAD.left - PAD.right
const PLOT_H = H - PAD.top - PAD.bottom
/** An x label's room: "12-01" is ~36 units at 13, so a week's seven days all fit. */
const LABEL_ROOM = 42
const CHAR = 7.8

/** Steps a y axis may take: 1, 2, 5 × 10^k for counts; seconds, minutes, hours, days that read as such for time. */
function * steps (unit: Unit): Generator<number> {
  if (unit === 'seconds') yield * [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200]
  const base = unit === 'seconds' ? 86_400 : 1
  for (let p = 1; ; p *= 10) for (const m of [1, 2, 5]) yield base * m * p
}

/** The y ticks for values up to max: 0, then 1 to 4 equal whole steps, the last ≥ max. */
export function yTicks (max: number, unit: Unit): number[] {
  const top = Number.isFinite(max) && max > 0 ? max : 0
  let step = 1
  for (const s of steps(unit)) if (s * 4 >= top) { step = s; break }
  const n = Math.max(1, Math.ceil(top / step))
  return Array.from({ length: n + 1 }, (_, i) => i * step)
}

/** A tick's label: every tick is a whole step, so labels at that step's precision are distinct. */
export function tickLabel (v: number, unit: Unit): string {
  if (unit === 'count') return v >= 10_000_000 ? `${v / 1_000_000}M` : v >= 10_000 ? `${v / 1000}k` : String(v)
  if (v === 0) return '0'
  if (v % 86_400 === 0) return `${v / 86_400}d`
  if (v >= 3600) return `${Math.floor(v / 3600)}h${v % 3600 === 0 ? '' : `${Math.floor((v % 3600) / 60)}m`}`
  if (v >= 60) return `${Math.floor(v / 60)}m${v % 60 === 0 ? '' : `${v % 60}s`}`
  return `${v}s`
}

function value (v: number, unit: Unit): string {
  return unit === 'seconds' ? formatDuration(v) : String(Math.round(v))
}

function frame (title: string, desc: string, series: Series[], body: string): string {
  const id = `c${Math.random().toString(36).slice(2, 8)}`
  const legend = series.map((s) => `<li><span class="swatch c${s.tone}" aria-hidden="true"></span>${escapeHtml(s.name)}</li>`).join('')
  return `<figcaption><span class="chart-title">${escapeHtml(title)}</span><ul class="legend">${legend}</ul></figcaption>
<svg viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${id}t ${id}d" class="chart" font-size="${FONT}" xmlns="http://www.w3.org/2000/svg">
<title id="${id}t">${escapeHtml(title)}</title><desc id="${id}d">${escapeHtml(desc)}</desc>${body}</svg>`
}

function axes (labels: string[], ticks: number[], unit: Unit): string {
  const top = ticks[ticks.length - 1]!
  let out = ''
  for (const v of ticks) {
    const y = PAD.top + PLOT_H - (PLOT_H * v) / top
    out += `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" class="grid"/><text x="${PAD.left - 5}" y="${(y + 4.5).toFixed(1)}" text-anchor="end" class="tick">${escapeHtml(tickLabel(v, unit))}</text>`
  }
  // As many x labels as fit, each cut to its room (the table beside the chart has every name in full).
  const every = Math.max(1, Math.ceil(labels.length / Math.floor(PLOT_W / LABEL_ROOM)))
  const chars = Math.max(3, Math.floor((PLOT_W * every) / labels.length / CHAR))
  labels.forEach((label, i) => {
    if (i % every !== 0) return
    const x = PAD.left + (PLOT_W * (i + 0.5)) / labels.length
    const text = label.length > chars ? `${label.slice(0, chars - 1)}…` : label
    out += `<text x="${x.toFixed(1)}" y="${H - PAD.bottom + 17}" text-anchor="middle" class="tick">${escapeHtml(text)}</text>`
  })
  return out
}

function largest (series: Series[]): number {
  return Math.max(0, ...series.flatMap((s) => s.values.map((v) => v ?? 0)))
}

/** Grouped bars, one group per label. */
export function barChart (title: string, desc: string, labels: string[], series: Series[], unit: Unit = 'count'): string {
  const ticks = yTicks(largest(series), unit)
  const top = ticks[ticks.length - 1]!
  const group = PLOT_W / Math.max(1, labels.length)
  const bar = Math.min(24, (group * 0.8) / Math.max(1, series.length))
  const inset = (group - bar * series.length) / 2
  let bars = ''
  labels.forEach((label, i) => {
    series.forEach((s, j) => {
      const v = s.values[i] ?? 0
      const h = (PLOT_H * v) / top
      const x = PAD.left + group * i + inset + bar * j
      bars += `<rect x="${x.toFixed(1)}" y="${(PAD.top + PLOT_H - h).toFixed(1)}" width="${bar.toFixed(1)}" height="${h.toFixed(1)}" class="c${s.tone}"><title>${escapeHtml(`${label} · ${s.name}: ${value(v, unit)}`)}</title></rect>`
    })
  })
  return frame(title, desc, series, axes(labels, ticks, unit) + bars)
}

/** Lines with points; a null value breaks the line (no conversation that day). */
export function lineChart (title: string, desc: string, labels: string[], series: Series[], unit: Unit = 'count'): string {
  const ticks = yTicks(largest(series), unit)
  const top = ticks[ticks.length - 1]!
  let lines = ''
  for (const s of series) {
    let path = ''
    let points = ''
    let pen = false
    s.values.forEach((v, i) => {
      if (v === null) { pen = false; return }
      const x = PAD.left + (PLOT_W * (i + 0.5)) / labels.length
      const y = PAD.top + PLOT_H - (PLOT_H * v) / top
      path += `${pen ? 'L' : 'M'}${x.toFixed(1)} ${y.toFixed(1)} `
      pen = true
      points += `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3"><title>${escapeHtml(`${labels[i]} · ${s.name}: ${value(v, unit)}`)}</title></circle>`
    })
    lines += `<g class="c${s.tone}">${path === '' ? '' : `<path d="${path.trim()}" class="line"/>`}${points}</g>`
  }
  return frame(title, desc, series, axes(labels, ticks, unit) + lines)
}

/** 75 s → "1m15s"; 4000 s → "1h07m". */
export function formatDuration (seconds: number | null): string {
  if (seconds === null) return '—'
  const s = Math.round(seconds)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}
