/// <reference lib="dom" />
// Two agents in two browsers on one mini program: claim, hand-over, an internal note, a quick reply, resolve, and the
// customer reopening it, each seen live by the other. Keyboard only; alice in Chinese at 1280×800, bob in English.
import t from 'tap'
import { mkdirSync } from 'node:fs'
import { type Browser, type Page } from 'playwright-core'
import { APPS, addAgent, startConsoleSystem } from '../../test/helper.js'
import { launchChromium, signInAtA } from '../../test/chromium.js'

const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url).pathname
mkdirSync(ARTIFACTS, { recursive: true })

const sys = await startConsoleSystem(t, { label: 'console_team_browser', aHost: 'a.kefu.test', consoleHost: 'console.kefu.test', worker: { autoAssignSweepMs: 0 } })
const SAFE = APPS[0]!.appid
const USER = 'oTeamUser000000000000000001'
await addAgent(sys, 'bob', [SAFE])
await sys.prisma.agent.upsert({ where: { username: 'alice' }, create: { username: 'alice', availability: 'online' }, update: { availability: 'online' } })
await sys.prisma.quickReply.create({ data: { scope: 'app', scopeId: SAFE, shortcut: 'hours', text: 'Our service hours are 9:00–21:00 every day.', createdBy: 'alice' } })
await sys.prisma.quickReply.create({ data: { scope: 'agent', scopeId: 'bob', shortcut: 'thanks', text: 'Thank you for waiting!', createdBy: 'bob' } })

const scriptErrors: string[] = []

async function signedInConsole (browser: Browser, username: string, locale: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale })
  // Browser notifications are recorded where the test can read them: headless Chromium shows none, and grants the
  // permission only to secure origins (in production the console is served over HTTPS).
  await context.addInitScript(() => {
    const shown: Array<{ title: string, body: string }> = []
    ;(window as unknown as { kefuShown: typeof shown }).kefuShown = shown
    class RecordedNotification {
      static permission = 'granted'
      static requestPermission = async (): Promise<string> => 'granted'
      onclick: (() => void) | null = null
      constructor (title: string, options: { body?: string }) { shown.push({ title, body: options.body ?? '' }) }
      close (): void {}
    }
    ;(window as unknown as { Notification: unknown }).Notification = RecordedNotification
  })
  const page = await context.newPage()
  page.on('pageerror', (err) => scriptErrors.push(`${username}: ${err.message}`))
  await signInAtA(page, sys, username)
  await page.goto(sys.console.url + '/')
  await page.waitForFunction(() => ['实时连接', 'Live'].includes(document.querySelector('.status')?.textContent ?? ''), undefined, { timeout: 15_000 })
  return page
}

/** Keyboard: focus a control and press a key on it. */
async function press (page: Page, selector: string, key = 'Enter'): Promise<void> {
  await page.locator(selector).focus()
  await page.keyboard.press(key)
}

const alice = await signedInConsole(await launchChromium(t, sys), 'alice', 'zh-CN')
const bob = await signedInConsole(await launchChromium(t, sys), 'bob', 'en-US')
const row = (page: Page) => page.locator(`[data-conversation="${SAFE}/${USER}"]`)

