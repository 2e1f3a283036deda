/// <reference lib="dom" />
// The Mini programs page in Chromium, as an owner: the list (paged by the server), a form with mistakes, adding one,
// the values to paste into WeChat with copy buttons, Test; at 1280×800 in Chinese and 390×844 in English, with
// axe-core finding nothing serious or critical (in the dark theme too).
import t from 'tap'
import { type Browser, type Page } from 'playwright-core'
import { within } from '@kefu/service/testing'
import { APPS, addAgent, startConsoleSystem } from '../../test/helper.js'
import { checkAccessible, launchChromium, signInAtA } from '../../test/chromium.js'

const sys = await startConsoleSystem(t, { label: 'console_mini_programs_browser', aHost: 'a.kefu.test', consoleHost: 'console.kefu.test' })
await addAgent(sys, 'olivia', [APPS[0]!.appid], { role: 'admin', owner: true })
for (let i = 0; i < 25; i++) await sys.console.app.miniPrograms.save({ appid: `wx${(0xb000 + i).toString(16).padStart(16, '0')}`, token: `shop${i}token`, name: `门店 ${i}` }, 'olivia')

const NEW = { appid: 'wx0f1e2d3c4b5a6978', token: 'BrowserToken2468', secret: 'aabbccddeeff00112233445566778899' }
const scriptErrors: string[] = []

async function ownerPage (browser: Browser, viewport: { width: number, height: number }, locale: string, colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
  const context = await browser.newContext({ viewport, locale, colorScheme })
  const page = await context.newPage()
  page.on('pageerror', (err) => scriptErrors.push(err.message))
  await signInAtA(page, sys, 'olivia')
  await page.goto(sys.console.url + '/')
  await page.locator('#open-mini-programs').waitFor({ state: 'visible', timeout: 15_000 })
  await page.locator('#open-mini-programs').focus()
  await page.keyboard.press('Enter')
  await page.waitForURL(sys.console.url + '/mini-programs')
  await page.locator('.mp-list table').waitFor({ timeout: 10_000 })
  return page
}

