import { Writable } from 'node:stream'
import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { installErrorHandler, sameOriginGuard, type SameOriginGuardOptions } from '../src/index.js'

interface Tap { teardown: (fn: () => unknown) => void }
const PUBLIC = 'https://console.example'

/**
 * An app behind a proxy (PUBLIC_URL https://console.example, reached as Host internal:3000) with the guard, a route
 * per unsafe method and one per opt-out; `ran` lists the handlers that ran, `refusals` the logged refusals.
 */
async function build (t: Tap, options: Partial<SameOriginGuardOptions> = {}): Promise<{ app: FastifyInstance, ran: string[], refusals: Array<Record<string, unknown>> }> {
  const refusals: Array<Record<string, unknown>> = []
  const stream = new Writable({
    write (chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) {
        if (line === '') continue
        const entry = JSON.parse(line) as Record<string, unknown>
        if (entry.msg === 'refused') refusals.push(entry)
      }
      done()
    }
  })
  const app = Fastify({ logger: { level: 'warn', stream }, bodyLimit: 1024 })
  installErrorHandler(app, 'KEFU_TEST')
  sameOriginGuard(app, { origin: PUBLIC + ':443/', code: 'KEFU_TEST_CROSS_SITE', ...options })
  const ran: string[] = []
  // A hook after the guard stands for everything that must not happen for a refused request (sessions, bodies).
  app.addHook('onRequest', async (request) => { ran.push('hook ' + request.method) })
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => { done(null, body) })
  // HEAD comes with GET.
  for (const method of ['GET', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE'] as const) {
    app.route({ method, url: '/thing', handler: async () => { ran.push(method); return { ok: true } } })
  }
  app.post('/back-channel', { config: { originCheck: 'server-to-server' } }, async () => { ran.push('back-channel'); return { ok: true } })
  app.post('/cors', { config: { originCheck: 'registered-origins' } }, async () => { ran.push('cors'); return { ok: true } })
  app.post('/form', { config: { originCheck: 'form-token' } }, async () => { ran.push('form'); return { ok: true } })
  await app.ready()
  t.teardown(() => app.close())
  return { app, ran, refusals }
}

const FOREIGN: Array<[string, Record<string, string>]> = [
  ['another port', { origin: 'https://console.example:8443' }],
  ['a sibling subdomain', { origin: 'https://evil.console.example', 'sec-fetch-site': 'same-site' }],
  ['another scheme', { origin: 'http://console.example' }],
  ["Origin 'null'", { origin: 'null' }],
  ['the internal address the proxy uses', { origin: 'http://internal:3000' }],
  ['an empty Origin', { origin: '' }],
  ['Sec-Fetch-Site: same-site alone', { 'sec-fetch-site': 'same-site' }],
  ['Sec-Fetch-Site: cross-site alone', { 'sec-fetch-site': 'cross-site' }],
  ['Sec-Fetch-Site: none alone', { 'sec-fetch-site': 'none' }],
  ['the public Origin, but Sec-Fetch-Site: same-site', { origin: PUBLIC, 'sec-fetch-site': 'same-site' }],
  ['the public Origin, but Sec-Fetch-Site: cross-site', { origin: PUBLIC, 'sec-fetch-site': 'cross-site' }],
  ['neither header', {}]
]

