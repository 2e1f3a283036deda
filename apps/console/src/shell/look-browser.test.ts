/// <reference lib="dom" />
// Issue 23 in Chromium: customer names agents give (list, header, search, panel, live to a colleague), the profile
// lookup's nickname as the default, and avatars (picture or initials).
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import type { Page } from 'playwright-core'
import { solidPng } from '../../test/png.js'
import { APPS, Agent, addAgent, startConsoleSystem } from '../../test/helper.js'
import { launchChromium, newPage, signInAtA } from '../../test/chromium.js'

// The business's backend: a nickname (and a picture) for o_nick, nothing for the others.
const backend = http.createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString()) as { openid: string }
    if (body.openid !== 'o_nick') { res.writeHead(404).end(); return }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name: '微信昵称小红', avatar: 'https://avatar.example/o_nick.png', fields: [] }))
  })
})
await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve))
t.teardown(() => new Promise<void>((resolve) => { backend.close(() => { resolve() }); backend.closeAllConnections() }))
const profileUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}/profile`

const apps = [{ ...APPS[0]!, profileUrl, profileSecret: 'profile-secret-for-tests-0123456789abcdef' }]
const SAFE = apps[0]!.appid
const sys = await startConsoleSystem(t, { label: 'console_names_browser', aHost: 'a.kefu.test', consoleHost: 'console.kefu.test', apps, worker: { autoAssignSweepMs: 0 } })
await addAgent(sys, 'bob', [SAFE])
const browser = await launchChromium(t, sys)

async function consoleOf (t: { teardown: (fn: () => unknown) => void }, username: string, openid?: string): Promise<{ page: Page, errors: string[] }> {
  const { page, errors } = await newPage(t, browser)
  await signInAtA(page, sys, username)
  await page.goto(sys.console.url + '/' + (openid === undefined ? '' : `?c=${SAFE}/${openid}`))
  await page.waitForFunction(() => document.querySelector('.status')?.textContent === '实时连接', undefined, { timeout: 15_000 })
  return { page, errors }
}
const nameInList = (page: Page, openid: string): Promise<string | null> => page.locator(`[data-conversation="${SAFE}/${openid}"] .conv-name`).textContent()

await sys.push(SAFE, 'text', { from: 'o_rename_me_0123456789', content: '我想改地址' })
await sys.push(SAFE, 'text', { from: 'o_nick', content: '你好' })
await sys.worker.app.history.catchUp()

t.test('a name given in the panel shows in the list, the header and search, and live in a colleague’s console', async (t) => {
  const { page: bob, errors: bobErrors } = await consoleOf(t, 'bob')
  await bob.waitForSelector(`[data-conversation="${SAFE}/o_rename_me_0123456789"]`)
  t.equal(await nameInList(bob, 'o_rename_me_0123456789'), 'o_rena…456789', 'no name yet: the openid, shortened')

  const { page, errors } = await consoleOf(t, 'alice', 'o_rename_me_0123456789')
  await page.waitForSelector('.timeline .msg')
  await page.fill('#customer-name', '  李女士（老客户）  ')
  await page.press('#customer-name', 'Enter')
  await page.waitForFunction(() => document.querySelector('#customer-name-status')?.textContent !== '', undefined, { timeout: 10_000 })
  t.equal(await page.textContent('#customer-name-status'), '已保存')
  t.ok(await page.getByRole('heading', { level: 2, name: '李女士（老客户）', exact: true }).isVisible(), 'the header')
  t.match(await page.textContent('.customer-panel .facts'), /o_rename_me_0123456789/, 'the openid is still in the panel')
  await page.waitForFunction((key) => document.querySelector(`[data-conversation="${key}"] .conv-name`)?.textContent === '李女士（老客户）', `${SAFE}/o_rename_me_0123456789`, { timeout: 10_000 })
  await bob.waitForFunction((key) => document.querySelector(`[data-conversation="${key}"] .conv-name`)?.textContent === '李女士（老客户）', `${SAFE}/o_rename_me_0123456789`, { timeout: 10_000 })
  t.pass('live in bob’s list')

  await page.fill('#customer-name', 'x'.repeat(60) + '字'.repeat(5))
  await page.press('#customer-name', 'Enter')
  await page.waitForFunction(() => document.querySelector('#customer-name-status')?.textContent !== '已保存', undefined, { timeout: 10_000 })
  t.match(await page.textContent('#customer-name-status'), /最多 64 个字/, 'too long: said in words')
  t.equal((await sys.prisma.conversation.findUniqueOrThrow({ where: { appId_openid: { appId: SAFE, openid: 'o_rename_me_0123456789' } } })).displayName, '李女士（老客户）', 'nothing stored')

  await page.evaluate(() => { (document.activeElement as HTMLElement).blur() })
  await page.keyboard.press('/')
  await page.waitForSelector('#search-dialog[open]')
  await page.keyboard.type('改地址')
  await page.keyboard.press('Enter')
  const hit = page.locator('.search-hit').first()
  await hit.waitFor()
  t.match(await hit.locator('.hit-head').textContent(), /^李女士（老客户） · /, 'the search result')
  t.same([...errors, ...bobErrors], [])
})

t.test('without a name, the nickname the profile lookup gives', async (t) => {
  const { page, errors } = await consoleOf(t, 'alice', 'o_nick')
  await page.waitForFunction(() => document.querySelector('#chat-title')?.lastChild?.textContent === '微信昵称小红', undefined, { timeout: 10_000 })
  t.equal(await nameInList(page, 'o_nick'), '微信昵称小红', 'in the list too')
  t.equal(await page.inputValue('#customer-name'), '', 'no name given')
  t.same(errors, [])
})

t.test('one icon set, served by the console itself: each main control has its icon, hidden from AT, and keeps its name', async (t) => {
  const { page, errors } = await consoleOf(t, 'alice', 'o_nick')
  const hosts = new Set<string>()
  page.on('request', (r) => hosts.add(new URL(r.url()).host))
  await page.reload()
  await page.waitForSelector('.timeline .msg')
  const controls = await page.evaluate(() => ['#send', 'button:has(+ #image-file)', '#open-search', '#claim', '#toggle-customer', '.panel-close', '#save-name'].map((sel) => {
    const c = document.querySelector(sel)
    const svg = c?.querySelector('svg.icon')
    return { sel, hidden: svg?.getAttribute('aria-hidden') ?? null, paths: svg?.querySelectorAll('path, circle, rect, line, polyline').length ?? 0, text: c?.textContent?.trim() ?? '' }
  }))
  for (const c of controls) {
    t.equal(c.hidden, 'true', `${c.sel}: an icon, aria-hidden`)
    t.ok(c.paths > 0, `${c.sel}: the icon is drawn`)
    t.not(c.text, '', `${c.sel}: still named by its text`)
  }
  t.ok(await page.getByRole('button', { name: '发送', exact: true }).isVisible(), 'the send button keeps its accessible name')
  t.ok(await page.getByRole('button', { name: '搜索' }).isVisible(), 'so does search')
  await page.evaluate(() => { document.querySelector('#send')!.textContent = '保存备注' })
  await page.waitForFunction(() => document.querySelector('#send')?.firstElementChild?.matches('svg.icon') === true, undefined, { timeout: 5000 })
  t.equal(await page.locator('#send svg.icon').count(), 1, 'one icon, whatever the button says')
  const module = await page.evaluate(async () => await (await fetch('/assets/icons/lucide.js')).text())
  t.match(module, /lucide-static/)
  t.notMatch(module, /https?:\/\/(?!www\.w3\.org)/, 'nothing loaded from elsewhere')
  t.same([...hosts].filter((h) => !h.startsWith('console.kefu.test') && !h.startsWith('127.0.0.1') && h !== 'avatar.example'), [], 'no CDN')
  t.same(errors, [])
})

/** Contrast of each initials avatar's text on its background (WCAG's formula). */
const avatarContrasts = (page: Page): Promise<Array<{ text: string, ratio: number }>> => page.evaluate(() => {
  const lum = (css: string): number => {
    const [r, g, b] = css.match(/[0-9.]+/g)!.slice(0, 3).map((v) => Number(v) / 255).map((c) => c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4) as [number, number, number]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b
  }
  return [...document.querySelectorAll('span.avatar')].map((a) => {
    const s = getComputedStyle(a)
    const [hi, lo] = [lum(s.color), lum(s.backgroundColor)].sort((x, y) => y - x) as [number, number]
    return { text: a.textContent ?? '', ratio: (hi + 0.05) / (lo + 0.05) }
  })
})

t.test('avatars: the profile’s picture, else initials on a color of the openid, readable in light and dark; agents too', async (t) => {
  const claimer = new Agent()
  await claimer.signIn(sys)
  t.equal((await claimer.api(sys, 'POST', `/api/conversations/${SAFE}/o_nick/claim`)).status, 200)
  for (const dark of [false, true]) {
    const { page, errors } = await newPage(t, browser, { colorScheme: dark ? 'dark' : 'light' })
    const picture = solidPng(32, 32, 0x80) // the customer's picture, as the business's server would send it
    await page.context().route('https://avatar.example/**', (route) => route.fulfill({ status: 200, contentType: 'image/png', body: picture }))
    await signInAtA(page, sys, 'alice')
    await page.goto(sys.console.url + `/?c=${SAFE}/o_nick`)
    await page.waitForSelector('.timeline .msg')
    const img = page.locator(`[data-conversation="${SAFE}/o_nick"] img.avatar`)
    await img.waitFor({ timeout: 10_000 })
    t.same(await img.evaluate((i: HTMLImageElement) => ({ alt: i.getAttribute('alt'), loading: i.loading, referrer: i.referrerPolicy, src: i.src })),
      { alt: '', loading: 'lazy', referrer: 'no-referrer', src: 'https://avatar.example/o_nick.png' }, 'the picture, decorative, lazy, no referrer')
    t.equal(await page.locator('#chat-title img.avatar').count(), 1, 'in the header too')
    const other = page.locator(`[data-conversation="${SAFE}/o_rename_me_0123456789"] span.avatar`)
    t.equal(await other.textContent(), '李', 'initials of the name')
    t.equal(await other.getAttribute('aria-hidden'), 'true')
    const again = await page.locator(`[data-conversation="${SAFE}/o_rename_me_0123456789"] span.avatar`).getAttribute('class')
    await page.reload()
    await page.waitForSelector(`[data-conversation="${SAFE}/o_rename_me_0123456789"] span.avatar`)
    t.equal(await page.locator(`[data-conversation="${SAFE}/o_rename_me_0123456789"] span.avatar`).getAttribute('class'), again, 'the same color every time')
    t.equal(await page.locator('#agent span.avatar').textContent(), 'AL', 'the agent in the header')
    await page.waitForSelector(`[data-conversation="${SAFE}/o_nick"] .badge span.avatar`, { timeout: 10_000 })
    t.pass('the assignee chip')
    const contrasts = await avatarContrasts(page)
    t.ok(contrasts.length >= 3)
    t.same(contrasts.filter((c) => c.ratio < 4.5), [], `AA contrast (${dark ? 'dark' : 'light'})`)
    t.same(errors, [])
  }
})

t.test('the console names the zone of its times, and the reports’ when another; an administrator changes the team’s', async (t) => {
  await addAgent(sys, 'alice', [SAFE], { role: 'admin' })
  const { page, errors } = await newPage(t, browser, { timezoneId: 'Europe/Paris' })
  await signInAtA(page, sys, 'alice')
  await page.goto(sys.console.url + '/')
  await page.waitForFunction(() => document.querySelector('#time-zone')?.textContent?.includes('报表') === true, undefined, { timeout: 15_000 })
  t.equal(await page.textContent('#time-zone'), '时间：Europe/Paris · 报表：Asia/Shanghai')
  await page.click('#open-admin')
  await page.fill('#team-time-zone', 'Mars/Olympus')
  await page.click('#save-time-zone')
  await page.waitForFunction(() => document.querySelector('#team-time-zone-status')?.textContent !== '', undefined, { timeout: 10_000 })
  t.match(await page.textContent('#team-time-zone-status'), /没有“Mars\/Olympus”这个时区/, 'a zone Intl does not know: said in words')
  await page.fill('#team-time-zone', 'Europe/Paris')
  await page.click('#save-time-zone')
  await page.waitForFunction(() => document.querySelector('#team-time-zone-status')?.textContent === '已保存', undefined, { timeout: 10_000 })
  t.equal(await page.textContent('#time-zone'), '时间：Europe/Paris', 'the same zone: said once')
  t.equal((await sys.prisma.teamSetting.findUniqueOrThrow({ where: { id: 1 } })).timeZone, 'Europe/Paris')
  t.same(errors, [])
})
