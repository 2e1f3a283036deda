import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

/**
 * The console's one icon set: these Lucide icons (lucide-static, ISC), read from node_modules at start and served as
 * one small browser module, /assets/icons/lucide.js (`export default { name: '<svg inner markup>' }`), so the page
 * needs no CDN and no build step. A new icon is one more name here.
 */
export const ICON_NAMES = ['send', 'image', 'search', 'check', 'user-plus', 'menu', 'x', 'settings', 'chart-column', 'user', 'moon', 'sun', 'users', 'bell', 'at-sign', 'layout-grid', 'circle-user'] as const

const require = createRequire(import.meta.url)

/** The inner markup (paths, circles…) of one Lucide icon: what goes inside `<svg viewBox="0 0 24 24">`. */
export function iconMarkup (name: string): string {
  const svg = readFileSync(require.resolve(`lucide-static/icons/${name}.svg`), 'utf8')
  const inner = /<svg[^>]*>([\s\S]*)<\/svg>/.exec(svg)?.[1]
  if (inner === undefined) throw new Error(`lucide-static/icons/${name}.svg is not an SVG`)
  return inner.replace(/\s+/g, ' ').trim()
}

export function iconModule (): string {
  const icons = Object.fromEntries(ICON_NAMES.map((name) => [name, iconMarkup(name)]))
  return `// Lucide icons (lucide-static, ISC license), served from the console's own node_modules.\nexport default ${JSON.stringify(icons)}\n`
}
