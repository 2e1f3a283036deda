/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Issue 23's defects in Chromium, one subtest each: what is hidden stays hidden, messages that say how things went,
// the newest message in view, the English UI's wording, the customer panel's counts and subscribe wording, Escape and
// focus, and axe-core on the main views at 1280×800 and 390×844.
import t from 'tap'
import { mkdirSync } from 'node:fs'
import { type BrowserContext, type Page } from 'playwright-core'
import { addAgent, Agent, appsWithTemplates, ORDER_TEMPLATE, startConsoleSystem } from '../../test/helper.js'
import { checkAccessible, contrast, launchChromium, signInAtA } from '../../test/chromium.js'
import { solidPng } from '../../test/png.js'

const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url).pathname
mkdirSync(ARTIFACTS, { recursive: true })

/** A 600×400 picture: a customer's photo, as tall on screen as the timeline lets pictures be. */
const PICTURE = solidPng(600, 400, 0x5a)

const ORDER = ORDER_TEMPLATE.templateId
const apps = appsWithTemplates(1, [ORDER_TEMPLATE])
const sys = await startConsoleSystem(t, { label: 'console_finish_browser', aHost: 'a.kefu.test', consoleHost: 'console.kefu.test', apps, worker: { autoAssignSweepMs: 0 } })
const SAFE = apps[0]!.appid
await addAgent(sys, 'bob', [SAFE])

const browser = await launchChromium(t, sys)
const scriptErrors: string[] = []

/** alice's console in a context of its own (`locale`, viewport), open at `openid`'s conversation when given. */
async function consoleOf (t: { teardown: (fn: () => unknown) => void }, opts: { locale?: string, width?: number, height?: number, openid?: string, dark?: boolean } = {}): Promise<{ context: BrowserContext, page: Page }> {
  const context = await browser.newContext({ viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 }, locale: opts.locale ?? 'zh-CN', colorScheme: opts.dark === true ? 'dark' : 'light' })
  t.teardown(() => context.close())
  const page = await context.newPage()
  page.on('pageerror', (err) => scriptErrors.push(err.message))
  await signInAtA(page, sys)
  await page.goto(sys.console.url + '/' + (opts.openid === undefined ? '' : `?c=${SAFE}/${opts.openid}`))
  await page.waitForFunction(() => ['实时连接', 'Live'].includes(document.querySelector('.status')?.textContent ?? ''), undefined, { timeout: 15_000 })
  if (opts.openid !== undefined) await page.waitForSelector('.timeline .msg', { timeout: 10_000 })
  return { context, page }
}

/** Elements marked `hidden` that are rendered anyway (a CSS `display` wins over the attribute without a global rule). */
const shownThoughHidden = (page: Page): Promise<string[]> => page.evaluate(() => [...document.querySelectorAll('[hidden]')]
  .filter((e) => getComputedStyle(e).display !== 'none')
  .map((e) => e.id !== '' ? '#' + e.id : e.tagName.toLowerCase() + '.' + [...e.classList].join('.')))

t.test('what is marked hidden is not shown: the empty subscribe panel, hand-over controls of a colleague’s conversation', async (t) => {
  const USER = 'oHiddenUser0000000000000001'
  await sys.push(SAFE, 'text', { from: USER, content: '你好' })
  await sys.prisma.conversation.update({ where: { appId_openid: { appId: SAFE, openid: USER } }, data: { assignee: 'bob' } })
  const { page } = await consoleOf(t, { openid: USER })
  await page.waitForSelector('#assignee >> text=bob')
  t.equal(await page.locator('#subscribe').isVisible(), false, 'the window is open: no subscribe heading')
  t.equal(await page.locator('#hand-to').isVisible(), false, 'alice may not hand over bob’s conversation')
  t.same(await shownThoughHidden(page), [], 'every element marked hidden is not displayed')
})

