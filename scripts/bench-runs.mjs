// pnpm bench:runs <name> [runs] — runs `pnpm bench:<name>` several times (5 by default), one after the other, and
// prints the median and the range of each figure the bench records, as a Markdown table (the README's performance
// table and docs/benchmarks.md take theirs from it). A bench records its figures by appending one JSON line per run
// to the file in BENCH_RESULTS; a figure that is null in a run (not measured there) is left out of that run.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const [name, runsArg] = process.argv.slice(2)
const runs = Number(runsArg ?? 5)
if (name === undefined || !/^[a-z:]+$/.test(name) || !Number.isInteger(runs) || runs < 1) {
  console.error('usage: pnpm bench:runs <name> [runs]   (e.g. pnpm bench:runs ingest 5)')
  process.exit(2)
}
const dir = mkdtempSync(path.join(os.tmpdir(), 'kefu-bench-'))
const file = path.join(dir, 'results.jsonl')
try {
  for (let i = 1; i <= runs; i++) {
    console.log(`\n# run ${i} of ${runs}: pnpm bench:${name} (load average ${os.loadavg()[0].toFixed(2)})`)
    const r = spawnSync('pnpm', [`bench:${name}`], { stdio: 'inherit', env: { ...process.env, BENCH_RESULTS: file } })
    if (r.status !== 0) {
      console.error(`pnpm bench:${name} failed (exit ${r.status ?? r.signal}) in run ${i}`)
      process.exit(1)
    }
  }
  const records = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l))
  const figures = [...new Set(records.flatMap((r) => Object.keys(r)))]
  const fmt = (n) => n === 0 ? '0' : Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : Math.abs(n) >= 10 ? n.toFixed(1) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(2)
  console.log(`\n${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'cpu'}, pnpm bench:${name}, ${records.length} runs\n`)
  console.log('| figure | median | range | runs |')
  console.log('|---|---|---|---|')
  for (const figure of figures) {
    const values = records.map((r) => r[figure]).filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b)
    if (values.length === 0) continue
    const mid = values.length >> 1
    const median = values.length % 2 === 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2
    console.log(`| ${figure} | **${fmt(median)}** | ${fmt(values[0])}–${fmt(values.at(-1))} | ${values.length} |`)
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
