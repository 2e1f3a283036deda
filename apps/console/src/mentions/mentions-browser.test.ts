/// <reference lib="dom" />
// @mentions in two browsers: alice (Chinese) types @ in a note, picks bob from the list with the keyboard and saves;
// bob (English) is told live (a toast and the count in the header), opens the mention from the header's list, lands
// on the conversation, and the count clears, across reloads too. axe-core finds nothing serious along the way (the
// picker and the toast on a phone too).
import t from 'tap'
import { mkdirSync } from 'node:fs'
import type { Page } from 'playwright-core'
import { APPS, addAgent, signedIn, startConsoleSystem } from '../../test/helper.js'
import { checkAccessible, launchChromium, newPage, signInAtA } from '../../test/chromium.js'

const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url).pathname
mkdirSync(ARTIFACTS, { recursive: true })

const sys = await startConsoleSystem(t, { label: 'console_mentions_browser', aHost: 'a.kefu.test', consoleHost: 'console.kefu.test', worker: { autoAssignSweepMs: 0 } })
const [SAFE, PLAIN] = APPS.map((a) => a.appid) as [string, string]
const USER = 'oMentionUser0000000000000001'
await addAgent(sys, 'bob', [SAFE])
await addAgent(sys, 'dave', [SAFE])
await addAgent(sys, 'carol', [PLAIN])
await sys.push(SAFE, 'text', { from: USER, content: '发票什么时候开？' })
await sys.prisma.conversation.update({ where: { appId_openid: { appId: SAFE, openid: USER } }, data: { displayName: 'Wang Fang' } })
const browser = await launchChromium(t, sys)

async function consoleOf (username: string, locale: string): Promise<{ page: Page, errors: string[] }> {
  const opened = await newPage(t, browser, { locale })
  await signInAtA(opened.page, sys, username)
  await opened.page.goto(sys.console.url + '/')
  await live(opened.page)
  return opened
}
const live = async (page: Page): Promise<void> => {
  await page.waitForFunction(() => ['实时连接', 'Live'].includes(document.querySelector('.status')?.textContent ?? ''), undefined, { timeout: 15_000 })
}
const options = async (page: Page): Promise<string[]> => await page.locator('#mention-picker li[data-agent]').evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.agent!))
/** axe-core on what is shown, at 1280×800 and on a phone (390×844), back at 1280×800 after. */
async function checkBothSizes (t: Parameters<typeof checkAccessible>[0], page: Page, view: string): Promise<void> {
  await checkAccessible(t, page, view)
  await page.setViewportSize({ width: 390, height: 844 })
  await checkAccessible(t, page, `${view} (390×844)`)
  await page.setViewportSize({ width: 1280, height: 800 })
}
const selected = async (page: Page): Promise<string | undefined> => await page.locator('#mention-picker li[aria-selected=true]').getAttribute('data-agent') ?? undefined

const alice = await consoleOf('alice', 'zh-CN')
const bob = await consoleOf('bob', 'en-US')

