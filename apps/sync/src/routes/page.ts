import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { pickLang, renderSignInGate } from '@kefu/sso-client'
import { escapeHtml, htmlDocument, pageHeaders } from '@kefu/service'
import { messages } from '../lib/i18n.js'

const STYLE = `
:root { color-scheme: light dark; --accent: #0a66c2; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; }
main { max-width: 36rem; margin: 0 auto; padding: 2rem 1rem; }
h1 { font-size: 1.5rem; margin: 0 0 .5rem; }
.card { padding: 1rem 1.25rem; border: 1px solid #8a8a8a55; border-radius: 8px; margin: 1.5rem 0; }
.user { font-size: 1.25rem; }
a.button { display: inline-block; min-height: 44px; padding: .55rem 1.25rem; margin: 0 .5rem .5rem 0; border-radius: 6px; border: 1px solid var(--accent); text-decoration: none; font-weight: 600; }
a.primary { background: var(--accent); color: #fff; }
a { color: var(--accent); }
:focus-visible { outline: 3px solid #f5a623; outline-offset: 2px; }
.checking, .failed { display: none; }
html[data-sso=checking] .checking, html[data-sso=reloading] .checking, html[data-sso=redirecting] .checking { display: block; }
html[data-sso=checking] .anonymous-only, html[data-sso=reloading] .anonymous-only, html[data-sso=redirecting] .anonymous-only { display: none; }
html[data-sso=error] .failed { display: block; }
@media (min-width: 900px) { main { padding-top: 4rem; } }
`

export default async function pageRoutes (fastify: FastifyInstance): Promise<void> {
  fastify.get('/', async function page (request, reply) {
    const lang = pickLang(request.headers['accept-language'])
    const m = messages(lang)
    const nonce = randomBytes(16).toString('base64')
    const { user, unavailable } = await fastify.sso.pageState(request)
    const script = unavailable ? '' : await fastify.sso.pageScript(request, reply, { nonce })
    // Signed in: warn before an idle sign-out, and say so when the session ended.
    // Once it has ended, the page stops naming the person (the notice alone said so, over "signed in as …").
    const watch = user === null
      ? ''
      : `<script nonce="${nonce}" src="${fastify.sso.sessionWatchPath}" defer></script>
<script nonce="${nonce}">document.addEventListener('kefu-session', function (e) {
  var user = document.querySelector('.user');
  if (e.detail !== 'ended' || user === null) return;
  var p = document.createElement('p');
  p.id = 'anonymous';
  p.textContent = ${JSON.stringify(m.anonymous).replace(/</g, '\u003c')};
  user.replaceWith(p);
});</script>`
    const state = user !== null
      ? `<p class="user">${escapeHtml(m.signedInAs)}<strong id="username">${escapeHtml(user.username)}</strong></p>`
      : unavailable
        ? `<p role="alert">${escapeHtml(m.unavailable)}</p>`
        : renderSignInGate(m, fastify.sso.loginPath('/'))
    return reply.code(unavailable ? 503 : 200).headers(pageHeaders(
      `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self' ${fastify.sso.authUrl}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
      'strict-origin-when-cross-origin'
    )).send(htmlDocument({
      lang,
      title: m.title,
      head: `<style nonce="${nonce}">${STYLE}</style>
${script}${watch}`,
      body: `<main>
<h1>${escapeHtml(m.heading)}</h1>
<p>${escapeHtml(m.intro)}</p>
<div class="card" aria-live="polite">
${state}
</div>
<p><a class="button" href="${escapeHtml(fastify.sso.authUrl + '/')}">${escapeHtml(m.account)}</a></p>
</main>`
    }))
  })
}
