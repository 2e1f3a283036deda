// The README, CONTRIBUTING.md and docs/ point at each other: every relative link of the repository's Markdown reaches a file that
// exists, and a link to a section reaches a heading of that file (as GitHub makes anchors of headings).
import t from 'tap'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { ROOT } from './helper.js'

/** GitHub's anchor of a heading: lower case, punctuation dropped (letters of any script, digits, _ and - kept), spaces to -. */
function anchor (heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\p{M} _-]/gu, '').replace(/ /g, '-')
}

/** The anchors of a Markdown file's headings, with GitHub's -1, -2… for repeated ones. */
function anchors (text: string): Set<string> {
  const seen = new Map<string, number>()
  const out = new Set<string>()
  let fenced = false
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced
    const m = fenced ? null : /^#{1,6} (.*)$/.exec(line)
    if (m === null) continue
    const base = anchor(m[1]!)
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    out.add(n === 0 ? base : `${base}-${n}`)
  }
  return out
}

/** The Markdown files a reader opens: the README, CONTRIBUTING.md, docs/, and each app's and package's README. */
function markdownFiles (): string[] {
  const files = ['README.md', 'CONTRIBUTING.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)]
  for (const dir of ['apps', 'packages']) {
    for (const name of readdirSync(path.join(ROOT, dir))) {
      if (existsSync(path.join(ROOT, dir, name, 'README.md'))) files.push(`${dir}/${name}/README.md`)
    }
  }
  return files
}

/** Relative links outside code: `[text](target)`. */
function links (text: string): string[] {
  const out: string[] = []
  let fenced = false
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) { fenced = !fenced; continue }
    if (fenced) continue
    for (const m of line.replace(/`[^`]*`/g, '').matchAll(/\]\(([^)\s]+)\)/g)) {
      if (!/^[a-z]+:/.test(m[1]!)) out.push(m[1]!)
    }
  }
  return out
}

t.test('every relative link of the README, CONTRIBUTING.md, docs/ and the READMEs reaches a file and a heading', async (t) => {
  const files = markdownFiles()
  t.ok(['CONTRIBUTING.md', 'docs/configuration.md', 'apps/console/README.md'].every((f) => files.includes(f)), `${files.length} files`)
  let checked = 0
  for (const file of files) {
    for (const link of links(readFileSync(path.join(ROOT, file), 'utf8'))) {
      checked++
      const [target, hash] = link.split('#') as [string, string | undefined]
      const resolved = target === '' ? path.join(ROOT, file) : path.resolve(path.dirname(path.join(ROOT, file)), target)
      t.ok(existsSync(resolved), `${file}: ${link} exists`)
      if (hash === undefined || !existsSync(resolved) || statSync(resolved).isDirectory()) continue
      t.ok(anchors(readFileSync(resolved, 'utf8')).has(hash), `${file}: ${link} is a heading of ${path.relative(ROOT, resolved)}`)
    }
  }
  t.ok(checked >= 50, `${checked} links`)
})

t.test('anchors are made as GitHub makes them', async (t) => {
  t.equal(anchor('A mini program in `WECHAT_APPS`'), 'a-mini-program-in-wechat_apps')
  t.equal(anchor("Profile lookup: what the business's backend receives"), 'profile-lookup-what-the-businesss-backend-receives')
  t.equal(anchor('Why ingest runs with `--no-allocation-site-pretenuring`'), 'why-ingest-runs-with---no-allocation-site-pretenuring')
  t.equal(anchor('`pnpm bench:search`'), 'pnpm-benchsearch')
  t.same([...anchors('# Tests\n## Tests\n```\n# not a heading\n```\n')], ['tests', 'tests-1'])
})

t.test('the README is a front door: at most 200 lines, and it shows a newcomer CONTRIBUTING.md', async (t) => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8')
  const lines = readme.split('\n').length
  t.ok(lines <= 200, `README.md has ${lines} lines; reference material belongs in docs/`)
  t.ok(links(readme).includes('CONTRIBUTING.md'), 'README.md links CONTRIBUTING.md')
})
