/// <reference lib="dom" />
import { chromium, type Browser, type Page } from 'playwright-core'
import { PASSWORD, type ConsoleSystem } from './helper.js'

/**
 * Debian's Chromium (or CHROMIUM_PATH), headless, with the system's host names mapped to loopback, closed when the
 * test ends.
 */
export async function launchChromium (t: { teardown: (fn: () => unknown) => void }, sys: ConsoleSystem): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage',
      `--host-resolver-rules=${sys.hosts.map((h) => `MAP ${h} 127.0.0.1`).join(',')}`]
  })
  t.teardown(() => browser.close())
  return browser
}

/**
 * Signs `username` in at A with the keyboard (the form focuses the username, Tab moves to the password) and waits
 * for A's home page; resolves to the time the form was sent.
 */
export async function signInAtA (page: Page, sys: ConsoleSystem, username = 'alice'): Promise<number> {
  await page.goto(sys.a.url + '/login')
  await page.waitForFunction(() => document.activeElement?.id === 'username')
  await page.keyboard.type(username)
  await page.keyboard.press('Tab')
  await page.keyboard.type(PASSWORD)
  const started = Date.now()
  await page.keyboard.press('Enter')
  await page.waitForURL(sys.a.url + '/')
  return started
}
