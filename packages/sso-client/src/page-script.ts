import { escapeHtml } from '@kefu/service'
/** What the page script needs; rendered into the page as JSON. */
export interface PageScriptConfig {
  authUrl: string
  clientId: string
  /** A user is logged in on B: the script does nothing. */
  user: boolean
  /** The top-level redirect check may run (B did not run one recently). */
  due: boolean
  csrf: string
  ticketUrl: string
  /** The redirect check's start; the current path is appended, URL-encoded. */
  checkUrl: string
}

/**
 * The sync login in the browser, the seed's steps 5–10. It reports progress on `<html data-sso="…">`
 * (`checking`, then `user`, `anonymous`, `reloading`, `redirecting` or `error`) and as a `kefu-sso` event, so pages
 * can style the wait and tests can wait for the outcome.
 *
 * 1. Ask A for a ticket with a credentialed CORS fetch (works when A and B are the same site).
 * 2. A ticket: post it to B's backend with the CSRF token; B redeems it and sets its cookie; reload once.
 * 3. "anonymous": nobody is logged in at A; stay.
 * 4. "redirect" (A could not see its cookie: another site, or a browser that does not say): unless B checked
 *    recently, go through A's authorize endpoint at the top level and come back.
 */
const SOURCE = `(function (c) {
  var root = document.documentElement;
  function done (s) {
    root.setAttribute('data-sso', s);
    try { document.dispatchEvent(new CustomEvent('kefu-sso', { detail: s })); } catch (e) {}
  }
  if (c.user) return done('user');
  done('checking');
  function check () {
    if (!c.due) return done('anonymous');
    done('redirecting');
    location.replace(c.checkUrl + encodeURIComponent(location.pathname + location.search));
  }
  fetch(c.authUrl + '/sso/ticket?client_id=' + encodeURIComponent(c.clientId), { method: 'POST', mode: 'cors', credentials: 'include', cache: 'no-store' })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (a) {
      if (!a) return done('error');
      if (a.status === 'anonymous') return done('anonymous');
      if (a.status !== 'ticket') return check();
      return fetch(c.ticketUrl, {
        method: 'POST', credentials: 'same-origin', cache: 'no-store',
        headers: { 'content-type': 'application/json', 'x-kefu-csrf': c.csrf },
        body: JSON.stringify({ ticket: a.ticket })
      }).then(function (r) {
        if (!r.ok) return done('error');
        done('reloading');
        location.reload();
      });
    })
    .catch(function () { done('error'); });
})`

function jsonForScript (value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')
}

/** An inline `<script>` (put it in `<head>`): with `nonce` for a CSP `script-src 'nonce-…'`. */
export function renderPageScript (config: PageScriptConfig, nonce?: string): string {
  const attr = nonce === undefined ? '' : ` nonce="${nonce.replace(/[^A-Za-z0-9+/=_-]/g, '')}"`
  return `<script${attr}>${SOURCE}(${jsonForScript(config)});</script>`
}

export interface SignInGateText { checking: string, anonymous: string, anonymousHint: string, error: string, signIn: string }

/**
 * What an anonymous page shows while the page script works: "checking" while `<html data-sso>` is checking,
 * reloading or redirecting; the sign-in link once it settled on anonymous; the error line on error. The classes
 * match the states the script sets (style them: `.checking`, `.anonymous-only`, `.failed`).
 */
export function renderSignInGate (text: SignInGateText, loginPath: string): string {
  return `<p class="checking" role="status">${escapeHtml(text.checking)}</p>
<div class="anonymous-only"><p id="anonymous">${escapeHtml(text.anonymous)}</p><p>${escapeHtml(text.anonymousHint)}</p>
<p class="failed" role="alert">${escapeHtml(text.error)}</p>
<a class="button primary" href="${escapeHtml(loginPath)}">${escapeHtml(text.signIn)}</a></div>`
}
