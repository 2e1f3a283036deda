// End to end in Chromium, A and two B sites on different sites (a.test, b1.example, b2.example), third-party
// cookies blocked: the top-level redirect check, with no loop and no ticket left in the address bar or a Referer.
import t from 'tap'
import type { Request } from 'playwright-core'
import { PASSWORD, startSystem } from './helper.js'
import { launchChromium, loginAtA, logoutAtA, openAndSettle, settle, typeLogin, watchedPage } from './browser.js'

const sys = await startSystem(t, { label: 'sync_cross_site', aHost: 'a.test', bHosts: ['b1.example', 'b2.example'] })
const a = sys.a
const [b1, b2] = sys.bs as [typeof sys.bs[0], typeof sys.bs[0]]
// Chrome's third-party cookie phase-out, forced on: what Safari, Firefox and Incognito do by default.
const browser = await launchChromium(t, sys.hosts, ['--test-third-party-cookie-phaseout'])
const { context, page, seen } = await watchedPage(t, browser, 'en-US')
const probes = (): Request[] => seen.requestsTo(a.url + '/sso/ticket')

t.test('anonymous at A: one redirect check, B stays anonymous, and does not check again soon (no loop)', async (t) => {
  await page.goto(a.url + '/login')
  seen.reset()
  t.equal(await openAndSettle(page, b1.url + '/'), 'anonymous')
  t.equal(seen.navigations.length, 5, seen.navigations.join('\n'))
  t.equal(seen.navigations[0], b1.url + '/')
  t.match(seen.navigations[1], `${b1.url}/sso/login?prompt=none&return_to=%2F`)
  t.match(seen.navigations[2], `${a.url}/sso/authorize?client_id=b1&`)
  t.match(seen.navigations[3], new RegExp(`^${b1.url}/sso/callback\\?error=login_required&state=`))
  t.equal(seen.navigations[4], b1.url + '/')
  const [probe] = probes()
  t.ok((await context.cookies(a.url)).length > 0, 'the browser holds cookies for A (from its login page)…')
  t.equal((await probe!.allHeaders()).cookie, undefined, "…and they do not ride on B's cross-site fetch")
  for (let i = 0; i < 3; i++) {
    seen.reset()
    t.equal(await openAndSettle(page, b1.url + '/'), 'anonymous')
    t.same(seen.navigations, [b1.url + '/'], `reload ${i + 1}: no second check within the interval`)
  }
})

t.test('log in at A: B1 and B2 log in by themselves, one visible reload each, no ticket in the URL or Referer', async (t) => {
  await loginAtA(page, a.url, 'alice', PASSWORD)
  // B1 checked a moment ago and found nobody: it checks again when its marker expires (Max-Age 60 s; the expiry
  // itself is tested in @kefu/sso-client with a moved clock). Here the browser drops it early.
  await context.clearCookies({ name: 'kefu_sso_b1_checked' })
  for (const b of [b1, b2]) {
    seen.reset()
    t.equal(await openAndSettle(page, b.url + '/'), 'user', b.clientId)
    t.equal(await page.textContent('#username'), 'alice')
    t.equal(page.url(), b.url + '/', 'the address bar holds no ticket')
    const committed = seen.navigations.filter((u) => !u.includes('/sso/'))
    t.equal(committed.length, 2, 'the page loaded twice: one visible reload')
    const callback = seen.navigations.find((u) => u.includes('/sso/callback'))
    t.match(callback, /\?ticket=[A-Za-z0-9_-]{43}&state=/)
    const final = seen.requests.filter((r) => r.isNavigationRequest() && r.url() === b.url + '/').at(-1)!
    t.notMatch((await final.allHeaders()).referer ?? '', /ticket/, 'the page after the callback got no Referer with the ticket')
    t.notMatch(await page.evaluate(() => document.referrer), /ticket/)
    const callbackResponse = await seen.requests.find((r) => r.url().includes('/sso/callback'))!.response()
    t.equal(callbackResponse!.headers()['referrer-policy'], 'no-referrer')
    t.same(await page.evaluate(async () => await (await fetch('/me')).json()), { username: 'alice' })
    // Once in, it stays in without any check navigation.
    seen.reset()
    t.equal(await openAndSettle(page, b.url + '/'), 'user')
    t.same(seen.navigations, [b.url + '/'])
  }
})

t.test('log out at A: B1 and B2 are anonymous', async (t) => {
  await logoutAtA(page, a.url)
  for (const b of [b1, b2]) {
    t.equal(await openAndSettle(page, b.url + '/'), 'anonymous', b.clientId)
    t.equal(await page.evaluate(async () => (await fetch('/me')).status), 401)
  }
  t.equal(b1.logs.filter((l) => l.msg === 'back-channel logout').length, 1)
  t.equal(b2.logs.filter((l) => l.msg === 'back-channel logout').length, 1)
})

t.test('the "sign in" button: an interactive login at A that comes back to B (keyboard only)', async (t) => {
  t.equal(await openAndSettle(page, b1.url + '/'), 'anonymous')
  await page.focus('a.primary')
  await page.keyboard.press('Enter')
  await page.waitForURL(new RegExp(`^${a.url}/login\\?return_to=`))
  await typeLogin(page, 'alice', PASSWORD)
  t.equal(await settle(page), 'user')
  t.equal(page.url(), b1.url + '/')
  t.equal(await page.textContent('#username'), 'alice')
  t.match(await page.textContent('main'), /Signed in as/)
})
