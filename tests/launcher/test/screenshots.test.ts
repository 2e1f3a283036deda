// docs/screenshots/: every view of the console at both sizes, light and dark, as `pnpm screenshots` takes them, small
// PNGs at device scale 1, each linked from docs/screenshots.md, which the README links.
import t from 'tap'
import { readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { ROOT } from './helper.js'

const VIEWS = ['conversations', 'conversation', 'quick-reply', 'palette', 'mentions', 'search', 'admin', 'reports', 'mini-programs']
const SIZES: Array<[number, number]> = [[1280, 800], [390, 844]]

t.test('each view at 1280×800 and 390×844, light and dark: a PNG of that size, under 200 KB, linked', async (t) => {
  const page = readFileSync(path.join(ROOT, 'docs/screenshots.md'), 'utf8')
  for (const view of VIEWS) {
    for (const [width, height] of SIZES) {
      for (const scheme of ['light', 'dark']) {
        const name = `${view}-${width}-${scheme}.png`
        const file = path.join(ROOT, 'docs/screenshots', name)
        const png = readFileSync(file)
        t.equal(png.subarray(1, 4).toString('latin1'), 'PNG', name)
        t.same([png.readUInt32BE(16), png.readUInt32BE(20)], [width, height], `${name}: ${width}×${height} (device scale 1)`)
        t.ok(statSync(file).size < 200_000, `${name}: small`)
        t.ok(page.includes(`(screenshots/${name})`), `${name}: linked from docs/screenshots.md`)
      }
    }
  }
  t.ok(readFileSync(path.join(ROOT, 'README.md'), 'utf8').includes('(docs/screenshots.md)'), 'the README links the screenshots')
  t.match(readFileSync(path.join(ROOT, 'package.json'), 'utf8'), /"screenshots": /, 'pnpm screenshots takes them again')
})
