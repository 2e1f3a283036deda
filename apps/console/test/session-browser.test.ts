/// <reference lib="dom" />
// One login, many sites, in Chromium: A (a.test) and the console (console.example) on different sites, an idle
// limit of 5 s and an absolute limit of 24 s. Work on the console keeps A alive; idle everywhere ends both; the
// absolute limit ends both while the agent works; a console left open with live pushes and no clicks ends at the idle
// limit; the warning's "stay signed in" works from the keyboard; after the end, signing in returns to the same
// conversation.
import t from 'tap'
import { mkdirSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { type BrowserContext, type Page } from 'playwright-core'
import { APPS, PASSWORD, startConsoleSystem } from './helper.js'
import { checkAccessible, launchChromium, signInAtA } from './chromium.js'

const ARTIFACTS = new URL('../test-artifacts/', import.meta.url).pathname
mkdirSync(ARTIFACTS, { recursive: true })

const IDLE_S = 5
const ABSOLUTE_S = 24
const CHECK_MS = 1000
const POLL_MS = 500
/**
 * How long the page may take to show an end: B notices it within its check interval, the page within its poll (both
 * pinned with a moved clock in @kefu/sso-client's tests). Here it only bounds the waits, with room for a busy machine:
 * the tests assert what A says, not how fast a loaded machine passes it on.
 */
const SHOWN_WITHIN_MS = CHECK_MS + POLL_MS + 10_000
/** A person's pace between clicks: the test is about time passing while they work. */
const CLICK_EVERY_MS = 1200

const sys = await startConsoleSystem(t, {
  label: 'console_session_browser',
  aHost: 'a.test',
  consoleHost: 'console.example',
  a: { session: { secret: 'session-secret-session-secret-0123456789', idleTimeoutS: IDLE_S, absoluteTimeoutS: ABSOLUTE_S } },
  console: {
    // The console's own absolute limit is above A's, so that what ends it here is A's (B's cookie Max-Age is rounded
    // down to whole seconds and may lapse up to 1 s before its own limit).
    session: { secret: 'session-secret-session-secret-0123456789', idleTimeoutS: IDLE_S, absoluteTimeoutS: ABSOLUTE_S + 10 },
    sessionCheckMs: 500,
    checkIntervalMs: CHECK_MS,
    statusPollMs: POLL_MS,
    warnBeforeS: 2
  }
})
const SAFE = APPS[0]!.appid
const USERS = ['oSessionUser0000000000000001', 'oSessionUser0000000000000002']
for (const user of USERS) await sys.push(SAFE, 'text', { from: user, content: `hello from ${user.slice(-1)}` })

const browser = await launchChromium(t, sys)

async function newContext (t: { teardown: (fn: () => unknown) => void }, locale = 'zh-CN'): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale })
  t.teardown(() => context.close())
  return context
}

/** Opens the console (the sync login signs in by itself, through A at the top level) and waits until it is live. */
async function openConsole (page: Page, path = '/'): Promise<number> {
  await page.goto(sys.console.url + path)
  await page.waitForSelector('#agent', { timeout: 15_000 })
  await page.waitForFunction(() => document.querySelector('.status')?.textContent === '实时连接' || document.querySelector('.status')?.textContent === 'Live', undefined, { timeout: 15_000 })
  await page.waitForFunction(() => document.documentElement.dataset.session === 'active', undefined, { timeout: 5000 })
  return Date.now()
}

/** Asks A's /me with the browser's A cookies (counts as activity at A: ask only at the end of a step). */
async function signedInAtA (context: BrowserContext): Promise<boolean> {
  const cookie = (await context.cookies(sys.a.url)).map((c) => `${c.name}=${c.value}`).join('; ')
  const res = await fetch(sys.a.internalUrl + '/me', { headers: { host: new URL(sys.a.url).host, cookie, accept: 'application/json' } })
  return res.status === 200
}

async function sessionState (page: Page): Promise<string | undefined> {
  return await page.evaluate(() => document.documentElement.dataset.session)
}

