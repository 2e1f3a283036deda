/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Issue 23, what agents expect, in Chromium: drafts kept per conversation across reloads (gone on sign-out), the
// "new messages" separator, the command palette (customers by name, the conversation actions) and single-key
// shortcuts, Escape closing what is open, pasting or dropping an image, and each reply's delivery state with a retry;
// axe-core on each at 1280×800 and 390×844.
import t from 'tap'
import { type BrowserContext, type Page } from 'playwright-core'
import { addAgent, Agent, appsWithTemplates, ORDER_TEMPLATE, startConsoleSystem } from '../../test/helper.js'
import { checkAccessible, handFile, launchChromium, signInAtA } from '../../test/chromium.js'

const apps = appsWithTemplates(1, [ORDER_TEMPLATE])
const sys = await startConsoleSystem(t, { label: 'console_keys_browser', aHost: 'a.kefu.test', consoleHost: 'console.kefu.test', apps, worker: { autoAssignSweepMs: 0 } })
const SAFE = apps[0]!.appid
await sys.prisma.agent.upsert({ where: { username: 'alice' }, create: { username: 'alice', role: 'admin', owner: true }, update: { role: 'admin', owner: true } })
await addAgent(sys, 'bob', [SAFE])

const browser = await launchChromium(t, sys)
const scriptErrors: string[] = []

/** alice's console in a context of its own, open at `openid`'s conversation when given. */
async function consoleOf (t: { teardown: (fn: () => unknown) => void }, opts: { openid?: string, locale?: string } = {}): Promise<{ context: BrowserContext, page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: opts.locale ?? 'zh-CN' })
  t.teardown(() => context.close())
  const page = await context.newPage()
  page.on('pageerror', (err) => scriptErrors.push(err.message))
  await signInAtA(page, sys)
  await openConsole(page, opts.openid)
  return { context, page }
}

async function openConsole (page: Page, openid?: string): Promise<void> {
  await page.goto(sys.console.url + '/' + (openid === undefined ? '' : `?c=${SAFE}/${openid}`))
  await page.waitForFunction(() => ['实时连接', 'Live'].includes(document.querySelector('.status')?.textContent ?? ''), undefined, { timeout: 15_000 })
  if (openid !== undefined) await page.waitForSelector('.timeline .msg', { timeout: 10_000 })
}

/** axe-core on what is shown, at 1280×800 and on a phone (390×844), back at 1280×800 after. */
async function checkBothSizes (t: Parameters<typeof checkAccessible>[0], page: Page, view: string): Promise<void> {
  await checkAccessible(t, page, `${view} (1280×800)`)
  await page.setViewportSize({ width: 390, height: 844 })
  await checkAccessible(t, page, `${view} (390×844)`)
  await page.setViewportSize({ width: 1280, height: 800 })
}
const focusedId = (page: Page): Promise<string | undefined> => page.evaluate(() => document.activeElement?.id)

const drafts = (page: Page): Promise<Record<string, string>> => page.evaluate(() => Object.fromEntries(Object.entries(localStorage).filter(([k]) => k.startsWith('kefu.draft.'))))

t.test('a reply draft is kept per conversation across reloads, forgotten when sent and on sign-out', async (t) => {
  const ONE = 'oDraftUserOne00000000000001'
  const TWO = 'oDraftUserTwo00000000000001'
  await sys.push(SAFE, 'text', { from: ONE, content: '第一位客户' })
  await sys.push(SAFE, 'text', { from: TWO, content: '第二位客户' })
  const { context, page } = await consoleOf(t, { openid: ONE })
  await page.locator('#reply-text').fill('您好，订单已经')
  await page.waitForFunction(() => Object.keys(localStorage).some((k) => k.startsWith('kefu.draft.')), undefined, { timeout: 5000 })
  t.same(await drafts(page), { [`kefu.draft.${SAFE}/${ONE}`]: '您好，订单已经' }, 'kept as typed')

  await page.locator(`[data-conversation="${SAFE}/${TWO}"]`).click()
  await page.waitForSelector('.msg.in >> text=第二位客户')
  t.equal(await page.inputValue('#reply-text'), '', 'another conversation: its own (empty) draft')
  await page.locator('#reply-text').fill('稍等')

  await page.reload()
  await page.waitForSelector('.msg.in >> text=第二位客户', { timeout: 10_000 })
  t.equal(await page.inputValue('#reply-text'), '稍等', 'after a reload, the draft of the conversation opened last')
  await page.locator(`[data-conversation="${SAFE}/${ONE}"]`).click()
  await page.waitForSelector('.msg.in >> text=第一位客户')
  t.equal(await page.inputValue('#reply-text'), '您好，订单已经', 'and the first one’s back where it was')

  await page.locator('#reply-text').fill('您好，订单已经发货')
  await page.keyboard.press('Enter')
  await page.waitForSelector('.msg.out >> text=您好，订单已经发货', { timeout: 10_000 })
  t.equal(await page.inputValue('#reply-text'), '')
  t.same(await drafts(page), { [`kefu.draft.${SAFE}/${TWO}`]: '稍等' }, 'sent: its draft is forgotten, the other kept')

  const a = await context.newPage()
  await a.goto(sys.a.url + '/')
  await a.locator('#logout').focus()
  await a.keyboard.press('Enter')
  await a.waitForURL(/\/login\?signed_out=1$/)
  await page.waitForFunction(() => document.documentElement.dataset.session === 'ended', undefined, { timeout: 20_000 })
  t.same(await drafts(page), {}, 'signed out: no draft left in storage')
  t.equal(await page.inputValue('#reply-text').catch(() => ''), '', 'nor on screen')
})

