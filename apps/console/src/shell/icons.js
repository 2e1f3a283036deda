// The console's icons (Lucide, served by the console itself as /assets/icons/lucide.js): decorative, so hidden from
// assistive technology; the control keeps its accessible name (its text, or its aria-label).
import ICONS from '../icons/lucide.js'

const SVG = 'http://www.w3.org/2000/svg'

/** An <svg aria-hidden="true"> of one icon, 1em square, drawn in the text's color. */
export function icon (name) {
  const svg = document.createElementNS(SVG, 'svg')
  for (const [k, v] of Object.entries({ viewBox: '0 0 24 24', width: '1em', height: '1em', fill: 'none', stroke: 'currentColor', 'stroke-width': '2', 'stroke-linecap': 'round', 'stroke-linejoin': 'round', 'aria-hidden': 'true', focusable: 'false', class: 'icon icon-' + name })) svg.setAttribute(k, v)
  svg.innerHTML = ICONS[name] || ''
  return svg
}

/**
 * Puts the icon before the control's text and keeps it there when the control's text is replaced (the send button says
 * "Send" or "Save note"). `iconOnly`: the text moves into aria-label (title shows it on hover).
 */
export function withIcon (control, name, { iconOnly = false } = {}) {
  if (control === null || control.dataset.icon === name) return control
  control.dataset.icon = name
  if (iconOnly) {
    const label = control.getAttribute('aria-label') || control.textContent.trim()
    control.setAttribute('aria-label', label)
    control.title = label
    control.replaceChildren()
    control.classList.add('icon-only')
  }
  const svg = icon(name)
  control.prepend(svg)
  new MutationObserver(() => { if (control.firstChild !== svg) control.prepend(svg) }).observe(control, { childList: true })
  return control
}

/** The main controls of the console, each with its icon. */
const MAIN = [['#send', 'send'], ['button:has(+ #image-file)', 'image'], ['#open-search', 'search'], ['#claim', 'user-plus'], ['#toggle-customer', 'user'],
  ['.panel-close', 'x'], ['#open-admin', 'settings'], ['#open-reports', 'chart-column'], ['#save-name', 'check'], ['#save-customer', 'check']]

export function decorate (root = document) {
  for (const [selector, name] of MAIN) for (const control of root.querySelectorAll(selector)) withIcon(control, name)
}
