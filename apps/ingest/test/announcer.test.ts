import t from 'tap'
import { Announcer } from '../src/lib/announcer.js'

const row = (id: string) => ({ id, appId: 'wx1', openid: 'o_' + id })

t.test('the first rows after a quiet moment go out at once; those within the window after, together, in order', async (t) => {
  const published: Array<{ ids: string[], at: number }> = []
  let announced: () => void = () => {}
  const second = new Promise<void>((resolve) => { announced = resolve })
  const announcer = new Announcer((rows) => { published.push({ ids: rows.map((r) => r.id), at: performance.now() }); if (published.length === 2) announced() }, 50)
  announcer.add([row('1'), row('2')])
  t.same(published, [], 'not inside the commit: its answers go first')
  await new Promise((resolve) => setImmediate(resolve))
  t.same(published.map((p) => p.ids), [['1', '2']], 'then at once: no delay for a push after a quiet moment')
  announcer.add([row('3')])
  announcer.add([row('4')])
  t.equal(published.length, 1, 'within the window: they wait')
  await second
  t.same(published.map((p) => p.ids), [['1', '2'], ['3', '4']])
  t.ok(published[1]!.at - published[0]!.at >= 45, `one announcement per window (${(published[1]!.at - published[0]!.at).toFixed(1)} ms apart)`)
})

t.test('flush announces what waits at once (on close), and nothing when nothing waits', async (t) => {
  const published: string[][] = []
  const announcer = new Announcer((rows) => { published.push(rows.map((r) => r.id)) }, 60_000)
  announcer.flush()
  announcer.add([row('4')])
  announcer.flush()
  announcer.flush()
  t.same(published, [['4']])
})