t.test('two agents work one conversation together, live', async (t) => {
  // bob comes online; alice sees it among her colleagues.
  await bob.locator('#availability').focus()
  await bob.locator('#availability').selectOption('online')
  await alice.waitForSelector('#colleagues li[data-agent=bob][data-availability=online]', { state: 'attached', timeout: 5000 })
  t.pass('alice sees bob come online, live')

  // A customer writes: both see a new unassigned conversation, live.
  await sys.push(SAFE, 'text', { from: USER, content: '请问你们几点下班？' })
  await row(alice).waitFor({ timeout: 5000 })
  await row(bob).waitFor({ timeout: 5000 })
  t.match(await row(bob).textContent(), /Unassigned/)
  await alice.waitForFunction(() => /^\(1\) /.test(document.title), undefined, { timeout: 5000 })
  t.match(await alice.title(), /^\(1\) /, 'the unread count in the tab title')

  // alice opens it from the keyboard and claims it; bob's list says whose it is.
  await press(alice, `[data-conversation="${SAFE}/${USER}"]`)
  await alice.waitForSelector('.msg.in >> text=请问你们几点下班？')
  t.equal(await alice.locator('.msg.in >> text=请问你们几点下班？').evaluate((n) => n.closest('[aria-live]')?.getAttribute('aria-live')), 'polite', 'messages arrive in a polite live region')
  await press(alice, '#claim')
  await alice.waitForFunction(() => /alice/.test(document.querySelector('#assignee')?.textContent ?? ''))
  await bob.waitForFunction((key) => /alice/.test(document.querySelector(`[data-conversation="${key}"] .conv-meta`)?.textContent ?? ''), `${SAFE}/${USER}`, { timeout: 5000 })
  t.pass('bob sees alice’s claim live')
  await press(bob, `[data-conversation="${SAFE}/${USER}"]`)
  await bob.waitForSelector('#assignee >> text=alice')
  t.equal(await bob.locator('#claim').isHidden(), true, 'bob cannot claim alice’s conversation')
  t.match(await bob.textContent('.timeline'), /alice claimed the conversation/)
  await alice.screenshot({ path: ARTIFACTS + 'team-claimed-alice-1280.png' })

  // alice hands it to bob.
  await alice.locator('#hand-to').focus()
  await alice.locator('#hand-to').selectOption('bob')
  await press(alice, '#hand-over')
  await bob.waitForSelector('#assignee >> text=bob', { timeout: 5000 })
  await bob.waitForSelector('.msg.internal.change >> text=alice handed the conversation to bob')
  await bob.waitForFunction(() => document.querySelector('#view-mine')?.textContent === 'Mine 1', undefined, { timeout: 5000 })
  t.pass('bob sees the hand-over live: his now, in his timeline and his count')
  t.match(await alice.textContent('.timeline'), /alice 把会话转交给 bob/)

  // bob leaves an internal note: alice sees it live, set apart from replies; WeChat hears nothing.
  sys.fake.clearRequests()
  await press(bob, '.composer .mode[data-mode=note]')
  await bob.waitForFunction(() => document.activeElement?.id === 'reply-text')
  await bob.keyboard.type('Customer asked about hours; VIP, be quick.')
  await bob.keyboard.press('Enter')
  const note = alice.locator('.msg.internal.note')
  await note.waitFor({ timeout: 5000 })
  t.match(await note.textContent(), /内部备注 · bob/)
  t.match(await note.textContent(), /Customer asked about hours; VIP, be quick\./)
  t.equal(sys.fake.requests.filter((r) => r.api === 'custom/send').length, 0, 'a note is never sent to WeChat')
  await alice.screenshot({ path: ARTIFACTS + 'team-note-alice-1280.png' })

  // bob answers with a quick reply: `/hou`, Enter picks it, Enter sends.
  await press(bob, '.composer .mode[data-mode=reply]')
  await bob.keyboard.type('/hou')
  await bob.waitForSelector('#qr-picker li[data-shortcut=hours][aria-selected=true]')
  await bob.screenshot({ path: ARTIFACTS + 'team-quick-reply-bob-1280.png' })
  await bob.keyboard.press('Enter')
  t.equal(await bob.inputValue('#reply-text'), 'Our service hours are 9:00–21:00 every day.')
  await bob.keyboard.press('Enter')
  await bob.waitForSelector('.msg.out[data-status=sent] >> text=Our service hours are 9:00–21:00 every day.', { timeout: 5000 })
  t.same(sys.fake.messages(SAFE).at(-1), { touser: USER, msgtype: 'text', text: { content: 'Our service hours are 9:00–21:00 every day.' } })
  await alice.waitForSelector('.msg.out >> text=Our service hours are 9:00–21:00 every day.', { timeout: 5000 })
  t.pass('alice sees bob’s reply live')

  // bob resolves it from the keyboard; alice sees it resolved.
  await bob.locator('#status').focus()
  await bob.locator('#status').selectOption('resolved')
  await alice.waitForFunction(() => (document.querySelector('#status') as HTMLSelectElement | null)?.value === 'resolved', undefined, { timeout: 5000 })
  await alice.waitForSelector('.msg.internal.change >> text=bob 将状态改为「已解决」')
  await bob.waitForFunction((key) => document.querySelector(`[data-conversation="${key}"]`) === null, `${SAFE}/${USER}`, { timeout: 5000 })
  t.pass('resolved: out of bob’s open list, and alice sees the status live')

  // alice moves on to another customer (an open conversation is read by whoever has it open).
  await sys.push(SAFE, 'text', { from: 'oTeamOther00000000000000002', content: '你好' })
  await press(alice, `[data-conversation="${SAFE}/oTeamOther00000000000000002"]`)
  await alice.waitForSelector('.msg.in >> text=你好')
  // bob's tab goes to the background; the customer writes again: reopened, bob's again, and he is told.
  await bob.evaluate(() => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => true })
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' })
  })
  await sys.push(SAFE, 'text', { from: USER, content: '周末也上班吗？' })
  await row(bob).waitFor({ timeout: 5000 })
  await bob.waitForSelector('.msg.internal.change >> text=The customer wrote again: reopened (was “Resolved”)', { timeout: 5000 })
  t.equal(await bob.inputValue('#status'), 'open')
  await bob.waitForFunction(() => (window as unknown as { kefuShown: unknown[] }).kefuShown.length === 1, undefined, { timeout: 5000 })
  t.match(await bob.evaluate(() => (window as unknown as { kefuShown: Array<{ title: string, body: string }> }).kefuShown[0]), { title: /New message/, body: '周末也上班吗？' })
  await bob.waitForFunction(() => /^\(1\) /.test(document.title), undefined, { timeout: 5000 })
  t.pass('a browser notification and the unread count in the title while hidden')
  await alice.waitForFunction((key) => /bob/.test(document.querySelector(`[data-conversation="${key}"] .conv-meta`)?.textContent ?? ''), `${SAFE}/${USER}`, { timeout: 5000 })
  t.pass('back in alice’s list of open conversations, live, as bob’s')
  await press(alice, `[data-conversation="${SAFE}/${USER}"]`)
  await alice.waitForSelector('.msg.in >> text=周末也上班吗？')
  await alice.waitForSelector('.msg.internal.change >> text=客户发来新消息，会话从「已解决」重新打开')
  t.equal(await alice.inputValue('#status'), 'open')
  t.match(await alice.textContent('#assignee'), /bob/, 'back in front of bob, who is online')
  await alice.screenshot({ path: ARTIFACTS + 'team-reopened-alice-1280.png' })
  await bob.screenshot({ path: ARTIFACTS + 'team-reopened-bob-1280.png' })

  const row1 = await sys.prisma.conversation.findUniqueOrThrow({ where: { appId_openid: { appId: SAFE, openid: USER } } })
  t.match(row1, { status: 'open', assignee: 'bob' })
})