t.test('every unsafe method is refused from anywhere but the public origin, before any other hook; safe ones pass', async (t) => {
  const { app, ran, refusals } = await build(t)
  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
    for (const [name, headers] of FOREIGN) {
      const res = await app.inject({ method, url: '/thing', headers: { host: 'internal:3000', ...headers } })
      t.equal(res.statusCode, 403, `${method} ${name}`)
      t.match(res.json(), { statusCode: 403, code: 'KEFU_TEST_CROSS_SITE', error: 'Forbidden', message: /^refused: state-changing requests must come from https:\/\/console\.example \(.+\)$/ })
    }
    t.equal(refusals.filter((r) => r.method === method).length, FOREIGN.length, `${method}: each refusal logged once`)
  }
  t.same(ran, [], 'no handler and no later hook ran')
  t.match(refusals.at(-1), { level: 40, code: 'KEFU_TEST_CROSS_SITE', method: 'DELETE', path: '/thing', reason: 'neither Origin nor Sec-Fetch-Site was sent' })

  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
    const res = await app.inject({ method, url: '/thing', headers: { host: 'internal:3000', origin: PUBLIC, 'sec-fetch-site': 'same-origin' } })
    t.equal(res.statusCode, 200, `${method} from the public origin, whatever the Host`)
  }
  t.equal((await app.inject({ method: 'POST', url: '/thing', headers: { 'sec-fetch-site': 'same-origin' } })).statusCode, 200, 'Sec-Fetch-Site: same-origin without Origin')
  t.equal((await app.inject({ method: 'POST', url: '/thing', headers: { origin: PUBLIC } })).statusCode, 200, 'Origin without Sec-Fetch-Site (browsers send none over plain HTTP)')
  t.equal((await app.inject({ method: 'POST', url: '/thing', headers: { origin: PUBLIC, 'sec-fetch-site': 'none' } })).statusCode, 200, 'the person reloading a posted page')
  for (const method of ['GET', 'HEAD', 'OPTIONS'] as const) {
    t.equal((await app.inject({ method, url: '/thing', headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' } })).statusCode, 200, `${method} is not guarded`)
  }
})

t.test('refused before the body is read: an oversized upload from elsewhere is 403, not 413', async (t) => {
  const { app } = await build(t)
  const res = await app.inject({ method: 'POST', url: '/thing', headers: { origin: 'https://evil.example', 'content-type': 'application/json' }, payload: JSON.stringify({ x: 'y'.repeat(4096) }) })
  t.equal(res.statusCode, 403)
  const own = await app.inject({ method: 'POST', url: '/thing', headers: { origin: PUBLIC, 'content-type': 'application/json' }, payload: JSON.stringify({ x: 'y'.repeat(4096) }) })
  t.equal(own.statusCode, 413, 'from its own page the body limit applies as before')
})

t.test('opt-outs: a server-to-server route and a CORS route of registered origins check their callers themselves', async (t) => {
  const { app, ran } = await build(t)
  for (const [name, headers] of FOREIGN) {
    t.equal((await app.inject({ method: 'POST', url: '/back-channel', headers })).statusCode, 200, `back-channel: ${name}`)
    t.equal((await app.inject({ method: 'POST', url: '/cors', headers })).statusCode, 200, `cors: ${name}`)
  }
  t.equal(ran.filter((r) => r === 'back-channel').length, FOREIGN.length)
  t.equal((await app.inject({ method: 'POST', url: '/thing', headers: { origin: 'https://evil.example' } })).statusCode, 403, 'while the routes without the flag are guarded')
})

t.test("form-token: an HTML form with neither header is left to the route's token; nothing else is", async (t) => {
  const { app, ran } = await build(t)
  const form = { 'content-type': 'application/x-www-form-urlencoded' }
  t.equal((await app.inject({ method: 'POST', url: '/form', headers: form, payload: 'a=1' })).statusCode, 200, 'an old browser: the route checks its token')
  t.equal((await app.inject({ method: 'POST', url: '/form', headers: { 'content-type': 'application/json' }, payload: '{}' })).statusCode, 403, 'JSON with neither header')
  t.equal((await app.inject({ method: 'POST', url: '/form', headers: { ...form, origin: 'https://evil.example' }, payload: 'a=1' })).statusCode, 403, 'a form from another origin')
  t.equal((await app.inject({ method: 'POST', url: '/form', headers: { ...form, 'sec-fetch-site': 'same-site' }, payload: 'a=1' })).statusCode, 403, 'a form a sibling posted')
  t.equal((await app.inject({ method: 'POST', url: '/thing', headers: form, payload: 'a=1' })).statusCode, 403, 'only where the route says so')
  t.same(ran.filter((r) => r === 'form'), ['form'])
})

t.test('answer: the app may answer a refusal itself (a page for a form); it is logged all the same', async (t) => {
  const { app, refusals } = await build(t, {
    answer: (request, reply, reason) => request.headers['content-type'] === 'application/x-www-form-urlencoded' ? reply.code(403).type('text/html').send(`<p>${reason}</p>`) : undefined
  })
  const page = await app.inject({ method: 'POST', url: '/thing', headers: { origin: 'null', 'content-type': 'application/x-www-form-urlencoded' }, payload: 'a=1' })
  t.equal(page.statusCode, 403)
  t.equal(page.body, "<p>Origin null is not https://console.example</p>")
  const api = await app.inject({ method: 'POST', url: '/thing', headers: { origin: 'null' } })
  t.equal(api.json().code, 'KEFU_TEST_CROSS_SITE')
  t.equal(refusals.length, 2)
})
