// Redis stops in the middle of a session, and comes back. The machine's Redis is never touched: this file runs its
// own throwaway redis-server on a free port (AOF on, so data survives the kill like a real restart), or, where no
// redis-server binary exists, a TCP proxy in front of REDIS_URL that it cuts and restores.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once, type EventEmitter } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { createTcpProxy } from '@kefu/service/testing'
import { createRedisStore } from '../src/index.js'
import { Browser, buildApp, REDIS_URL, redisFor, testPrefix } from './helpers.js'

interface Outage {
  url: string
  down (): Promise<void>
  up (): Promise<void>
  dispose (): Promise<void>
}

async function freePort (): Promise<number> {
  const server = net.createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as net.AddressInfo
  server.close()
  await once(server, 'close')
  return port
}

async function throwawayRedis (): Promise<Outage> {
  const port = await freePort()
  const dir = await mkdtemp(join(tmpdir(), 'kefu-redis-down-'))
  let proc: ChildProcess | undefined
  async function start (): Promise<void> {
    const p = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
      '--appendonly', 'yes', '--appendfsync', 'always', '--protected-mode', 'no', '--daemonize', 'no'],
    { stdio: ['ignore', 'pipe', 'inherit'] })
    proc = p
    await new Promise<void>((resolve, reject) => {
      let out = ''
      const timer = setTimeout(() => { reject(new Error('redis-server did not start: ' + out)) }, 10_000)
      p.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        if (out.includes('Ready to accept connections')) { clearTimeout(timer); resolve() }
      })
      p.once('exit', (code) => { clearTimeout(timer); reject(new Error(`redis-server exited with ${code}: ${out}`)) })
    })
    p.stdout?.resume()
  }
  async function stop (): Promise<void> {
    const p = proc
    proc = undefined
    if (p === undefined || p.exitCode !== null) return
    const exited = once(p, 'exit')
    p.kill('SIGKILL')
    await exited
  }
  await start()
  return {
    url: `redis://127.0.0.1:${port}`,
    down: stop,
    up: start,
    dispose: async () => { await stop(); await rm(dir, { recursive: true, force: true }) }
  }
}

/** A TCP proxy in front of REDIS_URL: down refuses connections and cuts the open ones, up forwards again. */
async function cuttableProxy (target: string): Promise<Outage> {
  const proxy = await createTcpProxy(target)
  return { url: proxy.url, down: () => proxy.cut('refuse'), up: proxy.restore, dispose: proxy.close }
}

const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0
const outages: Array<['redis-server' | 'proxy', string | false]> = [
  ['redis-server', !hasRedisServer && 'no redis-server binary on this machine'],
  ['proxy', REDIS_URL === undefined && 'REDIS_URL is not set (embedded run)']
]

for (const [kind, skip] of outages) {
  t.test(`Redis stops mid-session → 503, no crash; Redis returns → works (${kind === 'proxy' ? 'cut TCP proxy in front of REDIS_URL' : 'throwaway redis-server killed and restarted'})`, { skip }, async (t) => {
    const prefix = testPrefix('redis-down-' + kind)
    if (kind === 'proxy') await redisFor(t, prefix) // deletes this file's keys from the real Redis afterwards
    const outage = kind === 'proxy' ? await cuttableProxy(REDIS_URL as string) : await throwawayRedis()
    t.teardown(() => outage.dispose())
    const errors: Error[] = []
    const store = await createRedisStore({ url: outage.url, prefix, timeoutMs: 1000, onError: (err) => errors.push(err) })
    t.teardown(() => store.close())
    const client = store.client as unknown as EventEmitter
    const app = await buildApp(t, { store })
    const browser = new Browser(app)
    t.equal((await browser.post('/login', { id: 'u-down', username: 'dora' })).statusCode, 200)
    t.equal((await browser.get('/me')).statusCode, 200)

    await outage.down()
    // Right away, before or after the client noticed: every route that needs a session answers 503, at once.
    const burst = await Promise.all(Array.from({ length: 10 }, () => browser.clone().get('/me')))
    t.same(burst.map((r) => r.statusCode), Array(10).fill(503), 'a burst of requests during the outage: all 503')
    if (store.client.isReady) await once(client, 'error')
    t.notOk(store.client.isReady, 'the client knows Redis is gone')
    t.ok(errors.length > 0, 'connection errors reach onError instead of crashing the process')

    const me = await browser.get('/me')
    t.equal(me.statusCode, 503)
    t.same(me.json(), {
      statusCode: 503, code: 'KEFU_SESSION_STORE_UNAVAILABLE', error: 'Service Unavailable',
      message: 'Session store unavailable, try again shortly'
    })
    t.equal((await browser.get('/whoami')).statusCode, 503, 'an optional-session route does not fall back to "anonymous"')
    t.equal((await new Browser(app).post('/login', { id: 'u-other', username: 'x' })).statusCode, 503, 'no login into memory')
    t.equal((await browser.post('/logout')).statusCode, 503, 'logout cannot pretend to have worked')
    t.ok(browser.jar.has('test.sid'), 'the cookie is kept for when Redis is back')
    t.equal((await browser.get('/public')).statusCode, 200, 'routes without sessions keep serving')

    // Not events.once: it would reject on the reconnection errors the client emits until the server is up.
    const ready = new Promise((resolve) => { client.once('ready', resolve) })
    await outage.up()
    await ready
    const back = await browser.get('/me')
    t.equal(back.statusCode, 200, 'the same session works again (scripts reloaded after NOSCRIPT when Redis restarted)')
    t.equal(back.json().user.username, 'dora')
    const fresh = new Browser(app)
    t.equal((await fresh.post('/login', { id: 'u-after', username: 'after' })).statusCode, 200)
    t.equal((await fresh.get('/me')).statusCode, 200)
    t.equal((await browser.post('/logout')).statusCode, 200)
    t.equal((await browser.get('/me')).statusCode, 401)
  })
}

t.test('createRedisStore refuses to start when Redis cannot be reached, with one clear line', async (t) => {
  const port = await freePort()
  const started = Date.now()
  await t.rejects(createRedisStore({ url: `redis://:secret@127.0.0.1:${port}`, prefix: 'x:', connectTimeoutMs: 300 }),
    { message: `Redis at redis://:***@127.0.0.1:${port} did not answer within 300 ms` })
  t.ok(Date.now() - started < 3000)
})
