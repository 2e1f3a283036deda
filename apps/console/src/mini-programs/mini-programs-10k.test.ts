import t from 'tap'
import { generateSecretKey, SecretBox } from '@kefu/secrets'
import { secretContext } from '@kefu/mini-programs'
import { addAgent, startConsoleSystem, signedIn } from '../../test/helper.js'

// 10,000 mini programs: the page's API answers 20 rows and a total, searched on the server; what it sends does not
// grow with the count. Timings are printed, not asserted (a shared CI machine makes them noisy).
const key = generateSecretKey('test10k')
const sys = await startConsoleSystem(t, { label: 'console_mini_programs_10k', console: { secretKeys: [key] } })
await addAgent(sys, 'olivia', [], { role: 'admin', owner: true })
const olivia = await signedIn(sys, 'olivia')

t.test('10,000 rows: one page of 20, searched on the server, answers of the same size', async (t) => {
  const box = new SecretBox([key])
  const rows = Array.from({ length: 10_000 }, (_, i) => {
    const appId = `wx${i.toString(16).padStart(16, '0')}`
    return { appId, name: `店铺 ${i}`, token: box.seal(`token${i}x`, secretContext(appId, 'token')), changedBy: 'bench' }
  })
  for (let i = 0; i < rows.length; i += 1000) await sys.prisma.miniProgram.createMany({ data: rows.slice(i, i + 1000) })
  let started = Date.now()
  await sys.console.app.miniPrograms.reload()
  t.comment(`registry reload of ${sys.console.app.miniPrograms.size} rows: ${Date.now() - started} ms`)
  t.ok(sys.console.app.miniPrograms.size >= 10_000)

  started = Date.now()
  const first = await olivia.api(sys, 'GET', '/api/mini-programs')
  t.comment(`first page: ${Date.now() - started} ms, ${first.text.length} bytes`)
  t.equal(first.json().items.length, 20)
  t.ok(first.json().total >= 10_000)
  started = Date.now()
  const last = await olivia.api(sys, 'GET', '/api/mini-programs?page=500')
  t.comment(`page 500: ${Date.now() - started} ms`)
  t.equal(last.json().items.length, 20)
  started = Date.now()
  const found = await olivia.api(sys, 'GET', `/api/mini-programs?q=${encodeURIComponent('店铺 9999')}`)
  t.comment(`search: ${Date.now() - started} ms`)
  t.same(found.json().items.map((p: { appid: string }) => p.appid), [`wx${(9999).toString(16).padStart(16, '0')}`])
  t.ok(first.text.length < 20_000, 'a page is a page, whatever the count')
})