t.test('a success reads as one (role=status, success style), a failure as an alert, in words an agent understands', async (t) => {
  const USER = 'oOutcomeUser000000000000001'
  await sys.push(SAFE, 'text', { from: USER, content: '在吗' })
  const { page } = await consoleOf(t, { openid: USER })
  const colorOf = (selector: string): Promise<string> => page.locator(selector).evaluate((e) => getComputedStyle(e).color)

  await page.locator('#customer-tags').focus()
  await page.keyboard.type('VIP, ' + '很长的标签'.repeat(7))
  await page.keyboard.press('Enter')
  const alert = page.locator('#customer-status [role=alert]')
  await page.waitForFunction(() => (document.querySelector('#customer-status [role=alert]')?.textContent ?? '') !== '', undefined, { timeout: 5000 })
  t.match(await alert.textContent(), /^标签“很长的标签.*”太长：每个标签最多 32 个字$/, 'a readable line, not the schema’s')
  t.equal(await page.textContent('#customer-status [role=status]'), '')
  t.same((await sys.prisma.conversation.findUniqueOrThrow({ where: { appId_openid: { appId: SAFE, openid: USER } } })).tags, [], 'nothing stored')

  await page.locator('#customer-tags').fill('VIP, 退货')
  await page.locator('#customer-tags').press('Enter')
  await page.waitForSelector('#customer-status [role=status] >> text=已保存', { timeout: 5000 })
  t.equal(await alert.textContent(), '', 'the error is gone')
  t.equal(await colorOf('#customer-status [role=status]'), 'rgb(26, 127, 55)', 'in the success color')
  t.equal(await colorOf('#customer-status [role=alert]'), 'rgb(180, 35, 24)', 'errors in the error color')

  // bob took it meanwhile (no live update reached alice's page): her claim is refused, as an alert.
  await sys.prisma.conversation.update({ where: { appId_openid: { appId: SAFE, openid: USER } }, data: { assignee: 'bob' } })
  await page.locator('#claim').click()
  await page.waitForSelector('#bar-notice [role=alert] >> text=bob 已接手此会话', { timeout: 5000 })
  t.equal(await page.textContent('#bar-notice [role=status]'), '')
})

t.test('opening a conversation shows its newest message, also when its pictures load after the scroll', async (t) => {
  const USER = 'oPictureUser000000000000001'
  for (let i = 0; i < 4; i++) {
    await sys.push(SAFE, 'text', { from: USER, content: `第 ${i + 1} 张照片` })
    await sys.push(SAFE, 'image', { from: USER, content: sys.fake.addMedia(SAFE, PICTURE, 'image/png', `p${i}.png`, `media_finish_${i}`) })
  }
  await sys.push(SAFE, 'text', { from: USER, content: '最新的一条消息' })
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' })
  t.teardown(() => context.close())
  // The pictures arrive well after the conversation was drawn and scrolled.
  await context.route('**/api/media/**', async (route) => { await new Promise((resolve) => setTimeout(resolve, 400)); await route.continue() })
  const page = await context.newPage()
  page.on('pageerror', (err) => scriptErrors.push(err.message))
  await signInAtA(page, sys)
  await page.goto(`${sys.console.url}/?c=${SAFE}/${USER}`)
  await page.waitForSelector('.msg.in >> text=最新的一条消息', { timeout: 10_000 })
  // Bounded: the pictures near the end have loaded and the timeline sits at its end.
  await page.waitForFunction(() => {
    const timeline = document.querySelector('.timeline')!
    const loaded = [...timeline.querySelectorAll('img')].filter((img) => img.complete && img.naturalHeight > 0)
    return loaded.length >= 2
  }, undefined, { timeout: 10_000 })
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))))
  const gap = await page.locator('.timeline').evaluate((e) => e.scrollHeight - e.scrollTop - e.clientHeight)
  t.ok(gap < 2, `the newest message is in view (${gap} px below the end)`)
  const last = await page.locator('.msg.in >> text=最新的一条消息').boundingBox()
  const box = await page.locator('.timeline').boundingBox()
  t.ok(last !== null && box !== null && last.y + last.height <= box.y + box.height + 1, 'its bottom is inside the timeline')
  await page.screenshot({ path: ARTIFACTS + 'finish-pictures-newest-1280.png' })
})

