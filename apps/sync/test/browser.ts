import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core'

interface Tap {
  teardown: (fn: () => unknown) => void
}

/** Debian's Chromium (or CHROMIUM_PATH), headless, with every test host name mapped to loopback. */
export async function launchChromium (t: Tap, hosts: string[], extraArgs: string[] = []): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage',
      `--host-resolver-rules=${hosts.map((h) => `MAP ${h} 127.0.0.1`).join(',')}`,
      ...extraArgs
    ]
  })
  t.teardown(() => browser.close())
  return browser
}

/** Everything the main frame navigated to (each redirect hop too), and every request the page made. */
export interface Watched {
  navigations: string[]
  requests: Request[]
  /** The requests whose URL starts with `prefix`. */
  requestsTo: (prefix: string) => Request[]
  reset: () => void
}

export function watch (page: Page): Watched {
  const navigations: string[] = []
  const requests: Request[] = []
  page.on('request', (request) => {
    requests.push(request)
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) navigations.push(request.url())
  })
  return {
    navigations,
    requests,
    requestsTo: (prefix) => requests.filter((r) => r.url().startsWith(prefix)),
    reset () {
      navigations.length = 0
      requests.length = 0
    }
  }
}

/** A page in a browser context of its own (closed when the test ends), watched from its first request. */
export async function watchedPage (t: { teardown: (fn: () => unknown) => void }, browser: Browser, locale: string): Promise<{ context: BrowserContext, page: Page, seen: Watched }> {
  const context = await browser.newContext({ locale })
  t.teardown(() => context.close())
  const page = await context.newPage()
  return { context, page, seen: watch(page) }
}

const FINAL = ['user', 'anonymous', 'error']

/**
 * Opens `url` and waits (deadline 10 s) until the page script has reached an outcome in the document that stays:
 * `<html data-sso>` is user, anonymous or error. A reload or a redirect check replaces the document on the way.
 */
export async function openAndSettle (page: Page, url: string): Promise<string> {
  await page.goto(url)
  return await settle(page)
}

export async function settle (page: Page): Promise<string> {
  const deadline = Date.now() + 10_000
  for (;;) {
    try {
      await page.waitForFunction((final) => final.includes(document.documentElement.dataset.sso ?? ''), FINAL, { timeout: Math.max(1, deadline - Date.now()) })
      await page.waitForLoadState('load')
      const state = await page.evaluate(() => document.documentElement.dataset.sso ?? '')
      if (FINAL.includes(state)) return state
    } catch (err) {
      // A navigation (the reload, the redirect check) destroys the context being waited in: wait in the next one.
      if (Date.now() >= deadline || !/context was destroyed|navigation|Target closed/i.test((err as Error).message)) throw err
    }
  }
}

/** Logs in at A's form with the keyboard alone: autofocus on the username, Tab, Enter. */
export async function loginAtA (page: Page, aUrl: string, username: string, password: string): Promise<void> {
  await page.goto(aUrl + '/login')
  await typeLogin(page, username, password)
  await page.waitForURL(aUrl + '/')
}

/** Types into A's login form as a person does: the username field has the focus when the page is ready. */
export async function typeLogin (page: Page, username: string, password: string): Promise<void> {
  // Chromium applies autofocus at its next rendering update, which may come after the load event.
  await page.waitForFunction(() => document.activeElement?.id === 'username')
  await page.keyboard.type(username)
  await page.keyboard.press('Tab')
  await page.keyboard.type(password)
  await page.keyboard.press('Enter')
}

/** Signs out at A with the keyboard: focus the button, Enter. */
export async function logoutAtA (page: Page, aUrl: string, button = '#logout'): Promise<void> {
  await page.goto(aUrl + '/')
  await page.focus(button)
  await page.keyboard.press('Enter')
  await page.waitForURL(/\/login\?signed_out=1$/)
}
