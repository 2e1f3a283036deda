/// <reference lib="dom" />
import t from 'tap'
import { mkdirSync } from 'node:fs'
import { type Page } from 'playwright-core'
import { ORDER_TEMPLATE, appsWithTemplates, startConsoleSystem } from '../../test/helper.js'
import { checkAccessible, launchChromium, newPage, signInAtA } from '../../test/chromium.js'

const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url).pathname
mkdirSync(ARTIFACTS, { recursive: true })

const ORDER = ORDER_TEMPLATE.templateId
const apps = appsWithTemplates(1, [
  ORDER_TEMPLATE,
  { templateId: 'tplServiceNotice-0000000000000000000000002', title: '服务进度通知', fields: [{ key: 'thing1', label: '服务项目' }], longTerm: true }
])
const sys = await startConsoleSystem(t, { label: 'console_subscribe_browser', aHost: 'a.kefu.test', consoleHost: 'console.kefu.test', apps })
const SAFE = apps[0]!.appid
const USER = 'oSubscribeUser0000000000001'
let clock = Math.floor(Date.now() / 1000) - 600

const browser = await launchChromium(t, sys)

async function signIn (page: Page): Promise<void> {
  await signInAtA(page, sys)
  await page.goto(`${sys.console.url}/?c=${SAFE}/${USER}`)
  await page.waitForSelector('#agent', { timeout: 10_000 })
}

/** The customer accepts the order template once: WeChat learns it (the fake) and pushes the popup event (ingest). */
async function accept (): Promise<void> {
  sys.fake.grantSubscription(SAFE, USER, ORDER, 1)
  await sys.push(SAFE, 'subscribe_msg_popup_event', { from: USER, createTime: clock++, items: [{ templateId: ORDER }] })
}