t.test('English says “1 reply”; a long preview ends in “…”; no rule breaks words anywhere', async (t) => {
  const USER = 'oWordingUser000000000000001'
  await sys.push(SAFE, 'text', { from: USER, content: 'Hello, I ordered a mechanical keyboard last week and would like to know when it ships to Shanghai' })
  const alice = new Agent()
  await alice.signIn(sys)
  for (let i = 0; i < 4; i++) t.equal((await alice.api(sys, 'POST', `/api/conversations/${SAFE}/${USER}/messages`, { type: 'text', text: `reply ${i}` })).status, 201)
  const { page } = await consoleOf(t, { locale: 'en-US', openid: USER })
  await page.waitForFunction(() => / from the customer/.test(document.querySelector('.customer-panel .facts')?.textContent ?? ''), undefined, { timeout: 5000 })
  t.match(await page.textContent('#window-info'), /^1 reply left, window closes at /)
  t.match(await page.textContent('.customer-panel .facts'), /from the customer · 4 replies/)

  const cut = await page.locator(`[data-conversation="${SAFE}/${USER}"] .conv-preview`).evaluate((preview) => {
    const text = [...preview.querySelectorAll('*')].find((e) => /mechanical keyboard/.test(e.textContent ?? '') && e.children.length === 0) as HTMLElement
    const style = getComputedStyle(text)
    return { truncated: text.scrollWidth > text.clientWidth, textOverflow: style.textOverflow, inside: text.getBoundingClientRect().right <= preview.getBoundingClientRect().right + 1 }
  })
  t.same(cut, { truncated: true, textOverflow: 'ellipsis', inside: true }, 'the preview is cut with “…” inside its row')

  const breaking = await page.evaluate(() => [...document.styleSheets].flatMap((sheet) => [...sheet.cssRules])
    .flatMap((rule) => rule instanceof CSSMediaRule ? [...rule.cssRules] : [rule])
    .filter((rule) => rule instanceof CSSStyleRule && rule.style.wordBreak === 'break-all')
    .map((rule) => (rule as CSSStyleRule).selectorText))
  t.same(breaking, [], 'no word-break: break-all')
})

