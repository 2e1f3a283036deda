import { setTimeout as delay } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import type { CutMode, TcpProxy } from './tcp-proxy.js'

export type Server = 'database' | 'redis'

/** What a probe got back. */
export interface Answer { status: number, contentType: string, body: string }

/** One normal request of one route. */
export interface Probe {
  /** The route it exercises, as the app registered it: `POST /login`, `GET /api/conversations/:appid/:openid`. */
  route: string
  /** Tells several probes of one route apart (`form`, `json`). */
  label?: string
  /** The servers the route needs; none for a route that must keep answering while they are away. */
  needs: readonly Server[]
  /** A page for people: while a server it needs is away it answers an HTML page with 503, not the JSON error. */
  page?: boolean
  /** Makes the request. `up`: every server it needs is up (a probe that ends a session signs in afresh first). */
  send: (up: boolean) => Promise<Answer>
  /** The normal answer: its status, or a check of the whole answer. */
  ok: number | ((answer: Answer) => boolean)
  /** For a route with a 503 answer of its own (a health check): that answer. Default: the JSON error, or the page. */
  down?: (answer: Answer) => boolean
}

/** Routes as the app registers them (`METHOD /url`), the HEAD twins of GET routes left out (Fastify adds them). */
export function recordRoutes (fastify: FastifyInstance): () => string[] {
  const routes: string[] = []
  fastify.addHook('onRoute', function record (route) {
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) routes.push(`${method} ${route.url}`)
  })
  const trim = (url: string): string => url.length > 1 ? url.replace(/\/$/, '') : url
  return () => [...new Set(routes)].filter((r) => !(r.startsWith('HEAD ') && routes.some((g) => g.startsWith('GET ') && trim(g.slice(4)) === trim(r.slice(5))))).sort()
}

/** Turns a light-my-request response (app.inject) into an Answer. */
export function injected (res: { statusCode: number, headers: Record<string, unknown>, body: string }): Answer {
  return { status: res.statusCode, contentType: String(res.headers['content-type'] ?? ''), body: res.body }
}

/** Turns a fetch Response into an Answer (reads the body). */
export async function fetched (res: Response): Promise<Answer> {
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: await res.text() }
}

/** The part of a tap Test the drill uses. */
interface Tap {
  test (name: string, fn: (t: any) => Promise<void>): Promise<unknown>
  ok (value: unknown, message: string): boolean
  same (found: unknown, wanted: unknown, message: string): boolean
  match (found: unknown, pattern: RegExp, message: string): boolean
  fail (message: string): boolean
}

export interface OutageDrillOptions {
  /** From `recordRoutes`, registered before the app: every route must have a probe, every probe a route. */
  routes: () => string[]
  probes: Probe[]
  proxies: Record<Server, TcpProxy>
  /** Each request must be answered within this (default 10 000 ms): an outage never hangs a request. */
  answerWithinMs?: number
  /** Each route must work again within this once the servers are back (default 20 000 ms). */
  recoverWithinMs?: number
  /** The app's log lines: none at error level or above during the drill (an outage is a warning, not a bug). */
  logs?: ReadonlyArray<{ level: number, msg?: string }>
}

function nameOf (p: Probe): string {
  return p.label === undefined ? p.route : `${p.route} (${p.label})`
}

function isOk (p: Probe, a: Answer): boolean {
  return typeof p.ok === 'number' ? a.status === p.ok : p.ok(a)
}

async function bounded (p: Probe, up: boolean, ms: number): Promise<Answer | Error> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<Error>((resolve) => { timer = setTimeout(() => { resolve(new Error(`no answer within ${ms} ms`)) }, ms) })
  try {
    return await Promise.race([p.send(up).catch((err: unknown) => err instanceof Error ? err : new Error(String(err))), late])
  } finally {
    clearTimeout(timer)
  }
}

function show (a: Answer | Error): string {
  return a instanceof Error ? a.message : `${a.status} ${a.contentType.split(';')[0]} ${a.body.slice(0, 160).replace(/\s+/g, ' ')}`
}

