import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { pickLang, renderSignInGate } from '@kefu/sso-client'
import { escapeHtml, htmlDocument, pageHeaders } from '@kefu/service'
import { messages } from './i18n.js'

/** GET / — the console for a signed-in agent; otherwise the sync-login check, then a sign-in link. */
export default async function pageRoutes (fastify: FastifyInstance): Promise<void> {
  fastify.get('/', async function page (request, reply) {
    const lang = pickLang(request.headers['accept-language'])
    const m = messages(lang)
    const nonce = randomBytes(16).toString('base64')
    const { user, unavailable } = await fastify.sso.pageState(request)
    const script = unavailable || user !== null ? '' : await fastify.sso.pageScript(request, reply, { nonce })
    const body = user !== null
      ? `<div id="app" data-username="${escapeHtml(user.username)}" data-auth-url="${escapeHtml(fastify.sso.authUrl)}"></div>
<noscript>JavaScript is required.</noscript>
<script src="/assets/shell/console.js" type="module"></script>
<script src="${fastify.sso.sessionWatchPath}" defer></script>`
      : `<main class="gate">
<h1>${escapeHtml(m.heading)}</h1>
<div class="card" aria-live="polite">
${unavailable
  ? `<p role="alert">${escapeHtml(m.unavailable)}</p>`
  : renderSignInGate(m, fastify.sso.loginPath('/'))}
</div>
<p><a class="button" href="${escapeHtml(fastify.sso.authUrl + '/')}">${escapeHtml(m.account)}</a></p>
</main>`
    return reply.code(unavailable ? 503 : 200).headers(pageHeaders(
      `default-src 'none'; script-src 'self' 'nonce-${nonce}'; style-src 'self'; img-src 'self' data: blob: https:; connect-src 'self' ${fastify.sso.authUrl}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`
    )).send(htmlDocument({ lang, title: m.title, head: `<link rel="stylesheet" href="/assets/shell/console.css">
<link rel="stylesheet" href="/assets/mentions/mentions.css">
${script}`, body }))
  })
}
