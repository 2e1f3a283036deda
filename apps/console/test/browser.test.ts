/// <reference lib="dom" />
import t from 'tap'
import { mkdirSync } from 'node:fs'
import { APPS, startConsoleSystem } from './helper.js'
import { launchChromium, newPage, signInAtA } from './chromium.js'

// Screenshots of the console are kept as test artifacts here.
const ARTIFACTS = new URL('../test-artifacts/', import.meta.url).pathname
mkdirSync(ARTIFACTS, { recursive: true })

const sys = await startConsoleSystem(t, { label: 'console_browser', aHost: 'a.kefu.test', consoleHost: 'console.kefu.test' })
const SAFE = APPS[0]!.appid
const USER = 'oE2EUser00000000000000000001'

const browser = await launchChromium(t, sys)

t.test('an agent signs in at A, sees a push arrive live, replies, and sees it sent; a 45015 shows as a clear failure', async (t) => {
  const { page, errors } = await newPage(t, browser)

  await signInAtA(page, sys)
  await page.goto(sys.console.url + '/')
  // The sync login signs the agent in on the console by itself (one reload), then the console starts.
  await page.waitForSelector('#agent', { timeout: 10_000 })
  t.match(await page.textContent('#agent'), /alice/)
  await page.waitForFunction(() => document.querySelector('.status')?.textContent === '实时连接', undefined, { timeout: 10_000 })

  let navigations = 0
  page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) navigations++ })
  await sys.push(SAFE, 'text', { from: USER, content: '你好，我的订单到哪了？' })
  // How fast is pnpm bench:console's question; here: it arrives at all, by itself, without a reload.
  const row = page.locator(`[data-conversation="${SAFE}/${USER}"]`)
  await row.waitFor({ timeout: 5000 })
  t.equal(navigations, 0, 'the push appeared live, without a reload')
  t.match(await row.textContent(), /你好，我的订单到哪了？/)
  t.match(await row.textContent(), /1/, 'one unread')

  // Keyboard: focus the conversation and open it with Enter.
  await row.focus()
  await page.keyboard.press('Enter')
  await page.waitForSelector('.msg.in >> text=你好，我的订单到哪了？')
  t.match(await page.textContent('#window-info'), /可回复 5 条/)
  await page.waitForFunction(() => document.activeElement?.id === 'reply-text')
  sys.fake.clearRequests()
  await page.keyboard.type('您好，订单今天发出 🚚')
  await page.keyboard.press('Enter')
  await page.waitForSelector('.msg.out[data-status=sent] >> text=您好，订单今天发出 🚚', { timeout: 5000 })
  const sends = sys.fake.requests.filter((r) => r.api === 'custom/send')
  t.equal(sends.length, 1)
  t.same(sends[0]!.body, { touser: USER, msgtype: 'text', text: { content: '您好，订单今天发出 🚚' } }, 'WeChat got exactly this JSON')
  t.equal(sends[0]!.token, 'valid', 'with a valid access token')
  t.ok(sys.fake.requests.some((r) => r.api === 'typing' && (r.body as { command: string }).command === 'Typing'), 'typing was shown while composing')
  // The window line is refreshed after the reply's answer: wait for it rather than race it.
  await page.waitForFunction(() => /可回复 4 条/.test(document.querySelector('#window-info')?.textContent ?? ''), undefined, { timeout: 5000 })
  t.match(await page.textContent('#window-info'), /可回复 4 条/)
  await page.screenshot({ path: ARTIFACTS + 'console-reply-sent-1280.png' })

  sys.fake.failNext('custom/send', 45015)
  await page.keyboard.type('还在吗？')
  await page.keyboard.press('Enter')
  const failed = page.locator('.msg.out[data-status=failed]')
  await failed.waitFor({ timeout: 5000 })
  t.match(await failed.textContent(), /45015/)
  t.match(await failed.textContent(), /48 小时|回复时限|窗口/)
  t.match(await page.textContent('#notice'), /45015/)
  await page.screenshot({ path: ARTIFACTS + 'console-reply-failed-1280.png' })

  await page.setViewportSize({ width: 390, height: 844 })
  await page.screenshot({ path: ARTIFACTS + 'console-phone-390.png' })
  t.same(errors, [], 'no script errors')
})

t.test('English when the browser asks for it; an agent without mini programs sees none', async (t) => {
  const { page } = await newPage(t, browser, { locale: 'en-US' })
  await signInAtA(page, sys, 'mallory')
  await page.goto(sys.console.url + '/')
  await page.waitForSelector('#agent', { timeout: 10_000 })
  t.match(await page.textContent('#agent'), /Agent: mallory/)
  await page.waitForSelector('.empty')
  t.match(await page.textContent('.empty'), /No mini program is assigned to you/)
  t.equal(await page.locator('[data-conversation]').count(), 0)
  await page.screenshot({ path: ARTIFACTS + 'console-unassigned-en.png' })
})
