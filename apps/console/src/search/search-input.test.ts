import t from 'tap'
import { compileQuery, MAX_LEXEMES } from '@kefu/history'
import { APPS, Agent, startConsoleSystem } from '../../test/helper.js'

const [SAFE] = APPS.map((a) => a.appid) as [string]
const enc = encodeURIComponent

t.test('a query ANDs at most MAX_LEXEMES lexemes, and is then rechecked', async (t) => {
  const hundred = Array.from({ length: 100 }, (_, i) => String.fromCharCode(0x4e00 + i)).join('')
  const q = compileQuery(hundred)!
  t.equal(q.tsquery.split(' & ').length, MAX_LEXEMES, '99 bigrams, the first 32 looked up')
  t.same(q.terms, [hundred], 'the whole text rechecked')
  const many = compileQuery(Array.from({ length: 50 }, (_, i) => String.fromCharCode(0x4e00 + i)).join(' '))!
  t.equal(many.tsquery.split(' & ').length, MAX_LEXEMES)
  t.equal(many.exact, false, 'lexemes left out: every term rechecked')
})

t.test('search: every input, however hostile, gets 200 or a clear 400 (one readable line)', async (t) => {
  const sys = await startConsoleSystem(t, { label: 'search-input', history: { catchUpLagMs: 0 } })
  const base = Math.floor(Date.now() / 1000) - 3600
  await sys.push(SAFE, 'text', { from: 'o_1', content: '你好，我要退款 100% a_b', createTime: base })
  await sys.push(SAFE, 'text', { from: 'o_1', content: 'order [DD-1] (x.*) \\ it\'s', createTime: base + 60 })
  // JSON may carry a NUL ("\u0000"), which no text column holds: indexed as a space, not a stuck catch-up.
  await sys.push(SAFE, 'text', { from: 'o_nul', content: 'before\u0000after', createTime: base + 120 })
  await sys.worker.app.history.catchUp()
  t.equal(await sys.prisma.messageSearch.count(), 3, 'every message indexed')
  t.same((await sys.prisma.messageSearch.findFirst({ where: { openid: 'o_nul' } }))?.body, 'before after', 'a NUL indexed as a space')
  const alice = new Agent()
  await alice.signIn(sys)
  const key = (await alice.api(sys, 'GET', '/api/search?openid=o_1')).json().results[0].key as string

  // [query string, expected status (200 or 400)]
  const searches: Array<[string, 200 | 400]> = [
    // NUL, in each text parameter: nothing stored can contain it.
    ['q=' + enc('退款') + '%00', 400],
    ['q=%00', 400],
    ['openid=o_1%00', 400],
    ['tag=vip%00', 400],
    ['assignee=%00', 400],
    ['from=2026-12-01%00', 400],
    ['after=1.in.1%00', 400],
    // Not UTF-8, lone surrogates (as UTF-8 would encode them, or as CESU-8), malformed escapes.
    ['q=%ED%A0%80', 400],
    ['q=' + enc('退') + '%ED%B0%80', 400],
    ['q=%FF%FE', 400],
    ['q=%C0%80', 400],
    ['q=%E0%A4%A', 400],
    ['q=%ZZ', 400],
    ['q=%', 400],
    // Very long text, or text that NFKC makes long (each ﷺ becomes 18 letters; ﷽ is a symbol, not letters).
    ['q=' + 'x'.repeat(101), 400],
    ['q=' + 'x'.repeat(10_000), 400],
    ['q=' + enc('退'.repeat(1000)), 400],
    ['q=' + enc('ﷺ'.repeat(100)), 200],
    ['q=' + enc('ﷺﷻ'.repeat(50)), 200],
    ['q=' + enc('﷽'.repeat(100)), 400],
    ['q=' + enc(Array.from({ length: 100 }, (_, i) => String.fromCharCode(0x3300 + i)).join('')), 200],
    ['q=' + enc(Array.from({ length: 100 }, (_, i) => String.fromCharCode(0x4e00 + i)).join('')), 200],
    ['q=' + enc('a '.repeat(50)), 200],
    ['q=' + enc('ab '.repeat(33)), 200],
    // Only spaces (all of them), only punctuation.
    ['q=' + enc('   '), 200],
    ['q=' + enc('\t\n\u3000\u00a0'), 200],
    ['q=', 200],
    ['q=' + enc('?!。，…'), 400],
    ['q=' + enc('%'), 400],
    ['q=' + enc('\u0001\u001f'), 400],
    // LIKE, regex and tsquery metacharacters: searched as text.
    ['q=' + enc('100%'), 200],
    ['q=' + enc('a_b'), 200],
    ['q=' + enc('x.*'), 200],
    ['q=' + enc('[DD-1]'), 200],
    ['q=' + enc('\\'), 400],
    ['q=' + enc("it's"), 200],
    ['q=' + enc("'"), 400],
    ['q=' + enc('a:* & b | !c <-> (d)'), 200],
    ['q=' + enc("退款' | '发货"), 200],
    ['q=' + enc('$1'), 200],
    // Each parameter with a wrong type or out of range.
    ['q=a&q=b', 400],
    ['limit=0', 400],
    ['limit=101', 400],
    ['limit=-1', 400],
    ['limit=1.5', 400],
    ['limit=abc', 400],
    ['limit=1e3', 400],
    ['limit=', 400],
    ['limit=99999999999999999999999', 400],
    ['appid=wx', 400],
    ['appid=' + enc("wx' OR 1=1 --"), 400],
    ['openid=', 400],
    ['openid=' + 'o'.repeat(129), 400],
    ['tag=', 400],
    ['tag=' + 't'.repeat(65), 400],
    ['status=closed', 400],
    ['status=', 400],
    ['direction=both', 400],
    ['assignee=' + 'a'.repeat(129), 400],
    ['from=yesterday', 400],
    ['from=2026-13-45', 400],
    ['from=2026-02-30', 400],
    ['from=2026-02-29', 400],
    ['to=2026-12-01T25:00:00Z', 400],
    ['from=0000-01-01T00:00:00Z', 200],
    ['from=1970-01-01', 200],
    ['to=9999-12-31', 200],
    ['from=2026-12-02&to=2026-12-01', 400],
    ['from=' + 'x'.repeat(41), 400],
    ['after=zzz', 400],
    ['after=1.in.9223372036854775807', 200],
    ['after=1.in.9223372036854775808', 400],
    ['after=1.in.9999999999999999999', 400],
    ['after=999999999999999.out.1', 200],
    ['after=-1.in.1', 400],
    ['unknown=1', 200]
  ]
  for (const [query, expected] of searches) {
    const res = await alice.api(sys, 'GET', '/api/search?' + query)
    const shown = query.length > 80 ? query.slice(0, 80) + '…' : query
    t.equal(res.status, expected, `${shown}: ${res.status} ${res.text.slice(0, 160)}`)
    if (res.status === 400) {
      const message = res.json().message as string
      t.ok(message.length > 0 && message.length <= 200 && !/[\n\u0000]/.test(message), `${shown}: one readable line ("${message}")`)
    }
  }

  const arounds: Array<[string, 200 | 400 | 404 | 414]> = [
    [`/api/conversations/${SAFE}/o_1/around?key=${key}`, 200],
    [`/api/conversations/${SAFE}/o_1/around?key=${key}&each=0`, 400],
    [`/api/conversations/${SAFE}/o_1/around?key=${key}&each=101`, 400],
    [`/api/conversations/${SAFE}/o_1/around?key=in-x`, 400],
    [`/api/conversations/${SAFE}/o_1/around`, 400],
    [`/api/conversations/${SAFE}/o_1/around?key=in-9223372036854775807`, 404],
    [`/api/conversations/${SAFE}/o_1/around?key=in-9223372036854775808`, 400],
    [`/api/conversations/${SAFE}/o_1/around?key=in-9999999999999999999`, 400],
    [`/api/conversations/${SAFE}/o_1/around?key=out-9999999999999999999`, 400],
    [`/api/conversations/${SAFE}/o_1%00/around?key=${key}`, 400],
    [`/api/conversations/${SAFE}/o_1%ED%A0%80/around?key=${key}`, 400],
    // Longer than Fastify's maxParamLength (100): 414 URI Too Long, before any route runs.
    [`/api/conversations/${SAFE}/${'o'.repeat(129)}/around?key=${key}`, 414]
  ]
  for (const [path, expected] of arounds) {
    const res = await alice.api(sys, 'GET', path)
    t.equal(res.status, expected, `${path}: ${res.status} ${res.text.slice(0, 160)}`)
    if (res.status >= 400) t.notMatch(res.json().message, /\n/, `${path}: one line`)
  }
})
