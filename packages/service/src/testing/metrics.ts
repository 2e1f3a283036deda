/** One sample of Prometheus text exposition: its metric name, labels and value. */
export interface Sample { name: string, labels: Record<string, string>, value: number }

/** Parses Prometheus text exposition (what `GET /metrics` answers) into samples; comments are skipped. */
export function parseMetrics (text: string): Sample[] {
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (m === null) throw new Error(`not a Prometheus sample: ${line}`)
    const labels: Record<string, string> = {}
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_s, c: string) => c === 'n' ? '\n' : c)
    samples.push({ name: m[1]!, labels, value: Number(m[3]) })
  }
  return samples
}

/**
 * The sum of the samples named `name` whose labels include `labels` (0 when there are none): a counter across the
 * label values left open, or one exact series.
 */
export function metricValue (text: string, name: string, labels: Record<string, string | number> = {}): number {
  let sum = 0
  for (const s of parseMetrics(text)) {
    if (s.name !== name) continue
    if (Object.entries(labels).every(([k, v]) => s.labels[k] === String(v))) sum += s.value
  }
  return sum
}