/** The one-line answer of a route whose server is away: the JSON error, or for a page an HTML page; 503 either way. */
function assertUnavailable (t: Tap, p: Probe, a: Answer | Error): void {
  const name = nameOf(p)
  if (a instanceof Error || a.status !== 503) {
    t.fail(`${name}: 503 while a server it needs is away, got ${show(a)}`)
    return
  }
  if (p.down !== undefined) {
    t.ok(p.down(a), `${name}: its own 503 answer, got ${show(a)}`)
    return
  }
  if (p.page === true) {
    t.match(a.contentType, /^text\/html/, `${name}: 503 page`)
    return
  }
  let body: { statusCode?: unknown, code?: unknown, error?: unknown, message?: unknown } = {}
  try { body = JSON.parse(a.body) } catch {}
  t.ok(body.statusCode === 503 && body.error === 'Service Unavailable' && typeof body.code === 'string' && /^KEFU_[A-Z_]+_UNAVAILABLE$/.test(body.code) &&
    typeof body.message === 'string' && body.message !== '' && !body.message.includes('\n') && body.message.length <= 200,
  `${name}: 503 with one readable line, got ${show(a)}`)
}

/**
 * Every route answers normally; then, for PostgreSQL and Redis cut together (connections reset) and each alone (the
 * server gone: connections refused), every route that needs a cut server answers 503 with one line, at once, and
 * every other route keeps answering; the servers come back and every route works again by itself. The process must
 * see no uncaught exception and no unhandled rejection throughout.
 */
export async function outageDrill (t: Tap, options: OutageDrillOptions): Promise<void> {
  const answerWithinMs = options.answerWithinMs ?? 10_000
  const recoverWithinMs = options.recoverWithinMs ?? 20_000
  const { probes, proxies } = options
  const crashes: string[] = []
  const onCrash = (err: unknown): void => { crashes.push(err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err)) }
  process.on('uncaughtException', onCrash)
  process.on('unhandledRejection', onCrash)
  const logsBefore = options.logs?.length ?? 0
  try {
    await t.test('every route the app registered has a probe, and every probe a route', async (t) => {
      const routes = options.routes()
      const probed = new Set(probes.map((p) => p.route))
      t.same(routes.filter((r) => !probed.has(r)), [], 'routes without a probe (add one to this test)')
      t.same([...probed].filter((r) => !routes.includes(r)), [], 'probes of routes the app does not have')
    })

    await t.test('with PostgreSQL and Redis up, every route answers normally', async (t) => {
      for (const p of probes) {
        const a = await bounded(p, true, answerWithinMs)
        t.ok(!(a instanceof Error) && isOk(p, a), `${nameOf(p)}: ${show(a)}`)
      }
    })

    const scenarios: Array<{ cut: Server[], mode: CutMode }> = [
      { cut: ['database', 'redis'], mode: 'reset' },
      { cut: ['redis'], mode: 'refuse' },
      { cut: ['database'], mode: 'refuse' }
    ]
    for (const { cut, mode } of scenarios) {
      const what = cut.length === 2 ? 'PostgreSQL and Redis' : cut[0] === 'redis' ? 'Redis alone' : 'PostgreSQL alone'
      await t.test(`${what} cut (${mode === 'reset' ? 'connections reset' : 'server gone'}): 503 in one line where needed, then back by itself`, async (t) => {
        for (const server of cut) await proxies[server].cut(mode)
        for (const p of probes) {
          const affected = p.needs.some((s) => cut.includes(s))
          const a = await bounded(p, !affected, answerWithinMs)
          if (affected) assertUnavailable(t, p, a)
          else t.ok(!(a instanceof Error) && isOk(p, a), `${nameOf(p)} needs no ${what}: keeps answering, got ${show(a)}`)
        }
        for (const server of cut) await proxies[server].restore()
        const deadline = Date.now() + recoverWithinMs
        for (const p of probes) {
          let a: Answer | Error = await bounded(p, true, answerWithinMs)
          while ((a instanceof Error || !isOk(p, a)) && Date.now() < deadline) {
            await delay(100)
            a = await bounded(p, true, answerWithinMs)
          }
          t.ok(!(a instanceof Error) && isOk(p, a), `${nameOf(p)} works again once ${what} is back, got ${show(a)}`)
        }
      })
    }
  } finally {
    process.off('uncaughtException', onCrash)
    process.off('unhandledRejection', onCrash)
  }
  t.same(crashes, [], 'no uncaught exception or unhandled rejection: the process would have lived through it')
  if (options.logs !== undefined) {
    const errors = options.logs.slice(logsBefore).filter((l) => l.level >= 50).map((l) => l.msg)
    t.same(errors, [], 'nothing logged at error level: an outage is logged as a warning')
  }
}