t.test('opening a conversation with unread messages puts “New messages” above the first unread one, in view', async (t) => {
  const USER = 'oUnreadUser000000000000001'
  for (let i = 1; i <= 14; i++) await sys.push(SAFE, 'text', { from: USER, content: `旧消息 ${i}` })
  const alice = new Agent()
  await alice.signIn(sys)
  t.equal((await alice.api(sys, 'POST', `/api/conversations/${SAFE}/${USER}/read`)).status, 204)
  await sys.push(SAFE, 'text', { from: USER, content: '新消息一' })
  await sys.push(SAFE, 'text', { from: USER, content: '新消息二' })
  const { page } = await consoleOf(t, { openid: USER })
  await page.waitForSelector('.unread-separator', { timeout: 10_000 })
  t.equal(await page.locator('.unread-separator').count(), 1)
  t.equal(await page.textContent('.unread-separator'), '新消息')
  t.equal(await page.locator('.unread-separator + .msg').textContent().then((x) => x?.startsWith('新消息一')), true, 'right above the first unread message')
  t.equal(await page.locator('.unread-separator').evaluate((e) => e.previousElementSibling?.textContent?.startsWith('旧消息 14')), true, 'after what was read')
  const box = await page.locator('.timeline').boundingBox()
  const mark = await page.locator('.unread-separator').boundingBox()
  t.ok(box !== null && mark !== null && mark.y >= box.y - 1 && mark.y + mark.height <= box.y + box.height + 1, 'in view')

  t.ok(await page.locator('.msg.in >> text=新消息二').isVisible(), 'with the newest message, which fits below it')
  const gap = await page.locator('.timeline').evaluate((e) => e.scrollHeight - e.scrollTop - e.clientHeight)
  t.ok(gap < 2, `the timeline at its end (${gap} px)`)
  await checkBothSizes(t, page, 'a conversation with its unread separator')

  // Read now: opened again, no separator.
  await page.reload()
  await page.waitForSelector('.msg.in >> text=新消息二', { timeout: 10_000 })
  t.equal(await page.locator('.unread-separator').count(), 0, 'nothing unread: no separator')
})

t.test('more unread messages than the timeline shows: the separator at its top; none in a conversation never read', async (t) => {
  const USER = 'oManyUnreadUser0000000001'
  await sys.push(SAFE, 'text', { from: USER, content: '读过的消息' })
  const alice = new Agent()
  await alice.signIn(sys)
  t.equal((await alice.api(sys, 'POST', `/api/conversations/${SAFE}/${USER}/read`)).status, 204)
  for (let i = 1; i <= 24; i++) await sys.push(SAFE, 'text', { from: USER, content: `未读消息 ${i}` })
  const NEW = 'oNeverReadUser00000000001'
  for (let i = 1; i <= 3; i++) await sys.push(SAFE, 'text', { from: NEW, content: `新客户 ${i}` })
  const { page } = await consoleOf(t, { openid: USER })
  await page.waitForSelector('.unread-separator', { timeout: 10_000 })
  t.equal(await page.locator('.unread-separator + .msg').textContent().then((x) => x?.startsWith('未读消息 1')), true)
  const box = await page.locator('.timeline').boundingBox()
  const mark = await page.locator('.unread-separator').boundingBox()
  t.ok(box !== null && mark !== null && Math.abs(mark.y - box.y) < 40, `at the top of the timeline (${mark!.y - box!.y} px below it)`)
  t.equal(await page.locator('.msg.in >> text=未读消息 24').evaluate((e) => e.getBoundingClientRect().top >= e.closest('.timeline')!.getBoundingClientRect().bottom - 1), true, 'the newest is below, to scroll to')

  await page.locator(`[data-conversation="${SAFE}/${NEW}"]`).click()
  await page.waitForSelector('.msg.in >> text=新客户 3')
  t.equal(await page.locator('.unread-separator').count(), 0, 'a conversation never read: no separator, the newest in view')
})