t.test('alice mentions bob from the picker; bob is told live, opens it, and lands on the conversation', async (t) => {
  t.equal(await bob.page.locator('#mentions-badge').isHidden(), true, 'no unread mention yet')
  await bob.page.evaluate(() => { (window as unknown as { kefuNotReloaded: boolean }).kefuNotReloaded = true })

  const a = alice.page
  await a.locator(`[data-conversation="${SAFE}/${USER}"]`).focus()
  await a.keyboard.press('Enter')
  await a.waitForSelector('.msg.in >> text=发票什么时候开？')
  await a.locator('.composer .mode[data-mode=note]').focus()
  await a.keyboard.press('Enter')
  await a.waitForFunction(() => document.activeElement?.id === 'reply-text')
  await a.keyboard.type('请 @')
  await a.waitForSelector('#mention-picker:not([hidden]) li[data-agent]')
  t.same(await options(a), ['bob', 'dave'], 'the colleagues of this mini program: not alice herself, not carol of another')
  t.equal(await a.getAttribute('#mention-picker', 'role'), 'listbox')
  t.match(await a.getAttribute('#mention-picker', 'aria-label'), /提及同事/)
  t.equal(await a.getAttribute('#reply-text', 'aria-activedescendant'), 'mention-0')
  await a.keyboard.press('ArrowDown')
  t.equal(await selected(a), 'dave')
  t.equal(await a.getAttribute('#reply-text', 'aria-activedescendant'), 'mention-1')
  await a.keyboard.press('ArrowDown')
  t.equal(await selected(a), 'bob', 'round again')
  await checkBothSizes(t, a, 'the mention picker')
  await a.screenshot({ path: ARTIFACTS + 'mentions-picker-alice-1280.png' })
  await a.keyboard.press('Escape')
  t.equal(await a.locator('#mention-picker').isHidden(), true, 'Escape closes the list')
  t.equal(await a.inputValue('#reply-text'), '请 @', 'and leaves the text as it was')
  await a.keyboard.type('b')
  await a.waitForSelector('#mention-picker:not([hidden]) li[data-agent=bob][aria-selected=true]')
  t.same(await options(a), ['bob'], 'filtered as she types')
  await a.keyboard.press('Enter')
  t.equal(await a.inputValue('#reply-text'), '请 @bob ', 'Enter inserts @username')
  await a.keyboard.type('看一下 <img src=x onerror=alert(1)> 发票')
  await a.keyboard.press('Enter')

  const note = a.locator('.msg.internal.note').last()
  await note.waitFor({ timeout: 5000 })
  t.same(await note.locator('mark.mention').allTextContents(), ['@bob'], 'the mentioned name is marked in the note')
  t.equal(await note.locator('img').count(), 0, 'the note’s text stays text')
  t.match(await note.locator('.text').textContent(), '请 @bob 看一下 <img src=x onerror=alert(1)> 发票')

  const b = bob.page
  const toast = b.locator('#mention-toasts .toast')
  await toast.waitFor({ timeout: 5000 })
  t.equal(await toast.locator('span').first().textContent(), 'alice mentioned you in a note on Wang Fang')
  t.equal(await b.getAttribute('#mention-toasts', 'aria-live'), 'polite')
  await b.waitForSelector('#mentions-badge[data-count="1"]:not([hidden])')
  t.equal(await b.locator('#mentions-unread').textContent(), '1 unread', 'the count has words for screen readers')
  t.equal(await b.evaluate(() => (window as unknown as { kefuNotReloaded?: boolean }).kefuNotReloaded), true, 'live, without a reload')
  await checkBothSizes(t, b, 'the toast and the count')
  await b.screenshot({ path: ARTIFACTS + 'mentions-toast-bob-1280.png' })

  // The count is the server's: a reload keeps it.
  await b.reload()
  await live(b)
  await b.waitForSelector('#mentions-badge[data-count="1"]:not([hidden])')
  t.pass('the count survives a reload')

  // The list from the keyboard: Enter opens it, Escape closes it back onto its summary.
  await b.locator('#mentions-summary').focus()
  await b.keyboard.press('Enter')
  const link = b.locator('#mention-list li.mention-unread a')
  await link.waitFor()
  t.match(await link.textContent(), /Unread: alice mentioned you in a note on Wang Fang/)
  t.same(await link.evaluate((a) => { const s = getComputedStyle(a); return [s.display, s.borderTopWidth] }), ['grid', '0px'], 'an entry of the list, not styled as one of the header’s buttons')
  await checkAccessible(t, b, 'the list of mentions')
  await b.screenshot({ path: ARTIFACTS + 'mentions-list-bob-1280.png' })
  await b.keyboard.press('Tab')
  t.equal(await b.evaluate(() => document.activeElement?.closest('#mention-list') !== null), true, 'Tab reaches the mention')
  await b.keyboard.press('Escape')
  t.equal(await b.locator('#mentions-menu').evaluate((d) => (d as HTMLDetailsElement).open), false, 'Escape closes the list')
  t.equal(await b.evaluate(() => document.activeElement?.id), 'mentions-summary', 'focus back on its summary')

  await b.keyboard.press('Enter')
  await link.focus()
  await b.keyboard.press('Enter')
  await b.waitForSelector('.msg.in >> text=发票什么时候开？', { timeout: 5000 })
  t.match(await b.textContent('#chat-title'), /Wang Fang/, 'on the conversation')
  t.match(b.url(), new RegExp(`\\?c=${SAFE}%2F${USER}$`))
  t.same(await b.locator('.msg.internal.note mark.mention').allTextContents(), ['@bob'])
  await b.waitForSelector('#mentions-badge[data-count="0"][hidden]', { state: 'attached', timeout: 5000 })
  t.equal(await b.locator('#mentions-unread').textContent(), '')
  t.ok((await sys.prisma.noteMention.findFirstOrThrow({ where: { agent: 'bob' } })).readAt, 'read when opened')
  await b.reload()
  await live(b)
  await b.waitForSelector('#mention-list li.mention:not(.mention-unread)', { state: 'attached' })
  t.equal(await b.locator('#mentions-badge').isHidden(), true, 'still read after a reload')
})

t.test('mark all read, from the keyboard: the count clears here and in bob’s other tab', async (t) => {
  const b = bob.page
  const other = await consoleOf('bob', 'en-US')
  const byAlice = await signedIn(sys, 'alice')
  for (const text of ['@bob 一', '@bob 二']) t.equal((await byAlice.api(sys, 'POST', `/api/conversations/${SAFE}/${USER}/notes`, { text })).status, 201)
  await b.waitForSelector('#mentions-badge[data-count="2"]:not([hidden])', { timeout: 5000 })
  await b.locator('#mentions-summary').focus()
  await b.keyboard.press('Enter')
  await b.waitForSelector('#mentions-read-all:not([hidden])')
  await b.locator('#mentions-read-all').focus()
  await b.keyboard.press('Enter')
  await b.waitForSelector('#mentions-badge[data-count="0"][hidden]', { state: 'attached', timeout: 5000 })
  t.equal(await b.locator('#mention-list li.mention-unread').count(), 0, 'no mention is shown unread')
  t.equal(await b.locator('#mentions-read-all').isHidden(), true, 'the button goes with them')
  t.equal(await b.evaluate(() => document.activeElement?.closest('#mention-list') !== null), true, 'focus stays in the list')
  t.equal(await sys.prisma.noteMention.count({ where: { agent: 'bob', readAt: null } }), 0)
  await other.page.waitForSelector('#mentions-badge[data-count="0"][hidden]', { state: 'attached', timeout: 5000 })
  t.pass('bob’s other tab hears of it live')
  await b.keyboard.press('Escape')
})

t.test('no script errors in either page', async (t) => {
  t.same([...alice.errors, ...bob.errors], [])
})
