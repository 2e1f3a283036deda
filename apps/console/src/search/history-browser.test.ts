/// <reference lib="dom" />
// Issue 11 in Chromium: the reports page with data (screenshots kept; readable at both sizes), search from the keyboard opening a
// conversation at the message found, and a customer's picture still shown after WeChat forgot it.
import { mkdirSync } from 'node:fs'
import t from 'tap'
import { type Page } from 'playwright-core'
import { APPS, startConsoleSystem } from '../../test/helper.js'
import { launchChromium, newPage, signInAtA } from '../../test/chromium.js'

const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url).pathname
mkdirSync(ARTIFACTS, { recursive: true })
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63fcffff3f0005fe02fea7d6a5000000000049454e44ae426082', 'hex')

const sys = await startConsoleSystem(t, { label: 'history_browser', aHost: 'a.kefu.test', consoleHost: 'console.kefu.test', history: { catchUpLagMs: 0 } })
const [SAFE, PLAIN] = APPS.map((a) => a.appid) as [string, string]
await sys.prisma.agent.create({ data: { username: 'alice', role: 'admin' } })

const browser = await launchChromium(t, sys)

async function signIn (page: Page): Promise<void> {
  await signInAtA(page, sys)
  await page.goto(sys.console.url + '/')
  await page.waitForSelector('#agent', { timeout: 10_000 })
}

// A week of work: customers write every day, agents answer after a while and resolve some conversations.
const DAY = 86_400_000
const now = Date.now()
let seq = 0
for (let d = 6; d >= 0; d--) {
  for (let i = 0; i < 3 + ((d * 5) % 7); i++) {
    const appId = i % 3 === 0 ? PLAIN : SAFE
    const openid = `o_week_${d}_${i}`
    const at = now - d * DAY - 3 * 3600_000 + i * 600_000
    await sys.prisma.customerMessage.create({
      data: { appId, dedupeKey: `m:week${++seq}`, openid, toUsername: 'gh_x', fromUsername: openid, msgType: 'text', msgInfo: JSON.stringify({ text: i % 2 === 0 ? '我要退款' : '什么时候发货？' }), payload: '{}', format: 'json', wechatCreateTime: BigInt(Math.floor(at / 1000)) }
    })
    if (i % 4 !== 3) {
      await sys.prisma.outboundMessage.create({
        data: { appId, openid, agent: ['alice', 'bob', 'carol'][i % 3]!, msgType: 'text', content: '{"msgtype":"text","text":{"content":"好的，马上处理"}}', status: 'sent', createdAt: new Date(at + (1 + ((i * 7 + d) % 12)) * 60_000) }
      })
    }
    if (i % 2 === 0) await sys.prisma.conversationActivity.create({ data: { appId, openid, kind: 'status', actor: 'alice', fromValue: 'open', toValue: 'resolved', createdAt: new Date(at + 40 * 60_000 + d * 300_000) } })
  }
}
await sys.worker.app.history.catchUp()
await sys.prisma.replyBlockedHourly.create({ data: { hour: new Date(Math.floor((now - DAY) / 3600_000) * 3600_000), appId: SAFE, agent: 'bob', reason: 'closed', count: 2 } })

t.test('the reports page: charts and tables of the week, at 1280×800 and phone width, driven by the keyboard', async (t) => {
  const { page, errors } = await newPage(t, browser, { acceptDownloads: true })
  await signIn(page)
  await page.waitForSelector('#open-reports:not([hidden])')
  await page.click('#open-reports')
  await page.waitForURL(/\/reports$/)
  t.equal(await page.locator('svg.chart').count(), 3, 'three charts')
  t.match(await page.textContent('h1'), /团队报表/)
  t.match(await page.textContent('.tables'), /alice/)
  const conversations = await page.locator('.kpis li').first().textContent()
  t.match(conversations, /会话\s*\d+/)
  await page.screenshot({ path: ARTIFACTS + 'reports-1280.png', fullPage: true })

  // Keyboard alone: Tab to the first date, type a day, submit with Enter; the address carries the range.
  await page.keyboard.press('Tab')
  await page.keyboard.press('Tab')
  t.equal(await page.evaluate(() => (document.activeElement as HTMLInputElement).name), 'from', 'Tab reaches the range')
  const day = new Date(now - 2 * DAY + 8 * 3600_000).toISOString().slice(0, 10)
  await page.fill('input[name=from]', day)
  await page.focus('input[name=from]')
  await page.keyboard.press('Enter')
  await page.waitForURL(new RegExp(`from=${day}`))
  t.match(await page.textContent('.range'), new RegExp(day))
  const csv = await page.getAttribute('a[download]', 'href')
  t.match(csv, new RegExp(`/api/reports.csv\\?from=${day}`))
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('a[download]')])
  const file = (await import('node:fs')).readFileSync((await download.path())!, 'utf8')
  t.match(download.suggestedFilename(), /^kefu-report-.*\.csv$/)
  t.match(file, /^\ufeffscope,mini_program_or_agent,day/)

  await page.setViewportSize({ width: 390, height: 844 })
  await page.goto(sys.console.url + '/reports')
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
  t.equal(overflow, 0, 'nothing wider than a phone (tables scroll inside their box)')
  await page.screenshot({ path: ARTIFACTS + 'reports-phone-390.png', fullPage: true })
  t.same(errors, [])
})