t.test('the command palette (Ctrl-K) jumps to a conversation, a view or an action; ? lists the shortcuts; single keys never fire while typing', async (t) => {
  const ONE = 'oPaletteUserOne0000000001'
  const TWO = 'oPaletteUserTwo0000000001'
  await sys.push(SAFE, 'text', { from: TWO, content: '第二位' })
  await sys.push(SAFE, 'text', { from: ONE, content: '第一位' })
  const { page } = await consoleOf(t, { openid: ONE })
  const active = (): Promise<string | undefined> => page.evaluate(() => document.activeElement?.id)

  // From the reply box: the palette opens, modal and labelled, focus in its search box; Escape gives the focus back.
  await page.locator('#reply-text').focus()
  await page.keyboard.press('Control+k')
  await page.waitForSelector('#palette[open]')
  t.same(await page.locator('#palette').evaluate((d) => ({ role: d.getAttribute('role') ?? (d.tagName === 'DIALOG' ? 'dialog' : ''), modal: d.getAttribute('aria-modal'), label: document.getElementById(d.getAttribute('aria-labelledby') ?? '')?.textContent })),
    { role: 'dialog', modal: 'true', label: '命令面板' })
  t.equal(await active(), 'palette-q')
  await checkBothSizes(t, page, 'the command palette')
  await page.keyboard.press('Tab')
  t.equal(await active(), 'palette-q', 'Tab stays in the palette')
  await page.keyboard.press('Escape')
  t.equal(await page.locator('#palette').evaluate((d) => (d as HTMLDialogElement).open), false, 'Escape closes it')
  t.equal(await active(), 'reply-text', 'and the focus is back in the reply box')

  // A conversation, by part of its openid, with the arrow keys and Enter.
  await page.keyboard.press('Control+k')
  await page.keyboard.type('PaletteUserTwo')
  t.equal(await page.locator('#palette [role=option]').count(), 1)
  await page.keyboard.press('ArrowDown')
  await page.keyboard.press('ArrowUp')
  t.equal(await page.locator('#palette-q').getAttribute('aria-activedescendant'), 'palette-0')
  await page.keyboard.press('Enter')
  await page.waitForSelector('.msg.in >> text=第二位', { timeout: 10_000 })
  t.equal(await page.getAttribute(`[data-conversation="${SAFE}/${TWO}"]`, 'aria-current'), 'true', 'the conversation is open')

  // j / k: the next and previous conversation in the list; r: the reply box.
  const current = (): Promise<string | null> => page.evaluate(() => document.querySelector('button[data-conversation][aria-current=true]')?.getAttribute('data-conversation') ?? null)
  const rows = await page.locator('button[data-conversation]').evaluateAll((bs) => bs.map((b) => b.getAttribute('data-conversation')))
  const at = rows.indexOf(await current())
  t.ok(at >= 0 && rows.length >= 2, 'the open conversation is listed among others')
  await page.locator('.timeline').focus()
  const step = at < rows.length - 1 ? 'j' : 'k'
  await page.keyboard.press(step)
  await page.waitForFunction((want) => document.querySelector('button[data-conversation][aria-current=true]')?.getAttribute('data-conversation') === want, rows[step === 'j' ? at + 1 : at - 1], { timeout: 5000 })
  await page.locator('.timeline').focus()
  await page.keyboard.press('r')
  t.equal(await active(), 'reply-text', 'r: the reply box')

  // An action: resolve.
  await page.keyboard.press('Control+k')
  await page.keyboard.type('已解决')
  await page.keyboard.press('Enter')
  // The server's answer: the change in the timeline.
  await page.waitForSelector('.msg.change >> text=将状态改为「已解决」', { timeout: 5000 })
  const resolved = await page.evaluate(() => new URLSearchParams(location.search).get('c')!)
  await t.resolveMatch(sys.prisma.conversation.findUniqueOrThrow({ where: { appId_openid: { appId: SAFE, openid: resolved.slice(resolved.indexOf('/') + 1) } } }), { status: 'resolved' }, 'resolved')
  // A view: the "all" tab.
  await page.keyboard.press('Control+k')
  await page.keyboard.type('全部')
  await page.keyboard.press('Enter')
  t.equal(await page.getAttribute('#view-all', 'aria-selected'), 'true', 'the view is shown')

  // Typing in the reply box: ? and j are text.
  await page.locator('#reply-text').fill('')
  await page.locator('#reply-text').focus()
  await page.keyboard.type('?j')
  t.equal(await page.inputValue('#reply-text'), '?j', 'typed, not shortcuts')
  t.equal(await page.locator('#shortcuts[open]').count(), 0)
  await page.locator('#reply-text').fill('')

  // Outside a field: ? lists the shortcuts, Escape closes the list and gives the focus back.
  await page.locator('.timeline').focus()
  await page.keyboard.press('?')
  await page.waitForSelector('#shortcuts[open]')
  t.equal(await page.locator('#shortcuts').getAttribute('aria-modal'), 'true')
  t.match(await page.textContent('#shortcuts'), /打开命令面板.*下一个会话/)
  t.same(await page.locator('#shortcuts caption').allTextContents(), ['任意位置（不在输入框中时）', '在回复框中'])
  t.same(await page.locator('#shortcuts kbd').allTextContents(), ['Ctrl K / ⌘ K', '?', 'j', 'k', 'r', 'e', '/', 'Esc', 'Enter', 'Shift Enter', '/', '@', '↑ ↓'],
    'every key, the reply box’s too')
  await checkBothSizes(t, page, 'the shortcuts')
  await page.keyboard.press('Escape')
  t.equal(await page.locator('#shortcuts[open]').count(), 0)
  t.equal(await page.evaluate(() => document.activeElement?.classList.contains('timeline')), true, 'focus back on the timeline')

})