t.test('the customer panel counts messages, not events, and follows them live; templates by title; subscribe wording says why', async (t) => {
  const TITLED = 'oTitledUser0000000000000001'
  const USED = 'oUsedUpUser0000000000000001'
  let clock = Math.floor(Date.now() / 1000) - 60
  await sys.push(SAFE, 'text', { from: TITLED, content: '有货吗', createTime: clock++ })
  sys.fake.grantSubscription(SAFE, TITLED, ORDER, 1)
  await sys.push(SAFE, 'subscribe_msg_popup_event', { from: TITLED, createTime: clock++, items: [{ templateId: ORDER }] })

  // USED: accepted once and sent once; then the window's five replies all sent.
  await sys.push(SAFE, 'text', { from: USED, content: '到哪了', createTime: clock++ })
  sys.fake.grantSubscription(SAFE, USED, ORDER, 1)
  await sys.push(SAFE, 'subscribe_msg_popup_event', { from: USED, createTime: clock++, items: [{ templateId: ORDER }] })
  const alice = new Agent()
  await alice.signIn(sys)
  const sent = await alice.api(sys, 'POST', `/api/conversations/${SAFE}/${USED}/subscribe-messages`, { templateId: ORDER, fields: { character_string1: 'SN-1', thing2: '键盘', phrase3: '已发货' } })
  t.equal(sent.status, 201, 'the one acceptance is used')
  for (let i = 0; i < 5; i++) t.equal((await alice.api(sys, 'POST', `/api/conversations/${SAFE}/${USED}/messages`, { type: 'text', text: `第 ${i + 1} 条回复` })).status, 201)

  const { page } = await consoleOf(t, { openid: TITLED })
  const facts = (): Promise<string> => page.textContent('.customer-panel .facts').then((s) => s ?? '')
  await page.waitForFunction(() => /客户 \d+ 条/.test(document.querySelector('.customer-panel .facts')?.textContent ?? ''), undefined, { timeout: 5000 })
  t.match(await facts(), /客户 1 条 · 回复 0 条/, 'the acceptance is an event, not a message')
  await page.waitForSelector('.msg.event >> text=客户同意接收订阅消息「订单状态提醒」', { timeout: 5000 })
  t.notMatch(await page.textContent('.timeline'), ORDER, 'the template by its title while the window is open')
  await page.waitForFunction((key) => /订单状态提醒/.test(document.querySelector(`[data-conversation="${key}"] .conv-preview`)?.textContent ?? ''), `${SAFE}/${USED}`, { timeout: 5000 })
  t.pass('and by its title in the list’s previews')

  await sys.push(SAFE, 'text', { from: TITLED, content: '还在吗' })
  await page.waitForFunction(() => /客户 2 条 · 回复 0 条/.test(document.querySelector('.customer-panel .facts')?.textContent ?? ''), undefined, { timeout: 5000 })
  t.pass('the customer’s new message is counted, live')
  await page.locator('#reply-text').fill('在的')
  await page.locator('#reply-text').press('Enter')
  await page.waitForFunction(() => /客户 2 条 · 回复 1 条/.test(document.querySelector('.customer-panel .facts')?.textContent ?? ''), undefined, { timeout: 5000 })
  t.pass('and the reply')

  await page.locator(`[data-conversation="${SAFE}/${USED}"]`).click()
  await page.waitForSelector('#subscribe:not([hidden])', { timeout: 5000 })
  t.match(await page.textContent('#window-info'), /本窗口回复条数已用完/)
  t.match(await page.textContent('#subscribe-notice'), /^本窗口可回复的 5 条消息已用完/, 'the 5-reply limit ran out, not the 48 hours')
  t.notMatch(await page.textContent('#subscribe-notice'), /48 小时/)
  t.equal(await page.textContent(`.subscribe-offer[data-template="${ORDER}"]`), '订单状态提醒：客户同意的次数已用完', 'accepted, and used up: not “not accepted”')
  await page.screenshot({ path: ARTIFACTS + 'finish-subscribe-used-up-1280.png' })
})

t.test('header menus close on Escape; on a phone the customer panel opens without focusing a field', async (t) => {
  const USER = 'oKeyboardUser00000000000001'
  await sys.push(SAFE, 'text', { from: USER, content: '你好' })
  const { page } = await consoleOf(t, { openid: USER })
  // Escape from a control inside the menu (notifications' first checkbox), and from the summary itself (colleagues).
  for (const [summary, tabs] of [['#notification-settings > summary', 1], ['header details.menu:not(#notification-settings, #mentions-menu) > summary', 0]] as const) {
    await page.locator(summary).focus()
    await page.keyboard.press('Enter')
    t.equal(await page.locator(summary).evaluate((s) => (s.parentElement as HTMLDetailsElement).open), true, 'Enter opens the menu')
    for (let i = 0; i < tabs; i++) await page.keyboard.press('Tab')
    await page.keyboard.press('Escape')
    t.equal(await page.locator(summary).evaluate((s) => (s.parentElement as HTMLDetailsElement).open), false, 'Escape closes it')
    t.equal(await page.locator(summary).evaluate((s) => document.activeElement === s), true, 'focus back on its summary')
  }

  await page.setViewportSize({ width: 390, height: 844 })
  await page.locator('#toggle-customer').focus()
  await page.keyboard.press('Enter')
  await page.waitForFunction(() => document.body.classList.contains('panel-open'))
  t.equal(await page.evaluate(() => document.activeElement?.id), 'customer-title', 'focus on the panel’s heading, not the tags')
  await page.keyboard.press('Escape')
  t.equal(await page.evaluate(() => document.body.classList.contains('panel-open')), false)
  t.equal(await page.evaluate(() => document.activeElement?.id), 'toggle-customer')
})

