// The wire protocol's pieces: client authentication, back-channel signatures, origin and return-path rules.
import t from 'tap'
import {
  basicAuthorization, exactOrigin, parseBasicAuthorization, renderPageScript, safeReturnPath, secretsEqual,
  signLogoutMessage, verifyLogoutMessage, type LogoutMessage
} from '../src/index.js'

const SECRET = 'client-secret-client-secret-client-secret'
const NOW = 1_790_000_000_000
const message: LogoutMessage = { iss: 'https://a.example', aud: 'b1', sub: '7', sids: ['abcdefghijklmnopqrstuv'], iat: NOW, jti: 'j1' }
const expected = { secret: SECRET, issuer: 'https://a.example', audience: 'b1', now: NOW, maxAgeMs: 30_000 }

t.test('HTTP Basic client authentication round-trips, with RFC 6749 form-encoding', async (t) => {
  const header = basicAuthorization('b:1', 'p@ss:wörd')
  t.match(header, /^Basic [A-Za-z0-9+/]+=*$/)
  t.same(parseBasicAuthorization(header), { clientId: 'b:1', clientSecret: 'p@ss:wörd' })
  for (const bad of [undefined, '', 'Bearer x', 'Basic', 'Basic !!!', 'Basic ' + Buffer.from('nocolon').toString('base64'), 'Basic ' + Buffer.from(':x').toString('base64'), 'Basic ' + Buffer.from('%zz:x').toString('base64')]) {
    t.equal(parseBasicAuthorization(bad), null, String(bad))
  }
  t.equal(secretsEqual('a', 'a'), true)
  t.equal(secretsEqual('a', 'b'), false)
  t.equal(secretsEqual('a', 'a'.repeat(100)), false, 'different lengths compare without throwing')
})

t.test('a signed logout verifies; any change to it does not', async (t) => {
  const { body, signature } = signLogoutMessage(message, SECRET)
  t.match(signature, /^v1=[A-Za-z0-9_-]{43}$/)
  t.same(verifyLogoutMessage(body, signature, expected), { ok: true, message })
  const cases: Array<[string, string, string | undefined, Partial<typeof expected>]> = [
    ['no signature', body, undefined, {}],
    ['signature of another secret', body, signLogoutMessage(message, 'x'.repeat(40)).signature, {}],
    ['body changed after signing', body.replace('"7"', '"8"'), signature, {}],
    ['whitespace added after signing', body + ' ', signature, {}],
    ['another audience', body, signature, { audience: 'b2' }],
    ['another issuer', body, signature, { issuer: 'https://evil.example' }],
    ['31 s old', body, signature, { now: NOW + 31_000 }],
    ['31 s in the future', body, signature, { now: NOW - 31_000 }]
  ]
  for (const [name, b, s, patch] of cases) {
    const verdict = verifyLogoutMessage(b, s, { ...expected, ...patch })
    t.equal(verdict.ok, false, name)
  }
  t.equal(verifyLogoutMessage(body, signature, { ...expected, now: NOW + 30_000 }).ok, true, 'exactly 30 s old is still fine')
  const bad = signLogoutMessage({ ...message, sids: ['../../etc'] }, SECRET)
  t.same(verifyLogoutMessage(bad.body, bad.signature, expected), { ok: false, reason: 'bad sids' })
})

t.test('exact origins only', async (t) => {
  t.equal(exactOrigin('https://b.example'), 'https://b.example')
  t.equal(exactOrigin('http://127.0.0.1:3002'), 'http://127.0.0.1:3002')
  for (const bad of ['https://b.example/', 'https://B.example', 'https://b.example:443', 'https://b.example/x', '*', 'null', 'b.example', 'ftp://b.example', 'https://u@b.example']) {
    t.equal(exactOrigin(bad), null, bad)
  }
})

t.test('return paths stay on this site', async (t) => {
  t.equal(safeReturnPath('/a/b?c=d'), '/a/b?c=d')
  for (const bad of ['https://evil.example/', '//evil.example', '/\\evil.example', '\\\\evil', 'javascript:alert(1)', '/a\nb', '', undefined, 42, '/' + 'a'.repeat(2048)]) {
    t.equal(safeReturnPath(bad), '/', JSON.stringify(bad))
  }
})

t.test('the page script embeds its configuration safely', async (t) => {
  const html = renderPageScript({ authUrl: 'https://a.example', clientId: 'b1', user: false, due: true, csrf: '</script><script>alert(1)</script>', ticketUrl: '/sso/ticket', checkUrl: '/sso/login?prompt=none&return_to=' }, 'abc"def')
  t.match(html, /^<script nonce="abcdef">/)
  t.equal(html.match(/<\/script>/g)?.length, 1, 'the config cannot close the script element')
  t.match(html, /\\u003c\/script>/)
  t.match(html, /credentials: 'include'/)
  t.notMatch(html, /callback=|jsonp/i)
})