t.test('the reports read at 390×844 and 1280×800: chart text ≥ 11 px, legends apart, tables inside their box, theme colours', async (t) => {
  const { page, errors } = await newPage(t, browser)
  await signIn(page)
  for (const [width, height] of [[1280, 800], [390, 844]] as const) {
    await page.setViewportSize({ width, height })
    await page.goto(sys.console.url + '/reports')
    await page.waitForSelector('svg.chart')
    const seen = await page.evaluate(() => {
      const box = (el: Element): DOMRect => el.getBoundingClientRect()
      const apart = (els: Element[]): boolean => els.every((a, i) => els.slice(i + 1).every((b) => {
        const p = box(a)
        const q = box(b)
        return p.right <= q.left || q.right <= p.left || p.bottom <= q.top || q.bottom <= p.top
      }))
      // An SVG text's size on screen: its font size times the viewBox's scale.
      const size = (el: Element): number => parseFloat(getComputedStyle(el).fontSize) * (el instanceof SVGGraphicsElement ? el.getScreenCTM()!.a : 1)
      const figures = [...document.querySelectorAll('.charts figure')].map((f) => ({
        smallest: Math.min(...[...f.querySelectorAll('text, .legend li')].map(size)),
        legend: f.querySelectorAll('.legend li').length,
        legendApart: apart([...f.querySelectorAll('.legend li')]),
        ticksApart: apart([...f.querySelectorAll('text')])
      }))
      const region = document.querySelector('.tables')!
      const main = document.querySelector('main.report')!
      return {
        figures,
        overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        regionInside: box(region).right <= box(main).right - parseFloat(getComputedStyle(main).paddingRight) + 0.5,
        tablesFit: region.scrollWidth <= region.clientWidth
      }
    })
    t.equal(seen.figures.length, 3, `${width}: three charts`)
    for (const [i, f] of seen.figures.entries()) {
      t.ok(f.smallest >= 11, `${width}: chart ${i + 1}'s axis and legend text is ${f.smallest.toFixed(1)} px on screen (≥ 11)`)
      t.ok(f.legend >= 2, `${width}: chart ${i + 1} has an HTML legend, one entry a series`)
      t.ok(f.legendApart, `${width}: chart ${i + 1}'s legend entries do not overlap`)
      t.ok(f.ticksApart, `${width}: chart ${i + 1}'s axis labels do not overlap`)
    }
    t.equal(seen.overflow, 0, `${width}: no horizontal scrolling of the page`)
    t.ok(seen.regionInside, `${width}: the tables' box ends inside the page's column`)
    if (width === 1280) t.ok(seen.tablesFit, '1280: the tables fit their box (no scrolling inside it at 1280)')
  }
  // The series' colours are the theme's: the dark theme draws them lighter.
  const fill = async (): Promise<string> => await page.evaluate(() => getComputedStyle(document.querySelector('svg.chart rect')!).fill)
  const light = await fill()
  await page.emulateMedia({ colorScheme: 'dark' })
  t.not(await fill(), light, 'the bars take the dark theme\'s colour')
  t.same(errors, [])
})

t.test('search from the keyboard opens the conversation at the message; a picture stays after WeChat forgot it', async (t) => {
  const mediaId = sys.fake.addMedia(SAFE, PNG, 'image/png', 'dot.png', 'media_browser_1')
  await sys.push(SAFE, 'text', { from: 'o_search_1', content: '第一条：你好' })
  await sys.push(SAFE, 'text', { from: 'o_search_1', content: '订单 DD7788991 想申请退款' })
  await sys.push(SAFE, 'image', { from: 'o_search_1', content: mediaId })
  await sys.push(SAFE, 'text', { from: 'o_search_1', content: '最后一条' })
  for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
    const row = await sys.prisma.storedMedia.findUnique({ where: { appId_mediaId: { appId: SAFE, mediaId } } })
    const indexed = await sys.prisma.messageSearch.count({ where: { openid: 'o_search_1' } })
    if (row?.status === 'stored' && indexed === 4) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  sys.fake.forgetMedia(mediaId)

  const { page, errors } = await newPage(t, browser)
  await signIn(page)
  await page.waitForFunction(() => document.querySelector('.status')?.textContent === '实时连接', undefined, { timeout: 10_000 })
  await page.keyboard.press('/')
  await page.waitForSelector('#search-dialog[open]')
  t.equal(await page.evaluate(() => document.activeElement?.id), 'search-q', '/ opens the search, focus in the box')
  await page.keyboard.type('7788')
  await page.keyboard.press('Enter')
  const hit = page.locator('.search-hit').first()
  await hit.waitFor()
  t.equal(await page.locator('.search-hit').count(), 1)
  t.match(await hit.textContent(), /订单 DD7788991 想申请退款/)
  await page.screenshot({ path: ARTIFACTS + 'search-1280.png' })
  await hit.focus()
  await page.keyboard.press('Enter')
  await page.waitForSelector('.msg.found')
  t.match(await page.textContent('.msg.found'), /DD7788991/, 'the conversation opens at the message found, marked')
  t.match(await page.textContent('.timeline'), /第一条：你好/, 'with its neighbours')
  const img = page.locator('.timeline img').first()
  await img.waitFor()
  await page.waitForFunction(() => { const i = document.querySelector('.timeline img') as HTMLImageElement | null; return i !== null && i.complete })
  t.ok(await img.evaluate((i: HTMLImageElement) => i.naturalWidth > 0), 'the customer\'s picture shows, though WeChat no longer has it')
  t.same(errors, [])
})
