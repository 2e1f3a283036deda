/// <reference lib="dom" />
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core'
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
 * A page in a browser context of its own (1280×800, zh-CN unless told otherwise), closed when the test ends, with
 * the page's uncaught errors collected in `errors`.
 */
export async function newPage (t: { teardown: (fn: () => unknown) => void }, browser: Browser, options: BrowserContextOptions = {}): Promise<{ page: Page, errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN', ...options })
  t.teardown(() => context.close())
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  return { page, errors }
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

// axe-core's own bundle, run in the page by evaluation (the console's CSP refuses injected script tags).
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

export interface AxeViolation { rule: string, impact: string, help: string, targets: string[] }

/** axe-core's serious and critical violations in the page as it is now (none: an empty list). */
export async function seriousViolations (page: Page): Promise<AxeViolation[]> {
  if (!await page.evaluate(() => 'axe' in window)) await page.evaluate(AXE)
  return await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: Array<{ id: string, impact: string | null, help: string, nodes: Array<{ target: unknown[] }> }> }> } }).axe
    const result = await axe.run(document, { resultTypes: ['violations'] })
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ rule: v.id, impact: v.impact!, help: v.help, targets: v.nodes.map((n) => n.target.map(String).join(' ')) }))
  })
}

/** Fails `t` with the list of axe-core's serious and critical violations in `view`, if any. */
export async function checkAccessible (t: { same: (found: unknown, wanted: unknown, message: string) => unknown }, page: Page, view: string): Promise<void> {
  t.same(await seriousViolations(page), [], `axe-core: no serious or critical violation in ${view}`)
}

/** WCAG's contrast ratio of two computed CSS colors (rgb() or rgba(), alpha ignored). */
export function contrast (a: string, b: string): number {
  const lum = (css: string): number => {
    const [r, g, bl] = css.match(/[0-9.]+/g)!.slice(0, 3).map((v) => Number(v) / 255).map((c) => c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4) as [number, number, number]
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl
  }
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x) as [number, number]
  return (hi + 0.05) / (lo + 0.05)
}

/** Dispatches a paste of `file` into the reply box, or its drop on the composer, as the browser does. */
export async function handFile (page: Page, how: 'paste' | 'drop', file: { name: string, type: string, base64?: string, size?: number }): Promise<void> {
  await page.evaluate(({ how, file }) => {
    const bytes = file.base64 !== undefined ? Uint8Array.from(atob(file.base64), (c) => c.charCodeAt(0)) : new Uint8Array(file.size ?? 1)
    const data = new DataTransfer()
    data.items.add(new File([bytes], file.name, { type: file.type }))
    if (how === 'paste') document.getElementById('reply-text')!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }))
    else document.querySelector('.composer')!.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }))
  }, { how, file })
}