t.test('the window has closed: the page says so, offers what the customer accepted, checks the fields and sends, live', async (t) => {
  await sys.push(SAFE, 'text', { from: USER, content: '我的键盘发货了吗？', createTime: Math.floor(Date.now() / 1000) - 49 * 3600 })
  const { page, errors } = await newPage(t, browser)
  await signIn(page)

  await page.waitForSelector('#subscribe:not([hidden])', { timeout: 10_000 })
  t.match(await page.textContent('#window-info'), /回复窗口已关闭/)
  t.match(await page.textContent('#subscribe-notice'), /回复窗口已关闭.*用户没有可用的订阅/)
  const offer = page.locator(`.subscribe-offer[data-template="${ORDER}"]`)
  t.equal(await offer.textContent(), '订单状态提醒：客户未订阅')
  t.ok(await offer.isDisabled(), 'nothing to send before the customer accepts')
  t.ok(await page.locator('#send').isDisabled(), 'the reply composer stays blocked')

  // The customer accepts in the mini program: the offer appears by itself.
  await accept()
  await page.waitForSelector(`.subscribe-offer[data-template="${ORDER}"]:not([disabled])`, { timeout: 5000 })
  t.equal(await offer.textContent(), '发送订阅消息：订单状态提醒（剩余 1 次）')
  t.match(await page.textContent('.timeline'), /客户同意接收订阅消息「订单状态提醒」/)

  // Keyboard only: focus the offer, Enter opens its form, Tab through the fields.
  await offer.focus()
  await page.keyboard.press('Enter')
  await page.waitForFunction(() => document.activeElement?.id === 'subscribe-character_string1')
  t.match(await page.textContent('#subscribe-form'), /只能是汉字，最多 5 个/, 'each field says what it takes')
  t.match(await page.textContent('#subscribe-form'), /pages\/order\/detail\?/)
  await page.keyboard.type('SN-0042')
  await page.keyboard.press('Tab')
  await page.keyboard.type('一二三四五六七八九十一二三四五六七八九十一')
  await page.keyboard.press('Tab')
  await page.keyboard.type('已发货')
  await page.keyboard.press('Tab')
  await page.keyboard.type('orderId=42')
  await page.keyboard.press('Enter')
  await page.waitForFunction(() => /商品名称 \(thing2\)：最多 20 个字符/.test(document.querySelector('#subscribe-error')?.textContent ?? ''))
  t.equal(sys.fake.subscribeMessages().length, 0, 'refused before WeChat was called')
  await checkAccessible(t, page, 'the subscribe form with a refused field at 1280×800')

  await page.fill('#subscribe-thing2', '机械键盘 87 键')
  await page.focus('#subscribe-query')
  await page.keyboard.press('Enter')
  const sent = page.locator('.msg.out[data-status=sent]')
  await sent.waitFor({ timeout: 5000 })
  t.match(await sent.textContent(), /\[订阅消息\] 订单状态提醒\n订单号：SN-0042\n商品名称：机械键盘 87 键\n订单状态：已发货\n打开 pages\/order\/detail\?orderId=42/)
  t.strictSame(sys.fake.subscribeMessages(SAFE).map((s) => s.body), [{
    touser: USER,
    template_id: ORDER,
    page: 'pages/order/detail?orderId=42',
    data: { character_string1: { value: 'SN-0042' }, thing2: { value: '机械键盘 87 键' }, phrase3: { value: '已发货' } }
  }], 'WeChat got exactly this JSON')
  await page.waitForSelector('#subscribe-form[hidden]', { state: 'attached' })
  t.equal(await offer.textContent(), '订单状态提醒：客户同意的次数已用完', 'the one acceptance is spent: used up, not “not accepted”')
  await page.screenshot({ path: ARTIFACTS + 'console-subscribe-sent-1280.png' })

  // WeChat's delivery result arrives live.
  const [took] = sys.fake.subscribeMessages(SAFE)
  await sys.push(SAFE, 'subscribe_msg_sent_event', { from: USER, createTime: Math.floor(Date.now() / 1000) + 1, items: [{ templateId: ORDER, msgId: BigInt(took!.msgId) }] })
  await page.waitForSelector('.msg.event >> text=订阅消息「订单状态提醒」已送达', { timeout: 5000 })

  // WeChat refuses one (the customer turned it off there): the failure shows in the form and the timeline.
  await accept()
  await page.waitForSelector(`.subscribe-offer[data-template="${ORDER}"]:not([disabled])`, { timeout: 5000 })
  sys.fake.revokeSubscription(SAFE, USER, ORDER)
  await offer.click()
  await page.fill('#subscribe-character_string1', 'SN-0043')
  await page.fill('#subscribe-thing2', '键帽')
  await page.fill('#subscribe-phrase3', '配送中')
  await page.click('#subscribe-send')
  await page.waitForSelector('.msg.out[data-status=failed]', { timeout: 5000 })
  t.match(await page.textContent('#subscribe-error'), /\[43101\] 用户未订阅该模板/)
  await page.setViewportSize({ width: 390, height: 844 })
  await checkAccessible(t, page, 'the subscribe form after WeChat refused, at 390×844')
  await page.screenshot({ path: ARTIFACTS + 'console-subscribe-failed-390.png', fullPage: true })
  t.same(errors, [], 'no script errors')
})

t.test('in English', async (t) => {
  const { page } = await newPage(t, browser, { locale: 'en-US' })
  await signIn(page)
  await page.waitForSelector('#subscribe:not([hidden])', { timeout: 10_000 })
  t.match(await page.textContent('#subscribe-title'), 'Subscribe messages')
  t.match(await page.textContent('#subscribe-notice'), /The reply window is closed/)
  await accept()
  await page.waitForSelector(`.subscribe-offer[data-template="${ORDER}"]:not([disabled])`, { timeout: 5000 })
  t.equal(await page.textContent(`.subscribe-offer[data-template="${ORDER}"]`), 'Send a subscribe message: 订单状态提醒 (1 left)')
  t.match(await page.textContent('.subscribe-offers'), /服务进度通知: not accepted by the customer/)
  t.match(await page.textContent('.timeline'), /\[Subscribe message\] 订单状态提醒/)
  t.match(await page.textContent('.timeline'), /“订单状态提醒” was delivered/)
  await page.click(`.subscribe-offer[data-template="${ORDER}"]`)
  await page.waitForSelector('#subscribe-form:not([hidden])')
  t.match(await page.textContent('#subscribe-form'), /Chinese characters only, at most 5/)
  await page.keyboard.press('Escape')
  await page.waitForSelector('#subscribe-form[hidden]', { state: 'attached' })
  await page.screenshot({ path: ARTIFACTS + 'console-subscribe-en-1280.png' })
})