t.test('the palette finds a customer by the name agents gave them, and runs the conversation’s actions from the keyboard', async (t) => {
  const NAMED = 'oPaletteNamedUser00000001'
  const OTHER = 'oPaletteOtherUser00000001'
  await sys.push(SAFE, 'text', { from: NAMED, content: '我是王小明' })
  await sys.push(SAFE, 'text', { from: OTHER, content: '另一位' })
  await sys.prisma.conversation.update({ where: { appId_openid: { appId: SAFE, openid: NAMED } }, data: { displayName: '王小明' } })
  const { page } = await consoleOf(t, { openid: OTHER })
  const conversation = (): Promise<{ assignee: string | null, status: string }> => sys.prisma.conversation.findUniqueOrThrow({ where: { appId_openid: { appId: SAFE, openid: NAMED } } })
  const palette = async (query: string): Promise<string[]> => {
    await page.keyboard.press('Control+k')
    await page.waitForSelector('#palette[open]')
    await page.keyboard.type(query)
    // Besides the "search messages for …" that a query matching no conversation offers.
    return (await page.locator('#palette [role=option]').allTextContents()).filter((o) => !o.startsWith('操作搜索消息'))
  }

  t.same(await palette('小明'), [`会话王小明 · ${SAFE}`], 'by the display name, shown as it')
  await page.keyboard.press('Enter')
  await page.waitForSelector('.msg.in >> text=我是王小明', { timeout: 10_000 })

  t.same(await palette('转交给 bob'), ['操作转交给 bob'], 'hand over to a colleague')
  await page.keyboard.press('Enter')
  await page.waitForSelector('#assignee >> text=bob', { timeout: 5000 })
  t.equal((await conversation()).assignee, 'bob', 'handed over')

  t.same(await palette('待处理'), ['操作标记为待处理'])
  await page.keyboard.press('Enter')
  await page.waitForFunction(() => (document.getElementById('status') as HTMLSelectElement).value === 'pending', undefined, { timeout: 5000 })
  t.equal((await conversation()).status, 'pending', 'pending')

  t.same(await palette('内部备注'), ['操作写内部备注'])
  await page.keyboard.press('Enter')
  t.equal(await page.getAttribute('.composer .mode[data-mode=note]', 'aria-pressed'), 'true', 'the composer writes a note')
  t.equal(await focusedId(page), 'reply-text', 'focused')

  await palette('')
  const actions = await page.locator('#palette [role=option]').evaluateAll((os) => os.map((o) => o.textContent).filter((x) => x?.startsWith('操作')))
  for (const label of ['释放会话', '重新打开会话', '暂缓：1 小时', '打开客户资料', '插入快捷回复', '管理快捷回复', '查看提及', '标记为已解决']) t.ok(actions.includes('操作' + label), label)
  await page.keyboard.press('Escape')
})