/** Waits for the page to show the end, at the latest `SHOWN_WITHIN_MS` after A's end `at`. */
async function waitForEnded (page: Page, at: number): Promise<number> {
  await page.waitForFunction(() => document.documentElement.dataset.session === 'ended', undefined, { timeout: Math.max(1, at + SHOWN_WITHIN_MS - Date.now()), polling: 50 })
  return Date.now()
}

/** What B says of the A login (`/sso/status`, not activity): when it ends, idle (`expiresAt`) and absolutely (`capAt`). */
async function loginStatus (page: Page): Promise<{ active: boolean, expiresAt: number, capAt: number }> {
  return await page.evaluate(async () => await (await fetch('/sso/status', { headers: { 'x-kefu-activity': 'background' } })).json())
}

/** The person opens a conversation, and the page shows it. */
async function openConversation (page: Page, user: string, timeout = 5000): Promise<void> {
  await page.locator(`[data-conversation="${SAFE}/${user}"]`).click({ timeout })
  await page.locator('#chat-title', { hasText: user }).waitFor({ timeout })
}

t.test('working only on the console keeps A and the console signed in past three idle limits; the absolute limit ends both while working', async (t) => {
  const context = await newContext(t)
  const page = await context.newPage()
  const signedIn = await signInAtA(page, sys)
  await openConsole(page)
  await page.locator(`[data-conversation="${SAFE}/${USERS[0]}"]`).waitFor()
  const { capAt } = await loginStatus(page)

  // Clicks in the console only, at a person's pace, for three idle limits: nothing at A.
  let i = 0
  for (let next = Date.now(); Date.now() < signedIn + 3 * IDLE_S * 1000 + 500; next += CLICK_EVERY_MS) {
    await openConversation(page, USERS[i++ % 2]!)
    await sleep(Math.max(0, next + CLICK_EVERY_MS - Date.now()))
  }
  t.not(await sessionState(page), 'ended', 'the console is still signed in after three idle limits')
  t.equal((await page.evaluate(async () => (await fetch('/api/me', { headers: { 'x-kefu-activity': 'background' } })).status)), 200, 'its API answers')
  t.equal(await signedInAtA(context), true, 'A is still signed in: the console told it the agent was working')

  // Keep working: the absolute limit, counted from the sign-in at A, ends both anyway.
  let ending = false
  const working = (async () => {
    for (let next = Date.now(); !ending && await sessionState(page) !== 'ended'; next += CLICK_EVERY_MS) {
      // Once ended, the click lands on the notice or the page stops answering it: that is the end, not an error.
      await openConversation(page, USERS[i++ % 2]!, 1000).catch(() => {})
      await sleep(Math.max(0, next + CLICK_EVERY_MS - Date.now()))
    }
  })()
  const ended = await waitForEnded(page, capAt).finally(async () => { ending = true; await working })
  t.ok(ended >= capAt, `ended at the absolute limit A set, not before (${ended - capAt} ms after it)`)
  t.equal(await signedInAtA(context), false, 'A is signed out too')
  t.equal((await page.evaluate(async () => (await fetch('/api/me', { headers: { 'x-kefu-activity': 'background' } })).status)), 401, 'and the console')
})

