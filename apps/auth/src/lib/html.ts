import { randomBytes } from 'node:crypto'
import type { FastifyReply } from 'fastify'
import { escapeHtml, htmlDocument, pageHeaders } from '@kefu/service'
import type { Lang } from './i18n.js'

export { escapeHtml }

const STYLE = `
:root { color-scheme: light dark; --accent: #0a66c2; --bad: #b3261e; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; }
main { max-width: 28rem; margin: 0 auto; padding: 2rem 1rem; }
h1 { font-size: 1.5rem; margin: 0 0 .5rem; }
p { margin: .5rem 0 1rem; }
label { display: block; margin: 1rem 0 .25rem; font-weight: 600; }
input[type=text], input[type=password] { width: 100%; min-height: 44px; padding: .5rem .75rem; font: inherit; border: 1px solid #8a8a8a; border-radius: 6px; }
button { min-height: 44px; padding: .5rem 1.25rem; font: inherit; font-weight: 600; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
button.secondary { background: transparent; color: var(--accent); }
form.inline { display: inline-block; margin: 0 .5rem .5rem 0; }
.actions { margin-top: 1.5rem; }
:focus-visible { outline: 3px solid #f5a623; outline-offset: 2px; }
.error { color: var(--bad); font-weight: 600; }
.notice { padding: .75rem 1rem; border-left: 4px solid var(--accent); background: rgba(10, 102, 194, .08); }
ul { padding-left: 1.25rem; }
a { color: var(--accent); }
@media (min-width: 900px) { main { padding-top: 4rem; } }
`

export interface PageOptions {
  lang: Lang
  title: string
  body: string
  /** Origins a form on this page may post to or be redirected to (CSP form-action). */
  formTargets?: readonly string[]
}

/**
 * Sends an HTML page with a strict CSP (no script at all on A's pages), no framing (clickjacking) and no caching
 * (pages carry CSRF tokens).
 */
export function sendPage (reply: FastifyReply, status: number, page: PageOptions): FastifyReply {
  const nonce = randomBytes(16).toString('base64')
  const formAction = ["'self'", ...(page.formTargets ?? [])].join(' ')
  // Referrer-Policy same-origin, not no-referrer: with that, browsers send `Origin: null` on the page's own form posts (Fetch §3.1).
  void reply.code(status).headers(pageHeaders(
    `default-src 'none'; style-src 'nonce-${nonce}'; img-src 'self'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
    'same-origin'
  ))
  return reply.send(htmlDocument({
    lang: page.lang,
    title: `${page.title} · kefu`,
    head: `<style nonce="${nonce}">${STYLE}</style>`,
    body: `<main>
${page.body}
</main>`
  }))
}
