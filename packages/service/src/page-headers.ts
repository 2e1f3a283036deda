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