t.test('the customer panel, tags and the phone layout', async (t) => {
  await bob.setViewportSize({ width: 390, height: 844 })
  await press(bob, '#toggle-customer')
  // Focus on the panel's heading (not a field: the phone's keyboard would cover the panel); Tab on to the tags.
  await bob.waitForFunction(() => document.activeElement?.id === 'customer-title')
  await bob.keyboard.press('Tab')
  await bob.keyboard.press('Tab')
  await bob.waitForFunction(() => document.activeElement?.id === 'customer-tags')
  await bob.keyboard.type('VIP, 周末')
  await bob.keyboard.press('Enter')
  await alice.waitForFunction(() => document.querySelectorAll('.customer-panel .tag-list .tag').length === 2, undefined, { timeout: 5000 })
  t.same(await alice.locator('.customer-panel .tag-list .tag').allTextContents(), ['VIP', '周末'], 'alice’s panel follows live')
  t.match(await bob.textContent('.customer-panel .facts'), new RegExp(USER))
  await bob.screenshot({ path: ARTIFACTS + 'team-customer-panel-bob-390.png' })
  await bob.keyboard.press('Escape')
  t.equal(await bob.evaluate(() => document.body.classList.contains('panel-open')), false, 'Escape closes the panel')
  t.equal(await bob.evaluate(() => document.activeElement?.id), 'toggle-customer', 'focus back on the button that opened it')
  await alice.screenshot({ path: ARTIFACTS + 'team-customer-panel-alice-1280.png' })
})