t.test('axe-core finds no serious or critical violation in the main views, at 1280×800 and 390×844', async (t) => {
  const USER = 'oAxeUser0000000000000000001'
  await sys.push(SAFE, 'text', { from: USER, content: '你好，我想退货' })
  await sys.push(SAFE, 'text', { from: USER, content: '订单号 SN-0042' })
  for (const [width, height, dark] of [[1280, 800, false], [390, 844, false], [1280, 800, true]] as const) {
    const size = `${width}×${height}${dark ? ', dark' : ''}`
    const { page } = await consoleOf(t, { width, height, dark })
    await page.waitForSelector(`[data-conversation="${SAFE}/${USER}"]`)
    await checkAccessible(t, page, `the conversation list (${size})`)
    await page.locator(`[data-conversation="${SAFE}/${USER}"]`).click()
    await page.waitForSelector('.msg.in >> text=订单号 SN-0042')
    await page.waitForFunction(() => /\d/.test(document.querySelector('.customer-panel .facts')?.textContent ?? ''))
    await checkAccessible(t, page, `a conversation (${size})`)
    await page.locator('#reply-text').fill('/')
    await page.locator('#reply-text').dispatchEvent('input')
    await page.waitForSelector('#qr-picker:not([hidden])')
    await checkAccessible(t, page, `the quick-reply picker (${size})`)
    await page.locator('#reply-text').fill('')
    await page.keyboard.press('Escape')
    if (width < 1100) {
      await page.locator('#toggle-customer').click()
      await checkAccessible(t, page, `the customer panel (${size})`)
      await page.keyboard.press('Escape')
    }
    // The subscribe panel and its form: a conversation whose five replies are used up.
    if (width < 721) await page.locator('.chat-head .back').click()
    await page.locator(`[data-conversation="${SAFE}/oUsedUpUser0000000000000001"]`).click()
    await page.waitForSelector('#subscribe:not([hidden])', { timeout: 5000 })
    await checkAccessible(t, page, `the subscribe panel (${size})`)
    await page.locator('#open-search').click()
    await page.waitForSelector('dialog[open]')
    await checkAccessible(t, page, `the search dialog (${size})`)
    await page.keyboard.press('Escape')
    await page.locator('#manage-quick-replies').click()
    await page.waitForSelector('dialog[open]')
    await checkAccessible(t, page, `the quick replies (${size})`)
    await page.keyboard.press('Escape')
  }
})

t.test('an empty Colleagues menu says why', async (t) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' })
  t.teardown(() => context.close())
  const page = await context.newPage()
  page.on('pageerror', (err) => scriptErrors.push(err.message))
  await signInAtA(page, sys, 'mallory')
  await page.goto(sys.console.url + '/')
  await page.waitForSelector('.empty', { timeout: 15_000 })
  const summary = page.locator('header details.menu:not(#notification-settings, #mentions-menu) > summary')
  await summary.focus()
  await page.keyboard.press('Enter')
  t.equal(await page.locator('#colleagues').textContent(), 'No other agent serves your mini programs yet; an administrator adds them under Admin.')
  t.ok(await page.locator('#colleagues').isVisible())
})

/** The header's height, and its controls as Tab reaches them (id or words) beside those shown, each with its name. */
const headerState = (page: Page): Promise<{ height: number, shown: Array<{ key: string, name: string, width: number }> }> => page.evaluate(() => {
  const header = document.querySelector('header.top')!
  const shown = [...header.querySelectorAll<HTMLElement>('button, a[href], select, summary')].filter((c) => c.getClientRects().length > 0)
    .map((c) => ({ key: c.id !== '' ? c.id : c.textContent!.trim(), name: (c.getAttribute('aria-label') ?? c.textContent ?? '').trim(), width: c.getBoundingClientRect().width }))
  return { height: header.getBoundingClientRect().height, shown }
})