t.test('Escape closes what is open, the innermost first, and the focus goes back to what opened it', async (t) => {
  const USER = 'oEscapeUser00000000000001'
  await sys.push(SAFE, 'text', { from: USER, content: '按 Esc' })
  const { page } = await consoleOf(t, { openid: USER })
  const open = (selector: string): Promise<boolean> => page.locator(selector).evaluate((d) => (d as HTMLDetailsElement | HTMLDialogElement).open)

  // The composer's More, from a field inside it.
  await page.locator('#composer-more summary').focus()
  await page.keyboard.press('Enter')
  t.equal(await open('#composer-more'), true)
  await page.keyboard.press('Tab')
  t.equal(await page.evaluate(() => document.activeElement?.closest('#link-form') !== null), true, 'in the link form')
  await page.keyboard.press('Escape')
  t.equal(await open('#composer-more'), false, 'More closes')
  t.equal(await page.evaluate(() => document.activeElement?.matches('#composer-more summary')), true, 'focus back on its summary')

  // The image preview, back to the reply box.
  await page.locator('#reply-text').focus()
  await handFile(page, 'paste', { name: 'shot.png', type: 'image/png', base64: DOT })
  await page.waitForSelector('#image-preview:not([hidden])')
  t.equal(await focusedId(page), 'send-image')
  await page.keyboard.press('Escape')
  t.equal(await page.locator('#image-preview').isHidden(), true, 'the preview closes')
  t.equal(await focusedId(page), 'reply-text', 'focus back in the reply box')

  // The quick-reply picker: closed, the text kept, the focus in the reply box.
  await page.keyboard.type('/')
  await page.waitForSelector('#qr-picker:not([hidden])')
  await page.keyboard.press('Escape')
  t.equal(await page.locator('#qr-picker').isHidden(), true, 'the quick-reply list closes')
  t.equal(await page.inputValue('#reply-text'), '/')
  t.equal(await focusedId(page), 'reply-text')
  await page.locator('#reply-text').fill('')

  // The search's Filters inside the search dialog: Filters first, then the dialog, focus back where it was.
  await page.locator('.timeline').focus()
  await page.keyboard.press('/')
  await page.waitForSelector('#search-dialog[open]')
  await page.locator('#search-dialog summary').focus()
  await page.keyboard.press('Enter')
  t.equal(await open('#search-dialog details'), true)
  await page.keyboard.press('Tab')
  await page.keyboard.press('Escape')
  t.equal(await open('#search-dialog details'), false, 'Filters close')
  t.equal(await open('#search-dialog'), true, 'the search stays open')
  t.equal(await page.evaluate(() => document.activeElement?.matches('#search-dialog summary')), true, 'focus back on Filters')
  await page.keyboard.press('Escape')
  t.equal(await open('#search-dialog'), false, 'then the search closes')
  t.equal(await page.evaluate(() => document.activeElement?.classList.contains('timeline')), true, 'focus back on the timeline')

  // Administration.
  await page.locator('#open-admin').focus()
  await page.keyboard.press('Enter')
  await page.waitForSelector('#admin-dialog[open]')
  await page.keyboard.press('Escape')
  t.equal(await open('#admin-dialog'), false, 'administration closes')
  t.equal(await focusedId(page), 'open-admin', 'focus back on its button')

  // Mention toasts: from inside one, focus back where it was; else Escape with nothing open dismisses them.
  const bob = new Agent()
  await bob.signIn(sys, 'bob')
  const mention = async (text: string): Promise<void> => {
    t.equal((await bob.api(sys, 'POST', `/api/conversations/${SAFE}/${USER}/notes`, { text })).status, 201)
    await page.waitForSelector(`#mention-toasts .toast >> text=bob`, { timeout: 5000 })
  }
  await mention('@alice 请看一下')
  await page.locator('#reply-text').focus()
  await page.locator('#mention-toasts .toast button').first().focus()
  await page.keyboard.press('Escape')
  t.equal(await page.locator('#mention-toasts .toast').count(), 0, 'the toast closes')
  t.equal(await focusedId(page), 'reply-text', 'focus back in the reply box')
  await mention('@alice 还有这个')
  await page.keyboard.press('Escape')
  t.equal(await page.locator('#mention-toasts .toast').count(), 0, 'Escape in the reply box dismisses it too')
  t.equal(await focusedId(page), 'reply-text')
})

