/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Issue 23's review, the rest of it in Chromium: the timeline keeps its room beside the subscribe form, search marks
// what matched, the phone's reply box leaves the header in place, signing out takes customers' messages off the
// screen, and axe-core on every view (reports, mini programs, administration, header menus) at 1280×800 and 390×844.
import t from 'tap'
import { type BrowserContext, type Page } from 'playwright-core'
import { Agent, appsWithTemplates, ORDER_TEMPLATE, startConsoleSystem } from '../../test/helper.js'
import { checkAccessible, launchChromium, signInAtA } from '../../test/chromium.js'

const ORDER = ORDER_TEMPLATE.templateId
const apps = appsWithTemplates(1, [ORDER_TEMPLATE])
const sys = await startConsoleSystem(t, { label: 'console_review_browser', aHost: 'a.kefu.test', consoleHost: 'console.kefu.test', apps, history: { catchUpLagMs: 0 }, worker: { autoAssignSweepMs: 0 } })
const SAFE = apps[0]!.appid
// alice administers and owns: every view is hers to open.
await sys.prisma.agent.upsert({ where: { username: 'alice' }, create: { username: 'alice', role: 'admin', owner: true }, update: { role: 'admin', owner: true } })

const browser = await launchChromium(t, sys)
const scriptErrors: string[] = []

/** alice's console in a context of its own, open at `openid`'s conversation when given. */
async function consoleOf (t: { teardown: (fn: () => unknown) => void }, opts: { width?: number, height?: number, openid?: string, dark?: boolean } = {}): Promise<{ context: BrowserContext, page: Page }> {
  const context = await browser.newContext({ viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 }, locale: 'zh-CN', colorScheme: opts.dark === true ? 'dark' : 'light' })
  t.teardown(() => context.close())
  const page = await context.newPage()
  page.on('pageerror', (err) => scriptErrors.push(err.message))
  await signInAtA(page, sys)
  await page.goto(sys.console.url + '/' + (opts.openid === undefined ? '' : `?c=${SAFE}/${opts.openid}`))
  await page.waitForFunction(() => document.querySelector('.status')?.textContent === '实时连接', undefined, { timeout: 15_000 })
  if (opts.openid !== undefined) await page.waitForSelector('.timeline .msg', { timeout: 10_000 })
  return { context, page }
}

/** A conversation whose five replies are used up and whose customer accepted ORDER once: the subscribe form offers. */
async function usedUp (openid: string): Promise<void> {
  await sys.push(SAFE, 'text', { from: openid, content: '到哪了' })
  sys.fake.grantSubscription(SAFE, openid, ORDER, 1)
  await sys.push(SAFE, 'subscribe_msg_popup_event', { from: openid, items: [{ templateId: ORDER }] })
  const alice = new Agent()
  await alice.signIn(sys)
  for (let i = 0; i < 5; i++) t.equal((await alice.api(sys, 'POST', `/api/conversations/${SAFE}/${openid}/messages`, { type: 'text', text: `第 ${i + 1} 条回复` })).status, 201)
}

t.test('with the subscribe form open at 1280×800, the timeline keeps room for several messages', async (t) => {
  const USER = 'oFormRoomUser00000000000001'
  await usedUp(USER)
  const { page } = await consoleOf(t, { openid: USER })
  await page.locator(`.subscribe-offer[data-template="${ORDER}"]`).click()
  await page.waitForSelector('#subscribe-form:not([hidden])')
  const height = await page.locator('.timeline').evaluate((e) => e.clientHeight)
  t.ok(height >= 200, `the timeline is ${height} px tall`)
  t.ok(await page.locator('#subscribe-send').isVisible(), 'the form is still there to send (it scrolls)')
  await page.screenshot({ path: new URL('../../test-artifacts/review-subscribe-form-1280.png', import.meta.url).pathname })
})

t.test('search results mark what matched, as text', async (t) => {
  const USER = 'oSearchMarkUser000000000001'
  await sys.push(SAFE, 'text', { from: USER, content: '我想退货，<b>退货</b>地址在哪' })
  await sys.worker.app.history.catchUp()
  const { page } = await consoleOf(t)
  await page.locator('#open-search').click()
  await page.locator('#search-q').fill('退货')
  await page.keyboard.press('Enter')
  await page.waitForSelector('.search-hit', { timeout: 10_000 })
  const hit = page.locator('.search-hit .hit-text').first()
  t.same(await hit.locator('mark').allTextContents(), ['退货', '退货'], 'both matches are marked')
  t.equal(await hit.textContent(), '我想退货，<b>退货</b>地址在哪', 'the text as written, markup shown, not obeyed')
  t.equal(await hit.locator('b').count(), 0)
})

t.test('on a phone, focusing the reply box keeps the conversation’s header in view', async (t) => {
  const USER = 'oPhoneFocusUser000000000001'
  for (let i = 0; i < 12; i++) await sys.push(SAFE, 'text', { from: USER, content: `第 ${i + 1} 条消息` })
  const { page } = await consoleOf(t, { width: 390, height: 844, openid: USER })
  await page.locator('#reply-text').focus()
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))))
  const head = await page.locator('.chat-head').boundingBox()
  const box = await page.locator('#reply-text').boundingBox()
  t.ok(head !== null && head.y >= 0, `the header is in view (top at ${head?.y ?? '?'} px)`)
  t.ok(box !== null && box.y + box.height <= 844, 'and so is the reply box')
  t.equal(await page.evaluate(() => window.scrollY), 0, 'the page itself did not scroll')
  await page.screenshot({ path: new URL('../../test-artifacts/review-phone-focus-390.png', import.meta.url).pathname })
})