t.test('the header: one row at 1280×800, two at most at 390×844, in English and Chinese; every control still reachable and named', async (t) => {
  await addAgent(sys, 'alice', [SAFE], { role: 'admin', owner: true })
  for (const locale of ['en-US', 'zh-CN']) {
    for (const [width, height, most] of [[1280, 800, 64], [390, 844, 100]] as const) {
      const { page } = await consoleOf(t, { locale, width, height })
      await page.waitForSelector('#open-mini-programs:not([hidden])')
      const { height: tall, shown } = await headerState(page)
      t.ok(tall <= most, `${locale} ${width}: the header is ${tall} px tall (at most ${most})`)
      t.equal(shown.length, 9, `${locale} ${width}: search, status, colleagues, notifications, mentions, admin, reports, mini programs, account`)
      t.same(shown.filter((c) => c.name === '' || c.width < 24), [], 'each has a name and room to be clicked')
      await page.evaluate(() => { (document.activeElement as HTMLElement | null)?.blur() })
      const reached: string[] = []
      for (let i = 0; i < 12; i++) {
        await page.keyboard.press('Tab')
        const key = await page.evaluate(() => { const a = document.activeElement as HTMLElement; return a.closest('header.top') === null ? null : (a.id !== '' ? a.id : a.textContent!.trim()) })
        if (key === null) break
        reached.push(key)
      }
      t.same(reached, shown.map((c) => c.key), 'Tab reaches each of them, in order')
      const names = locale === 'en-US' ? ['Search', 'Admin'] : ['搜索', '管理']
      for (const name of names) t.ok(await page.locator('header.top').getByRole('button', { name, exact: true }).isVisible(), `the button “${name}”`)
      t.ok(await page.locator('header.top').getByRole('link', { name: locale === 'en-US' ? 'Reports' : '报表', exact: true }).isVisible(), 'the reports link')
      t.equal(await page.getByRole('heading', { level: 1 }).textContent(), locale === 'en-US' ? 'kefu · Agent console' : 'kefu · 客服工作台', 'the title in full for screen readers')
    }
  }
})

t.test('one look for controls: a select, a field and a button agree on edge, corner and height; the focus ring shows (≥ 3:1), light and dark', async (t) => {
  const USER = 'oLookUser000000000000000001'
  await sys.push(SAFE, 'text', { from: USER, content: '你好' })
  for (const dark of [false, true]) {
    const { page } = await consoleOf(t, { openid: USER, dark })
    const looks = await page.evaluate(() => ['#open-search', '#availability', '#claim', '#status', '#snooze', '#customer-tags'].map((sel) => {
      const c = document.querySelector(sel)!
      const s = getComputedStyle(c)
      return { sel, radius: s.borderTopLeftRadius, color: s.borderTopColor, width: s.borderTopWidth, height: Math.round(c.getBoundingClientRect().height) }
    }))
    const first = looks[0]!
    for (const l of looks.slice(1)) t.same({ radius: l.radius, color: l.color, width: l.width, height: l.height }, { radius: first.radius, color: first.color, width: first.width, height: first.height }, `${l.sel} looks like #open-search (${dark ? 'dark' : 'light'})`)
    t.ok(contrast(first.color, await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor)) >= 3, 'a control’s edge stands out from the page (≥ 3:1)')

    await page.evaluate(() => { (document.activeElement as HTMLElement | null)?.blur() })
    await page.keyboard.press('Tab')
    const ring = await page.evaluate(() => {
      const s = getComputedStyle(document.activeElement!)
      return { style: s.outlineStyle, width: parseFloat(s.outlineWidth), color: s.outlineColor, page: getComputedStyle(document.documentElement).backgroundColor }
    })
    t.equal(ring.style, 'solid')
    t.ok(ring.width >= 2, 'at least 2 px')
    const ratio = contrast(ring.color, ring.page)
    t.ok(ratio >= 3, `the focus ring against the page: ${ratio.toFixed(2)}:1 (${dark ? 'dark' : 'light'})`)
  }
})

