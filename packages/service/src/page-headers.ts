import { escapeHtml } from './web.js'

/**
 * The headers of every HTML page a kefu site serves: its Content-Security-Policy, no framing (clickjacking), no
 * sniffing, and no caching (pages carry CSRF tokens and who is signed in).
 */
export function pageHeaders (contentSecurityPolicy: string, referrerPolicy = 'no-referrer'): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': contentSecurityPolicy,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': referrerPolicy,
    'cache-control': 'no-store'
  }
}

export interface HtmlDocument {
  lang: string
  /** Escaped here. */
  title: string
  /** What follows the title in `<head>` (stylesheets, scripts), as it is. */
  head: string
  body: string
  bodyClass?: string
}

/**
 * The document every kefu page is: its language, viewport and title, then what the page puts in head and body. The
 * viewport's `interactive-widget=resizes-content` makes an on-screen keyboard shrink the layout (and `dvh`) in
 * Chromium-based browsers, so the console's composer, at the bottom of a 100dvh page, stays above the keyboard.
 */
export function htmlDocument (doc: HtmlDocument): string {
  return `<!doctype html>
<html lang="${doc.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, interactive-widget=resizes-content">
<title>${escapeHtml(doc.title)}</title>
${doc.head}
</head>
<body${doc.bodyClass === undefined ? '' : ` class="${doc.bodyClass}"`}>
${doc.body}
</body>
</html>
`
}
