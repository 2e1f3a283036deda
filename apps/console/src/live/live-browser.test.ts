/// <reference lib="dom" />
// The console page when a newer tab of the same agent takes its live stream: it says so and does not reconnect
// (which would only close another tab's stream, and so on in a loop).
import t from 'tap'
import { Agent, openStream, startConsoleSystem, type EventStream } from '../../test/helper.js'
import { launchChromium, newPage, signInAtA } from '../../test/chromium.js'

const sys = await startConsoleSystem(t, { label: 'console_live_browser', aHost: 'a.kefu.test', consoleHost: 'console.kefu.test' })
const browser = await launchChromium(t, sys)

t.test('a page whose stream a newer one replaced says so and stays quiet', async (t) => {
  const { page, errors } = await newPage(t, browser)
  await signInAtA(page, sys)
  await page.goto(sys.console.url + '/')
  await page.waitForFunction(() => document.querySelector('.status')?.textContent === '实时连接', undefined, { timeout: 10_000 })
  let reconnects = 0
  page.on('request', (request) => { if (new URL(request.url()).pathname === '/api/events') reconnects++ })

  // Five more streams of the same agent (other tabs, another browser): the page's, the oldest, is closed.
  const alice = new Agent()
  await alice.signIn(sys)
  const others: EventStream[] = []
  for (let i = 0; i < 5; i++) {
    const s = await openStream(sys, alice)
    t.teardown(s.close)
    await s.nextOf('hello')
    others.push(s)
  }
  await page.waitForFunction(() => document.querySelector('.status')?.textContent === '实时更新已转到较新的标签页，此页已暂停（刷新可恢复）', undefined, { timeout: 5000 })
  t.ok(await page.locator('.status.offline').count() === 1, 'shown as not live')
  // EventSource would reconnect after its retry (2 s) and close the oldest of the others.
  await t.rejects(others[0]!.nextOf('replaced', 3500), /no event in time/, 'no other stream is closed by a reconnection')
  t.equal(reconnects, 0, 'the page did not reconnect')
  t.same(errors, [])
})
