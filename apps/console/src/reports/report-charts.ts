// Charts drawn on the server as SVG: no script, no library in the page; each has a title and a description, and the
// page shows the same figures in a table beside it.
import { escapeHtml } from '@kefu/service'

export interface Series { name: string, color: string, values: Array<number | null> }

const W = 640
const H = 240
const PAD = { left: 48, right: 12, top: 28, bottom: 40 }

function niceMax (max: number): number {
  if (max <= 0) return 1
  const step = 10 ** Math.floor(Math.log10(max))
  for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= max) return m * step
  return 10 * step
}

function frame (title: string, desc: string, body: string): string {
  const id = `c${Math.random().toString(36).slice(2, 8)}`
  return `<svg viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${id}t ${id}d" class="chart" xmlns="http://www.w3.org/2000/svg">
<title id="${id}t">${escapeHtml(title)}</title><desc id="${id}d">${escapeHtml(desc)}</desc>${body}</svg>`
}

function axes (labels: string[], max: number, format: (v: number) => string): string {
  const plotW = W - PAD.left - PAD.right
  const plotH = H - PAD.top - PAD.bottom
  let out = ''
  for (let i = 0; i <= 4; i++) {
    const y = PAD.top + plotH - (plotH * i) / 4
    out += `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y}" y2="${y}" class="grid"/><text x="${PAD.left - 6}" y="${y + 4}" text-anchor="end" class="tick">${escapeHtml(format((max * i) / 4))}</text>`
  }
  const every = Math.max(1, Math.ceil(labels.length / 10))
  labels.forEach((label, i) => {
    if (i % every !== 0) return
    const x = PAD.left + (plotW * (i + 0.5)) / labels.length
    out += `<text x="${x}" y="${H - PAD.bottom + 16}" text-anchor="middle" class="tick">${escapeHtml(label)}</text>`
  })
  return out
}

function legend (series: Series[]): string {
  return series.map((s, i) => `<rect x="${PAD.left + i * 150}" y="6" width="12" height="12" fill="${s.color}"/><text x="${PAD.left + i * 150 + 18}" y="16" class="tick">${escapeHtml(s.name)}</text>`).join('')
}

/** Grouped bars, one group per label. */
export function barChart (title: string, desc: string, labels: string[], series: Series[], format: (v: number) => string = (v) => String(Math.round(v))): string {
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values.map((v) => v ?? 0))))
  const plotW = W - PAD.left - PAD.right
  const plotH = H - PAD.top - PAD.bottom
  const group = plotW / Math.max(1, labels.length)
  const bar = Math.max(1, (group * 0.8) / Math.max(1, series.length))
  let bars = ''
  labels.forEach((label, i) => {
    series.forEach((s, j) => {
      const v = s.values[i] ?? 0
      const h = (plotH * v) / max
      const x = PAD.left + group * i + group * 0.1 + bar * j
      bars += `<rect x="${x.toFixed(1)}" y="${(PAD.top + plotH - h).toFixed(1)}" width="${bar.toFixed(1)}" height="${h.toFixed(1)}" fill="${s.color}"><title>${escapeHtml(`${label} · ${s.name}: ${format(v)}`)}</title></rect>`
    })
  })
  return frame(title, desc, axes(labels, max, format) + bars + legend(series))
}

/** Lines with points; a null value breaks the line (no conversation that day). */
export function lineChart (title: string, desc: string, labels: string[], series: Series[], format: (v: number) => string): string {
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values.map((v) => v ?? 0))))
  const plotW = W - PAD.left - PAD.right
  const plotH = H - PAD.top - PAD.bottom
  let lines = ''
  for (const s of series) {
    let path = ''
    let pen = false
    s.values.forEach((v, i) => {
      if (v === null) { pen = false; return }
      const x = PAD.left + (plotW * (i + 0.5)) / labels.length
      const y = PAD.top + plotH - (plotH * v) / max
      path += `${pen ? 'L' : 'M'}${x.toFixed(1)} ${y.toFixed(1)} `
      pen = true
      lines += `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3" fill="${s.color}"><title>${escapeHtml(`${labels[i]} · ${s.name}: ${format(v)}`)}</title></circle>`
    })
    if (path !== '') lines = `<path d="${path.trim()}" fill="none" stroke="${s.color}" stroke-width="2"/>` + lines
  }
  return frame(title, desc, axes(labels, max, format) + lines + legend(series))
}

/** 75 s → "1m15s"; 4000 s → "1h07m". */
export function formatDuration (seconds: number | null): string {
  if (seconds === null) return '—'
  const s = Math.round(seconds)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}
