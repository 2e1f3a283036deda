import t from 'tap'
import { Announcer } from '../src/lib/announcer.js'

const row = (id: string) => ({ id, appId: 'wx1', openid: 'o_' + id })

t.test('rows stored close together go out in one announcement, in order', async (t) => {
  const published: string[][] = []
  let announced: () => void = () => {}
  const done = new Promise<void>((resolve) => { announced = resolve })
  const announcer = new Announcer((rows) => { published.push(rows.map((r) => r.id)); announced() }, 5)
  announcer.add([row('1'), row('2')])
  announcer.add([row('3')])
  t.same(published, [], 'not at once')
  await done
  t.same(published, [['1', '2', '3']])
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