t.test('signing out at A takes the customers’ messages off the console', async (t) => {
  const USER = 'oSignOutUser000000000000001'
  await sys.push(SAFE, 'text', { from: USER, content: '我的手机号是 13800000000' })
  const { context, page } = await consoleOf(t, { openid: USER })
  await page.waitForSelector('.msg.in >> text=13800000000')
  const a = await context.newPage()
  await a.goto(sys.a.url + '/')
  await a.locator('#logout').focus()
  await a.keyboard.press('Enter')
  await a.waitForURL(/\/login\?signed_out=1$/)
  await page.waitForFunction(() => document.documentElement.dataset.session === 'ended', undefined, { timeout: 20_000 })
  t.notMatch(await page.evaluate(() => document.body.innerText), /13800000000/, 'the message is gone')
  t.equal(await page.locator('.timeline .msg').count(), 0)
  t.equal(await page.locator('[data-conversation]').count(), 0, 'and the list of conversations')
})

t.test('axe-core finds no serious or critical violation in search results, the reports, the mini programs, administration and the header menus, at 1280×800, 390×844 and dark', async (t) => {
  const USER = 'oAxeReviewUser0000000000001'
  await sys.push(SAFE, 'text', { from: USER, content: '你好，请问几点发货' })
  await sys.worker.app.history.catchUp()
  for (const [width, height, dark] of [[1280, 800, false], [390, 844, false], [1280, 800, true]] as const) {
    const size = `${width}×${height}${dark ? ', dark' : ''}`
    const { page } = await consoleOf(t, { width, height, dark })
    await page.locator('#open-search').click()
    await page.locator('#search-q').fill('发货')
    await page.keyboard.press('Enter')
    await page.waitForSelector('.search-hit mark', { timeout: 10_000 })
    await checkAccessible(t, page, `search results, matches marked (${size})`)
    await page.locator('#search-dialog form[method=dialog] button').click()
    for (const menu of ['#notification-settings > summary', '#mentions-summary', 'header details.menu:not(#notification-settings, #mentions-menu) > summary']) {
      await page.locator(menu).click()
      await checkAccessible(t, page, `a header menu (${size})`)
      await page.keyboard.press('Escape')
    }
    await page.locator('#open-admin').click()
    await page.waitForSelector('dialog[open]')
    await checkAccessible(t, page, `administration (${size})`)
    await page.keyboard.press('Escape')
    await page.goto(sys.console.url + '/reports')
    await page.waitForSelector('.tables table')
    await checkAccessible(t, page, `the reports (${size})`)
    const region = await page.locator('.tables').evaluate((e) => ({ tabindex: e.getAttribute('tabindex'), name: e.getAttribute('aria-labelledby') ?? e.getAttribute('aria-label'), role: e.getAttribute('role') }))
    t.equal(region.tabindex, '0', 'the tables scroll by keyboard')
    t.ok(region.name !== null && region.name !== '', 'and have a name')
    await page.goto(sys.console.url + '/mini-programs')
    await page.waitForSelector('h1')
    await checkAccessible(t, page, `the mini programs (${size})`)
  }
})

t.test('in English at 1280×800 the header, the conversation bar and the view tabs stay on one line each', async (t) => {
  const USER = 'oEnglishLineUser00000000001'
  await sys.push(SAFE, 'text', { from: USER, content: 'hello' })
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' })
  t.teardown(() => context.close())
  const page = await context.newPage()
  page.on('pageerror', (err) => scriptErrors.push(err.message))
  await signInAtA(page, sys)
  await page.goto(`${sys.console.url}/?c=${SAFE}/${USER}`)
  await page.waitForFunction(() => document.querySelector('.status')?.textContent === 'Live', undefined, { timeout: 15_000 })
  await page.waitForSelector('.timeline .msg')
  const rows = (selector: string): Promise<number> => page.locator(selector).evaluate((box) => new Set([...box.children]
    .filter((c) => getComputedStyle(c).display !== 'none')
    .map((c) => Math.round(c.getBoundingClientRect().top + c.getBoundingClientRect().height / 2) >> 4)).size)
  t.equal(await rows('header.top'), 1, 'the header is one line')
  t.equal(await rows('.conv-bar'), 1, 'the conversation bar is one line')
  t.equal(await rows('.chat-head'), 1, 'the conversation’s head is one line')
  const wrapped = await page.locator('.views [role=tab]').evaluateAll((tabs) => tabs.filter((tab) => {
    const range = document.createRange()
    range.selectNodeContents(tab)
    return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size > 1
  }).map((tab) => tab.textContent))
  t.same(wrapped, [], 'each view’s tab is one line, its count beside its name')
  t.ok(await page.locator('.views').evaluate((v) => v.scrollWidth <= v.clientWidth && [...v.children].every((tab) => tab.scrollWidth <= tab.clientWidth)), 'and fits')
  await page.screenshot({ path: new URL('../../test-artifacts/review-english-1280.png', import.meta.url).pathname })
})

t.test('no script errors', async (t) => {
  t.same(scriptErrors, [])
})