t.test('an administrator manages the agents of his mini program only, and adds a new one by name', async (t) => {
  const PLAIN = APPS[1]!.appid
  await addAgent(sys, 'newcomer', []) // fresh from agent:add or the sign-in site: serves no mini program yet
  await addAgent(sys, 'outsider', [PLAIN])
  await sys.prisma.agent.update({ where: { username: 'bob' }, data: { role: 'admin' } })
  await bob.setViewportSize({ width: 1280, height: 800 })
  await bob.reload()
  await bob.waitForFunction(() => document.querySelector('.status')?.textContent === 'Live', undefined, { timeout: 15_000 })
  await press(bob, '#open-admin')
  await bob.waitForSelector('#admin-dialog tr[data-agent=bob]')
  t.same(await bob.locator('#admin-dialog tr[data-agent]').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.agent)), ['alice', 'bob'],
    'the agents of SAFE; neither one who serves none yet nor one of another mini program')
  t.same(await bob.locator('#admin-dialog tr[data-agent=alice] input[type=checkbox]').evaluateAll((boxes) => boxes.map((b) => (b as HTMLInputElement).value)), [SAFE],
    'of alice’s mini programs, only his own')

  /** Types a name into the add form, ticks SAFE, saves (keyboard only); resolves to the row's status line. */
  async function add (name: string): Promise<string> {
    await bob.locator('#admin-dialog input[type=text]').focus()
    await bob.keyboard.type(name)
    await bob.keyboard.press('Enter')
    await bob.waitForFunction((n) => document.activeElement?.closest('tr')?.getAttribute('data-agent') === n, name)
    await bob.keyboard.press('Space')
    await bob.keyboard.press('Tab')
    await bob.keyboard.press('Tab')
    await bob.keyboard.press('Enter')
    // A success is a status in the success style, a failure an alert in the error style.
    const status = bob.locator(`#admin-dialog tr[data-agent="${name}"] .outcome`)
    await bob.waitForFunction((n) => (document.querySelector(`#admin-dialog tr[data-agent="${n}"] .outcome`)?.textContent ?? '') !== '', name, { timeout: 5000 })
    const text = await status.textContent() ?? ''
    const role = text === 'Saved' ? 'status' : 'alert'
    t.equal(await bob.locator(`#admin-dialog tr[data-agent="${name}"] [role=${role}]`).textContent(), text, `said as role=${role}`)
    return text
  }
  t.equal(await add('newcomer'), 'Saved')
  t.same((await sys.prisma.agentApp.findMany({ where: { username: 'newcomer' } })).map((r) => r.appId), [SAFE])
  t.match(await add('outsider'), /^no account named outsider that you may manage/, 'answered as for an account that does not exist')
  t.same((await sys.prisma.agentApp.findMany({ where: { username: 'outsider' } })).map((r) => r.appId), [PLAIN], 'outsider untouched')
  await bob.screenshot({ path: ARTIFACTS + 'team-admin-bob-1280.png' })
  await bob.keyboard.press('Escape')
})

t.test('a quick reply’s variables are filled in; one nobody knows is selected, and not sent until replaced', async (t) => {
  await sys.prisma.quickReply.create({ data: { scope: 'app', scopeId: SAFE, shortcut: 'greet', text: 'Hello {{customer.name}}, {{ agent.name }} here.', createdBy: 'bob' } })
  await press(bob, `[data-conversation="${SAFE}/${USER}"]`)
  await bob.waitForSelector('.msg.in >> text=周末也上班吗？')
  await bob.locator('#reply-text').focus()
  await bob.keyboard.type('/gree')
  await bob.waitForSelector('#qr-picker li[data-shortcut=greet][aria-selected=true]')
  await bob.keyboard.press('Enter')
  t.equal(await bob.inputValue('#reply-text'), 'Hello {{customer.name}}, bob here.', 'the agent filled in; the customer has no name yet')
  const selected = (): Promise<string> => bob.evaluate(() => { const a = document.querySelector<HTMLTextAreaElement>('#reply-text')!; return a.value.slice(a.selectionStart, a.selectionEnd) })
  t.equal(await selected(), '{{customer.name}}', 'the placeholder left is selected, to type over')

  sys.fake.clearRequests()
  await bob.keyboard.press('End')
  await bob.keyboard.press('Enter')
  await bob.waitForFunction(() => document.querySelector('#notice')?.textContent === 'Replace {{customer.name}} before sending.')
  t.equal(await selected(), '{{customer.name}}', 'selected again')
  t.equal(sys.fake.requests.filter((r) => r.api === 'custom/send').length, 0, 'nothing sent to WeChat')
  await bob.keyboard.type('Mr Wang')
  await bob.keyboard.press('Enter')
  await bob.waitForSelector('.msg.out[data-status=sent] >> text=Hello Mr Wang, bob here.', { timeout: 5000 })
  t.same(sys.fake.messages(SAFE).at(-1), { touser: USER, msgtype: 'text', text: { content: 'Hello Mr Wang, bob here.' } })

  // A customer agents named: filled in too, the caret after the text.
  await sys.prisma.conversation.update({ where: { appId_openid: { appId: SAFE, openid: USER } }, data: { displayName: '王先生' } })
  await bob.reload()
  await bob.waitForFunction(() => document.querySelector('.status')?.textContent === 'Live', undefined, { timeout: 15_000 })
  await press(bob, `[data-conversation="${SAFE}/${USER}"]`)
  await bob.waitForSelector('.msg.in >> text=周末也上班吗？')
  await bob.locator('#reply-text').focus()
  await bob.keyboard.type('/greet')
  await bob.waitForSelector('#qr-picker li[data-shortcut=greet][aria-selected=true]')
  await bob.keyboard.press('Enter')
  t.equal(await bob.inputValue('#reply-text'), 'Hello 王先生, bob here.')
  t.equal(await selected(), '', 'nothing selected: the caret after it')
  await bob.locator('#reply-text').fill('')
})

t.test('no script errors in either page', async (t) => {
  t.same(scriptErrors, [])
})
