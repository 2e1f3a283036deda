// pnpm screenshots: the console's views at 1280×800 and 390×844, light and dark, into docs/screenshots/ (PNG at device
// scale 1). Starts the console test system (test/helper.ts: its own database, a fake WeChat), fills it with a few
// conversations, and drives Debian's Chromium through playwright-core.
import { mkdirSync } from 'node:fs'
import { chromium, type Page } from 'playwright-core'
import { APPS, Agent, addAgent, startConsoleSystem } from '../test/helper.js'
import { signInAtA } from '../test/chromium.js'

const OUT = new URL('../../../docs/screenshots/', import.meta.url).pathname
mkdirSync(OUT, { recursive: true })
const teardowns: Array<() => unknown> = []
const t = { teardown: (fn: () => unknown) => { teardowns.push(fn) } }

try {
  const sys = await startConsoleSystem(t, { label: 'console_screenshots', aHost: 'a.kefu.test', consoleHost: 'console.kefu.test', worker: { autoAssignSweepMs: 0 } })
  const SAFE = APPS[0]!.appid
  await addAgent(sys, 'alice', APPS.map((a) => a.appid), { role: 'admin', owner: true, availability: 'online' })
  await addAgent(sys, 'bob', [SAFE], { availability: 'online' })
  const alice = new Agent()
  await alice.signIn(sys)
  const customers: Array<[string, string | null, string[]]> = [
    ['o_demo_li_0123456789', '李女士', ['你好，我的订单 DD20261207 还没有发货', '能帮我查一下吗？']],
    ['o_demo_wang_987654321', '王先生 · VIP', ['我想退货，商品有划痕']],
    ['o_demo_anon_5566778899', null, ['在吗']],
    ['o_demo_chen_1122334455', 'Chen Yu', ['Can I change the delivery address?']]
  ]
  for (const [openid, name, texts] of customers) {
    for (const content of texts) await sys.push(SAFE, 'text', { from: openid, content })
    if (name !== null) await alice.api(sys, 'PUT', `/api/conversations/${SAFE}/${openid}/name`, { displayName: name })
  }
  await alice.api(sys, 'POST', `/api/conversations/${SAFE}/o_demo_li_0123456789/claim`)
  await alice.api(sys, 'POST', `/api/conversations/${SAFE}/o_demo_li_0123456789/messages`, { type: 'text', text: '您好，我来帮您查一下，请稍等。' })
  await alice.api(sys, 'PATCH', `/api/conversations/${SAFE}/o_demo_li_0123456789/customer`, { tags: ['老客户', '物流'], note: '喜欢电话联系' })
  const bob = new Agent()
  await bob.signIn(sys, 'bob')
  await bob.api(sys, 'POST', `/api/conversations/${SAFE}/o_demo_wang_987654321/notes`, { text: '@alice 这位客户要退货，麻烦看一下' })
  await alice.api(sys, 'POST', '/api/quick-replies', { scope: 'shared', appId: SAFE, shortcut: 'wait', text: '{{customer.name}}您好，我是{{agent.name}}，马上为您查询。' })
  await sys.worker.app.history.catchUp()

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', `--host-resolver-rules=${sys.hosts.map((h) => `MAP ${h} 127.0.0.1`).join(',')}`]
  })
  teardowns.push(() => browser.close())
  const ready = (page: Page): Promise<unknown> => page.waitForFunction(() => document.querySelector('.status')?.textContent === '实时连接', undefined, { timeout: 15_000 })
  const views: Array<[string, (page: Page) => Promise<void>]> = [
    ['conversations', async (page) => { await page.goto(sys.console.url + '/'); await ready(page) }],
    ['conversation', async (page) => {
      await page.goto(sys.console.url + `/?c=${SAFE}/o_demo_li_0123456789`)
      await ready(page)
      await page.waitForSelector('.timeline .msg')
    }],
    ['search', async (page) => {
      await page.goto(sys.console.url + '/')
      await ready(page)
      await page.click('#open-search')
      await page.fill('#search-q', '订单')
      await page.keyboard.press('Enter')
      await page.waitForSelector('.search-hit')
    }],
    ['admin', async (page) => {
      await page.goto(sys.console.url + '/')
      await ready(page)
      await page.click('#open-admin')
      await page.waitForSelector('dialog[open]')
    }],
    ['quick-reply', async (page) => {
      await page.goto(sys.console.url + `/?c=${SAFE}/o_demo_li_0123456789`)
      await ready(page)
      await page.focus('#reply-text')
      await page.keyboard.type('/')
      await page.waitForSelector('#qr-picker li[data-shortcut]')
    }],
    ['palette', async (page) => {
      await page.goto(sys.console.url + '/')
      await ready(page)
      await page.keyboard.press('Control+k')
      await page.waitForSelector('#palette[open]')
      await page.keyboard.type('王')
      await page.waitForSelector('#palette-options [role=option]')
    }],
    ['mentions', async (page) => {
      await page.goto(sys.console.url + '/')
      await ready(page)
      await page.click('#mentions-summary')
      await page.waitForSelector('#mention-list li.mention')
    }],
    ['reports', async (page) => { await page.goto(sys.console.url + '/reports'); await page.waitForSelector('h1') }],
    ['mini-programs', async (page) => { await page.goto(sys.console.url + '/mini-programs'); await page.waitForSelector('h1') }]
  ]
  for (const [width, height] of [[1280, 800], [390, 844]] as const) {
    for (const scheme of ['light', 'dark'] as const) {
      const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1, locale: 'zh-CN', colorScheme: scheme })
      const page = await context.newPage()
      await signInAtA(page, sys)
      for (const [name, show] of views) {
        await show(page)
        await page.evaluate(() => document.fonts.ready)
        const file = `${name}-${width}-${scheme}.png`
        await page.screenshot({ path: OUT + file })
        console.log('docs/screenshots/' + file)
      }
      await context.close()
    }
  }
} finally {
  for (const fn of teardowns.reverse()) await fn()
}