t.test('empty states say what to do next: search without results, no mentions', async (t) => {
  const { page } = await consoleOf(t, {})
  await page.locator('#open-search').click()
  await page.locator('#search-dialog input[type=search]').fill('无此内容qqq')
  await page.keyboard.press('Enter')
  await page.waitForSelector('.search-results .empty')
  t.equal(await page.textContent('.search-results .empty'), '没有找到匹配的消息。换个关键词，或在「筛选」中放宽小程序、状态或日期。')
  const { page: en } = await consoleOf(t, { locale: 'en-US' })
  await en.locator('#mentions-summary').click()
  t.equal(await en.locator('#mention-list').textContent(), 'Nobody has mentioned you in a note yet. When a colleague types @ and your name in an internal note, it shows here.')
})

/** Whether the page scrolls sideways, and the elements in an open dialog that stick out of the viewport. */
const sideways = (page: Page): Promise<{ scroll: number, client: number, outside: string[] }> => page.evaluate(() => {
  const outside = [...document.querySelectorAll('dialog[open] *, body.panel-open .customer-panel *, details.menu[open] > .menu-body')].filter((e) => {
    const r = e.getBoundingClientRect()
    return r.width > 0 && (r.right > innerWidth + 1 || r.left < -1)
  }).map((e) => e.tagName.toLowerCase() + (e.id !== '' ? '#' + e.id : '') + '.' + [...e.classList].join('.'))
  return { scroll: document.scrollingElement!.scrollWidth, client: document.scrollingElement!.clientWidth, outside }
})

t.test('nothing scrolls sideways at 390×844: the list, the header’s menus, a conversation, the customer panel, search results, administration', async (t) => {
  await addAgent(sys, 'alice', [SAFE], { role: 'admin', owner: true })
  const USER = 'oNarrowUser0000000000000001'
  await sys.push(SAFE, 'text', { from: USER, content: '窄屏检查 ' + 'https://example.com/a/very/long/address/without/any/space/in/it/'.repeat(3) })
  await sys.worker.app.history.catchUp()
  const { page } = await consoleOf(t, { width: 390, height: 844, locale: 'en-US' })
  const check = async (view: string): Promise<void> => {
    const s = await sideways(page)
    t.ok(s.scroll <= s.client, `${view}: the page is ${s.scroll} px wide in ${s.client}`)
    t.same(s.outside, [], `${view}: nothing outside the viewport`)
  }
  await page.waitForSelector(`[data-conversation="${SAFE}/${USER}"]`)
  await check('the list')
  for (const menu of await page.locator('header details.menu > summary').all()) {
    await menu.click()
    await check(`the menu ${await menu.getAttribute('title')}`)
    await menu.click()
  }
  await page.locator(`[data-conversation="${SAFE}/${USER}"]`).click()
  await page.waitForSelector('.timeline .msg')
  await check('a conversation')
  await page.locator('#toggle-customer').click()
  await page.waitForFunction(() => document.body.classList.contains('panel-open'))
  await check('the customer panel')
  await page.keyboard.press('Escape')
  await page.locator('#open-search').click()
  await page.locator('#search-dialog input[type=search]').fill('窄屏检查')
  await page.keyboard.press('Enter')
  await page.waitForSelector('.search-hit')
  await check('search results')
  await page.locator('#search-dialog form[method=dialog] button').click()
  await page.locator('#open-admin').click()
  await page.waitForSelector('#admin-dialog[open] table')
  await check('administration')
})

t.test('no script errors', async (t) => {
  t.same(scriptErrors, [])
})
