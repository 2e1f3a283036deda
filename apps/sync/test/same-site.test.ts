// End to end in Chromium, A and B on one site (a.kefu.test, b.kefu.test): the seed's flow, where B's page asks A
// for a ticket with a credentialed CORS fetch.
import t from 'tap'
import type { Request } from 'playwright-core'
import { PASSWORD, startSystem } from './helper.js'
import { launchChromium, loginAtA, logoutAtA, openAndSettle, watch, watchedPage } from './browser.js'

const sys = await startSystem(t, { label: 'sync_same_site', aHost: 'a.kefu.test', bHosts: ['b.kefu.test'] })
const a = sys.a
const b = sys.bs[0]!
const browser = await launchChromium(t, sys.hosts)
const { page, seen } = await watchedPage(t, browser, 'zh-CN')
const ticketRequests = (): Request[] => seen.requestsTo(a.url + '/sso/ticket')

t.test('anonymous at A: B asks A once, stays anonymous, no redirect, no loop', async (t) => {
  // Seed step 1: the user opens A (and does not log in).
  await page.goto(a.url + '/login')
  seen.reset()
  t.equal(await openAndSettle(page, b.url + '/'), 'anonymous')
  t.same(seen.navigations, [b.url + '/'], 'one navigation: no reload, no redirect check')
  t.equal(ticketRequests().length, 1, 'the page script asked A')
  t.same(await ticketRequests()[0]!.response().then((r) => r!.json()), { status: 'anonymous' })
  t.match(await page.textContent('#anonymous'), /未登录/)
  seen.reset()
  t.equal(await openAndSettle(page, b.url + '/'), 'anonymous')
  t.same(seen.navigations, [b.url + '/'], 'reloading the page does not start a loop either')
})

t.test('a browser that never saw A: one top-level check (A cannot tell "blocked" from "nobody"), then never again', async (t) => {
  const ctx = await browser.newContext()
  const p = await ctx.newPage()
  const w = watch(p)
  t.equal(await openAndSettle(p, b.url + '/'), 'anonymous')
  t.equal(w.navigations.length, 5, 'B, B /sso/login, A /sso/authorize, B /sso/callback, B')
  t.match(w.navigations[2], new RegExp(`^${a.url}/sso/authorize\\?client_id=b&redirect_uri=[^&]+&state=[A-Za-z0-9_-]{22}&prompt=none$`))
  t.equal(w.navigations[4], b.url + '/')
  for (let i = 0; i < 2; i++) {
    w.reset()
    t.equal(await openAndSettle(p, b.url + '/'), 'anonymous')
    t.same(w.navigations, [b.url + '/'], 'later loads: the fetch now reaches A with its cookie, no redirect')
  }
  await ctx.close()
})

t.test('log in at A (keyboard only): B logs in by itself with one reload, through the credentialed fetch', async (t) => {
  await loginAtA(page, a.url, 'alice', PASSWORD)
  t.equal(await page.textContent('#username'), 'alice')
  seen.reset()
  t.equal(await openAndSettle(page, b.url + '/'), 'user')
  t.equal(await page.textContent('#username'), 'alice')
  t.same(seen.navigations, [b.url + '/', b.url + '/'], 'the first load and exactly one reload')
  t.notOk(seen.navigations.some((u) => u.includes('/sso/login') || u.includes('/sso/authorize')), 'not the redirect path')
  const [probe] = ticketRequests()
  t.match((await probe!.allHeaders()).cookie, /kefu_auth=/, "A's cookie rode on the same-site fetch")
  t.equal((await probe!.response())!.headers()['access-control-allow-origin'], b.url)
  const post = seen.requests.find((r) => r.url() === b.url + '/sso/ticket')
  t.ok(post, 'the page posted the ticket to its own backend')
  t.match(post!.headers()['x-kefu-csrf'], /^[A-Za-z0-9_-]{43}$/)
  t.same(await page.evaluate(async () => await (await fetch('/me')).json()), { username: 'alice' })
  t.equal(page.url(), b.url + '/')
})

t.test('log out at A: B is anonymous at its next request (back-channel)', async (t) => {
  await logoutAtA(page, a.url)
  t.ok(b.logs.some((l) => l.msg === 'back-channel logout'), 'A called B before its logout answered')
  seen.reset()
  t.equal(await openAndSettle(page, b.url + '/'), 'anonymous')
  t.equal(await page.evaluate(async () => (await fetch('/me')).status), 401)
  t.same(seen.navigations, [b.url + '/'])
})

t.test('signed out at A while B is open: B stops naming the person behind its notice', async (t) => {
  await loginAtA(page, a.url, 'alice', PASSWORD)
  const bPage = await page.context().newPage()
  t.teardown(() => bPage.close())
  t.equal(await openAndSettle(bPage, b.url + '/'), 'user')
  t.equal(await bPage.textContent('#username'), 'alice')
  await logoutAtA(page, a.url)
  await bPage.waitForFunction(() => document.documentElement.dataset.session === 'ended', undefined, { timeout: 20_000 })
  t.equal(await bPage.locator('#username').count(), 0, 'no “signed in as alice”')
  t.notMatch(await bPage.textContent('main'), /alice/)
  t.equal(await bPage.textContent('#anonymous'), '未登录。')
})

t.test('pages fit a phone and 1280×800, in Chinese by default and English when asked', async (t) => {
  for (const viewport of [{ width: 360, height: 740 }, { width: 1280, height: 800 }]) {
    for (const locale of ['zh-CN', 'en-US']) {
      const ctx = await browser.newContext({ viewport, locale })
      const p = await ctx.newPage()
      for (const url of [a.url + '/login', b.url + '/']) {
        await p.goto(url)
        const { scrollWidth, clientWidth, lang } = await p.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth, lang: document.documentElement.lang }))
        t.ok(scrollWidth <= clientWidth, `${url} at ${viewport.width}px (${locale}): no horizontal scrolling`)
        t.equal(lang, locale === 'zh-CN' ? 'zh-CN' : 'en')
      }
      await ctx.close()
    }
  }
})