const DOT = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex').toString('base64')

t.test('an image pasted or dropped on the composer is previewed, then sent as an image reply; other files are refused in one line', async (t) => {
  const USER = 'oPasteUser0000000000000001'
  await sys.push(SAFE, 'text', { from: USER, content: '发张截图给我' })
  const { page } = await consoleOf(t, { openid: USER })
  const images = async (): Promise<number> => await sys.prisma.outboundMessage.count({ where: { openid: USER, msgType: 'image' } })

  await handFile(page, 'paste', { name: 'shot.png', type: 'image/png', base64: DOT })
  await page.waitForSelector('#image-preview:not([hidden]) img[src^="blob:"]')
  t.equal(await page.evaluate(() => document.activeElement?.id), 'send-image', 'the preview offers to send, focused')
  await checkBothSizes(t, page, 'the image preview')
  await page.locator('#cancel-image').click()
  t.equal(await page.locator('#image-preview').isVisible(), false, 'cancelled')
  t.equal(await images(), 0, 'nothing sent')

  await handFile(page, 'paste', { name: 'shot.png', type: 'image/png', base64: DOT })
  await page.locator('#send-image').click()
  await page.waitForSelector('.msg.out[data-status=sent] img', { timeout: 10_000 })
  t.equal(await images(), 1, 'sent as an image reply')

  await handFile(page, 'drop', { name: 'photo.gif', type: 'image/gif', base64: DOT })
  await page.waitForSelector('#image-preview:not([hidden])')
  await page.keyboard.press('Enter')
  await page.waitForFunction(() => document.querySelectorAll('.msg.out[data-status=sent] img').length === 2, undefined, { timeout: 10_000 })
  t.equal(await images(), 2, 'dropped, sent too')

  await handFile(page, 'drop', { name: 'notes.txt', type: 'text/plain', base64: 'aGVsbG8=' })
  t.equal(await page.textContent('#notice'), '“notes.txt”不是图片：只能发送 JPG、PNG 或 GIF')
  await handFile(page, 'paste', { name: 'huge.png', type: 'image/png', size: 10 * 1024 * 1024 + 1 })
  t.equal(await page.textContent('#notice'), '“huge.png”太大：图片最大 10 MB')
  t.equal(await page.locator('#image-preview').isVisible(), false, 'no preview for what is refused')
  t.equal(await images(), 2, 'nothing more sent')
})

t.test('a failed reply says why in words and offers Retry, which sends it again as a new attempt', async (t) => {
  const USER = 'oRetryUser0000000000000001'
  await sys.push(SAFE, 'text', { from: USER, content: '在吗' })
  const { page } = await consoleOf(t, { openid: USER })
  sys.fake.failNext('custom/send', 45047)
  await page.locator('#reply-text').fill('在的，请讲')
  await page.keyboard.press('Enter')
  const failed = page.locator('.msg.out.msg-failed')
  await failed.waitFor({ timeout: 10_000 })
  t.match(await failed.locator('.failure').textContent(), /^发送失败：\S.*\[45047\]/, 'the reason in words, with WeChat’s code')
  t.match(await failed.locator('.meta').textContent(), /发送失败/)
  await checkBothSizes(t, page, 'a failed reply with Retry')
  await failed.locator('button.retry').click()
  await page.waitForSelector('.msg.out[data-status=sent] >> text=在的，请讲', { timeout: 10_000 })
  t.equal(await failed.locator('button.retry').count(), 0, 'sent again: no second retry offered')
  t.equal(await page.locator('.msg.out.msg-failed').count(), 1, 'the failed attempt stays in the timeline')
  t.same((await sys.prisma.outboundMessage.findMany({ where: { openid: USER }, orderBy: { id: 'asc' } })).map((r) => r.status), ['failed', 'sent'])
})

t.test('no script error on any page', async (t) => { t.same(scriptErrors, []) })