t.test('a console left open with live pushes and no clicks: a warning, then both end at the idle limit; signing in again returns to the conversation', async (t) => {
  const context = await newContext(t)
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  await signInAtA(page, sys)
  const consolePage = await context.newPage()
  await page.close() // nothing more happens at A
  const row = consolePage.locator(`[data-conversation="${SAFE}/${USERS[0]}"]`)
  await openConsole(consolePage)
  await row.click()
  await consolePage.waitForURL(/\?c=/)
  const lastClick = Date.now()
  t.match(consolePage.url(), new RegExp(`\\?c=${SAFE}%2F${USERS[0]}$`), 'the open conversation is in the address')
  await consolePage.locator('#chat-title', { hasText: USERS[0]! }).waitFor()
  const { expiresAt: idleEnd } = await loginStatus(consolePage)

  // Live pushes keep arriving in the open conversation (the page refreshes and marks them read by itself), one
  // every 700 ms: the rate of a chatty customer, not a wait for anything.
  let pushing = true
  const pushes = (async () => {
    let n = 0
    while (pushing) {
      await sys.push(SAFE, 'text', { from: USERS[0], content: `still there? ${++n}` })
      await sleep(700)
    }
  })()
  t.teardown(async () => { pushing = false; await pushes })

  await consolePage.waitForFunction(() => document.documentElement.dataset.session === 'warning', undefined, { timeout: Math.max(1, idleEnd - Date.now()) })
  const warning = consolePage.locator('#kefu-session-warning')
  t.match(await warning.textContent(), /由于长时间没有操作，你将在 \d+ 秒后退出登录/, await warning.textContent() ?? '')
  t.match(await warning.textContent(), /保持登录/)
  await consolePage.screenshot({ path: ARTIFACTS + 'session-warning-1280.png' })

  const ended = await waitForEnded(consolePage, idleEnd)
  pushing = false
  await pushes
  t.ok(ended >= idleEnd, `not before the idle limit A set (${ended - idleEnd} ms after it, ${ended - lastClick} ms after the last click)`)
  t.equal(await signedInAtA(context), false, 'idle everywhere: A is signed out too')
  const notice = consolePage.locator('#kefu-session-ended')
  t.match(await notice.textContent(), /登录已结束/)
  t.equal(await consolePage.evaluate(() => document.activeElement?.id), 'kefu-session-sign-in', 'the sign-in link has the focus')
  await consolePage.screenshot({ path: ARTIFACTS + 'session-ended-1280.png' })
  await checkAccessible(t, consolePage, 'the console once the session ended')

  // Sign in again from the notice, with the keyboard: back to the same conversation.
  await consolePage.keyboard.press('Enter')
  await consolePage.waitForURL(new RegExp('^' + sys.a.url.replace(/\./g, '\\.') + '/login'))
  await consolePage.waitForFunction(() => document.activeElement?.id === 'username')
  await consolePage.keyboard.type('alice')
  await consolePage.keyboard.press('Tab')
  await consolePage.keyboard.type(PASSWORD)
  await consolePage.keyboard.press('Enter')
  await consolePage.waitForURL(new RegExp(`^${sys.console.url.replace(/\./g, '\\.')}/\\?c=`), { timeout: 15_000 })
  await consolePage.waitForSelector(`#chat-title >> text=${USERS[0]}`, { timeout: 10_000 })
  t.pass('back in the same conversation')
  t.same(errors, [], 'no script errors')
})

t.test('“stay signed in” from the keyboard keeps the session; English', async (t) => {
  const context = await newContext(t, 'en-US')
  const page = await context.newPage()
  await signInAtA(page, sys)
  await openConsole(page)
  const { expiresAt: firstEnd } = await loginStatus(page)
  await page.waitForFunction(() => document.documentElement.dataset.session === 'warning', undefined, { timeout: Math.max(1, firstEnd - Date.now()) })
  t.match(await page.locator('#kefu-session-warning').textContent(), /You have been inactive: you will be signed out in \d s/)
  t.equal(await page.evaluate(() => document.activeElement?.textContent), 'Stay signed in', 'the button has the focus (nothing else had it)')
  const stayed = Date.now()
  await page.keyboard.press('Enter')
  await page.waitForFunction(() => document.documentElement.dataset.session === 'active', undefined, { timeout: 3000 })
  t.ok(stayed < firstEnd, 'clicked before the limit')
  const status = await loginStatus(page)
  t.ok(status.expiresAt >= stayed + IDLE_S * 1000, `A moved the end to the idle limit counted from the click (${status.expiresAt - stayed} ms after it)`)
  // The one window kept: that the old end passes without ending anything can only be seen by letting it pass, for as
  // long as the page would take to show it (B's check interval and the page's poll).
  await sleep(Math.max(0, firstEnd + CHECK_MS + POLL_MS - Date.now()))
  t.not(await sessionState(page), 'ended', 'past the limit counted from before the click: still signed in')
  const ended = await waitForEnded(page, status.expiresAt)
  t.ok(ended >= status.expiresAt, 'then it ends at the idle limit counted from the click')
  t.match(await page.locator('#kefu-session-ended').textContent(), /Your session has ended/)
})
