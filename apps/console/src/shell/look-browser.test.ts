/// <reference lib="dom" />
// Issue 23 in Chromium: customer names agents give (list, header, search, panel, live to a colleague), the profile
// lookup's nickname as the default, and avatars (picture or initials).
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import type { Page } from 'playwright-core'
import { APPS, addAgent, startConsoleSystem } from '../../test/helper.js'
import { launchChromium, newPage, signInAtA } from '../../test/chromium.js'

// The business's backend: a nickname (and a picture) for o_nick, nothing for the others.
const backend = http.createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString()) as { openid: string }
    if (body.openid !== 'o_nick') { res.writeHead(404).end(); return }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name: '微信昵称小红', avatar: `http://127.0.0.1:${(backend.address() as AddressInfo).port}/avatar.png`, fields: [] }))
  })
})
await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve))
t.teardown(() => new Promise<void>((resolve) => { backend.close(() => { resolve() }); backend.closeAllConnections() }))
const profileUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}/profile`

const apps = [{ ...APPS[0]!, profileUrl, profileSecret: 'profile-secret-for-tests-0123456789abcdef' }]
const SAFE = apps[0]!.appid
const sys = await startConsoleSystem(t, { label: 'console_names_browser', aHost: 'a.kefu.test', consoleHost: 'console.kefu.test', apps, console: { teamwork: { autoAssignSweepMs: 0 } } })
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
  t.equal(await page.textContent('#chat-title'), '李女士（老客户）', 'the header')
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
  await page.waitForFunction(() => document.querySelector('#chat-title')?.textContent === '微信昵称小红', undefined, { timeout: 10_000 })
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
  t.same([...hosts].filter((h) => !h.startsWith('console.kefu.test') && !h.startsWith('127.0.0.1')), [], 'no CDN')
  t.same(errors, [])
})