t.test('1280×800, Chinese: list and pages, a form with mistakes, add, paste values, Test', async (t) => {
  const browser = await launchChromium(t, sys)
  const page = await ownerPage(browser, { width: 1280, height: 800 }, 'zh-CN')
  t.equal(await page.locator('.mp-list tbody tr').count(), 20, 'one page: 20 rows, not the 28 there are')
  t.match(await page.locator('.mp-list caption').textContent(), /共 28 个/)
  t.equal(await page.locator('#mp-authorize').count(), 0, 'no third-party platform here: no authorize button')
  await checkAccessible(t, page, 'the list')
  await page.getByRole('button', { name: '下一页' }).click()
  await page.waitForFunction(() => document.querySelectorAll('.mp-list tbody tr').length === 8)

  await page.locator('#mp-search').fill('门店 1')
  await page.keyboard.press('Enter')
  await page.waitForFunction(() => /共 11 个/.test(document.querySelector('.mp-list caption')?.textContent ?? ''))

  await page.locator('#mp-add').click()
  await page.locator('#mp-appid').fill('wx123')
  await page.locator('#mp-token').fill('x')
  await page.getByRole('button', { name: '保存' }).click()
  await page.locator('.mp-errors li').first().waitFor()
  t.equal(await page.locator('.mp-errors li').count(), 2, 'one line per mistake')
  await checkAccessible(t, page, 'the form with its mistakes')
  t.equal(await sys.prisma.miniProgram.count({ where: { appId: 'wx123' } }), 0)

  await page.locator('#mp-appid').fill(NEW.appid)
  await page.locator('#mp-token').fill(NEW.token)
  await page.getByRole('button', { name: '随机生成 EncodingAESKey（消息加密密钥）' }).click()
  const key = await page.locator('#mp-encodingAESKey').inputValue()
  t.match(key, /^[A-Za-z0-9]{43}$/, 'a key generated in the browser')
  await page.locator('#mp-secret').fill(NEW.secret)
  await page.getByRole('button', { name: '保存' }).click()
  await page.locator('.mp-push').waitFor()
  const push = await page.locator('.mp-push').textContent()
  t.match(push, `http://127.0.0.1:3000/wechat/${NEW.appid}`)
  t.match(push, NEW.token)
  t.match(push, key)
  t.ok(await page.getByRole('button', { name: '复制 URL（服务器地址）' }).count() === 1, 'a copy button for the URL')
  await checkAccessible(t, page, 'the values to paste into WeChat')

  // Reloaded, the page knows only the last four characters.
  await page.reload()
  await page.locator('#mp-search').fill(NEW.appid)
  await page.keyboard.press('Enter')
  await page.waitForFunction(() => document.querySelectorAll('.mp-list tbody tr').length === 1)
  t.notOk((await page.content()).includes(NEW.token), 'the stored token is not in the page')
  sys.fake.addApp(NEW.appid, NEW.secret)
  await page.getByRole('button', { name: '测试' }).click()
  await page.waitForFunction(() => /access_token/.test(document.querySelector('.status')?.textContent ?? ''))

  // Its options: a template with a mistake is refused in one line, a good one saved and in effect.
  await page.getByRole('button', { name: '功能设置' }).click()
  await page.locator('#mp-templates').fill('[{"templateId":"tplBrowser-0000000000000000000000000001","title":"订单状态提醒","fields":["nokind1"]}]')
  await page.getByRole('button', { name: '保存' }).click()
  await page.locator('.mp-errors li').first().waitFor()
  t.match(await page.locator('.mp-errors li').textContent(), /not a WeChat field key/)
  await checkAccessible(t, page, 'the options form with its mistake')
  await page.locator('#mp-templates').fill('[{"templateId":"tplBrowser-0000000000000000000000000001","title":"订单状态提醒","fields":[{"key":"thing1","label":"商品"}]}]')
  await page.locator('#mp-transfer').check()
  await page.getByRole('button', { name: '保存' }).click()
  await page.waitForFunction(() => document.querySelector('.status')?.textContent === '已保存。' || document.querySelector('#mp-templates') === null)
  t.ok(await within(2000, async () => sys.console.app.miniPrograms.find(NEW.appid)?.subscribeTemplates?.[0]?.templateId === 'tplBrowser-0000000000000000000000000001'), 'the template is in effect')
  t.equal(sys.console.app.miniPrograms.find(NEW.appid)?.transferCustomerService, true)
  t.same(scriptErrors, [])
})

t.test('390×844, English: the page fits the phone and is accessible', async (t) => {
  const browser = await launchChromium(t, sys)
  const page = await ownerPage(browser, { width: 390, height: 844 }, 'en-US')
  t.match(await page.locator('h1').textContent(), /Mini programs/)
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  t.ok(overflow <= 0, `no sideways scrolling of the page (${overflow}px)`)
  await checkAccessible(t, page, 'the list on a phone')
  await page.locator('#mp-add').click()
  await checkAccessible(t, page, 'the form on a phone')
  t.same(scriptErrors, [])
})

t.test('1280×800, dark: mistakes and the values to paste are readable (axe-core)', async (t) => {
  const browser = await launchChromium(t, sys)
  const page = await ownerPage(browser, { width: 1280, height: 800 }, 'en-US', 'dark')
  await checkAccessible(t, page, 'the list, dark')
  await page.locator('#mp-add').click()
  await page.locator('#mp-appid').fill('wx123')
  await page.locator('#mp-token').fill('x')
  await page.getByRole('button', { name: 'Save' }).click()
  await page.locator('.mp-errors li').first().waitFor()
  await checkAccessible(t, page, 'the form with its mistakes, dark')
  await page.locator('#mp-appid').fill('wx0f1e2d3c4b5a6979')
  await page.locator('#mp-token').fill('DarkToken13579')
  await page.getByRole('button', { name: 'Save' }).click()
  await page.locator('.mp-push .hint').waitFor()
  await checkAccessible(t, page, 'the values to paste into WeChat, dark')
  t.same(scriptErrors, [])
})
