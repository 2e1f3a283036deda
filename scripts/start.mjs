// pnpm start — every kefu service in one process: ingest, the A site (auth), a B site (sync) and the console.
// With no DATABASE_URL it runs on embedded PostgreSQL (PGlite, persisted under ./data) and with no REDIS_URL on
// in-process stores, so a fresh checkout needs nothing installed. One process, because embedded PostgreSQL takes one
// connection: the services share one database client and one event bus. In production each service runs on its own
// (pnpm --filter @kefu/<app> start, or docker compose).
import crypto from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import closeWithGrace from 'close-with-grace'
import Fastify, { LogController } from 'fastify'
import authApp, { upsertAccount } from '@kefu/auth'
import consoleApp from '@kefu/console'
import { defaultDataDir, migrate, openDatabase } from '@kefu/db'
import ingestApp from '@kefu/ingest'
import { createMemoryBus, createRedisBus, readLogLevel, readWechatApps } from '@kefu/service'
import syncApp from '@kefu/sync'
import { startFakeWechat } from '@kefu/wechat-api/testing'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const env = process.env
const host = env.HOST || '127.0.0.1'
const logLevel = readLogLevel(env)
const PORTS = { ingest: 3000, auth: 3001, sync: 3002, console: 3003, wechat: 3004 }
const DEMO_USER = { username: 'demo', password: 'demo-password' }

function fail (message) {
  process.stderr.write(`pnpm start: ${message}\n`)
  process.exit(1)
}

async function main () {
  const demoApps = env.WECHAT_APPS === undefined && env.WECHAT_APPS_FILE === undefined
  const apps = demoApps
    ? readWechatApps({ WECHAT_APPS: readFileSync(path.join(root, 'config', 'demo-wechat-apps.json'), 'utf8') })
    : readWechatApps(env)
  const redisUrl = env.REDIS_URL || undefined
  const sessionSecret = env.SESSION_SECRET || (redisUrl === undefined ? crypto.randomBytes(32).toString('base64url') : fail('SESSION_SECRET (32+ characters) is required with REDIS_URL: sessions outlive this process'))
  const session = { secret: sessionSecret }

  const db = await openDatabase({ url: env.DATABASE_URL || undefined, log: () => {} })
  if (!db.embedded) await migrate(db.url)
  const bus = redisUrl === undefined ? createMemoryBus() : await createRedisBus(redisUrl)
  // Demo mini programs have no real AppSecret: their replies go to a local stand-in for WeChat's API.
  const fakeWechat = demoApps ? await startFakeWechat({ apps: apps.filter((a) => a.secret).map((a) => ({ appid: a.appid, secret: a.secret })), host, port: PORTS.wechat }) : undefined
  const wechatApiBase = fakeWechat?.url ?? env.WECHAT_API_BASE ?? undefined

  const url = (port) => `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`
  const authUrl = url(PORTS.auth)
  const syncUrl = url(PORTS.sync)
  const consoleUrl = url(PORTS.console)
  const syncSecret = crypto.randomBytes(24).toString('base64url')
  const consoleSecret = crypto.randomBytes(24).toString('base64url')

  await upsertAccount(db.prisma, DEMO_USER.username, DEMO_USER.password)
  await db.prisma.agentApp.createMany({ data: apps.map((a) => ({ username: DEMO_USER.username, appId: a.appid })), skipDuplicates: true })

  const servers = []
  async function serve (name, port, plugin, options) {
    const fastify = Fastify({
      logger: { level: logLevel, base: { svc: name } },
      logController: new LogController({ disableRequestLogging: true }),
      bodyLimit: 1024 * 1024
    })
    await fastify.register(plugin, options)
    await fastify.listen({ port, host })
    servers.push(fastify)
  }
  const shared = { prisma: db.prisma, redisUrl }
  await serve('auth', PORTS.auth, authApp, {
    ...shared,
    publicUrl: authUrl,
    session,
    clients: [
      { clientId: 'sync', clientSecret: syncSecret, origins: [syncUrl], redirectUris: [syncUrl + '/sso/callback'], logoutUri: syncUrl + '/sso/logout' },
      { clientId: 'console', clientSecret: consoleSecret, origins: [consoleUrl], redirectUris: [consoleUrl + '/sso/callback'], logoutUri: consoleUrl + '/sso/logout' }
    ]
  })
  await serve('ingest', PORTS.ingest, ingestApp, { ...shared, apps, bus })
  await serve('sync', PORTS.sync, syncApp, { publicUrl: syncUrl, authUrl, clientId: 'sync', clientSecret: syncSecret, session, redisUrl })
  await serve('console', PORTS.console, consoleApp, {
    ...shared, publicUrl: consoleUrl, authUrl, clientId: 'console', clientSecret: consoleSecret, session, apps, bus, wechatApiBase
  })

  closeWithGrace({ delay: 10_000 }, async ({ err, signal }) => {
    if (err) process.stderr.write(`kefu: closing after an error: ${err.stack}\n`)
    else process.stdout.write(`kefu: ${signal ?? 'close'}, closing\n`)
    for (const s of servers.reverse()) await s.close()
    await fakeWechat?.close()
    await bus.close()
    await db.close()
  })

  const where = db.embedded ? `embedded PostgreSQL under ${path.relative(process.cwd(), path.join(defaultDataDir(), 'pg')) || '.'}` : 'PostgreSQL at DATABASE_URL'
  process.stdout.write(`
kefu is running on ${where}, ${redisUrl === undefined ? 'in-process stores' : 'Redis at REDIS_URL'}.

${[
  ['ingest', `${url(PORTS.ingest)}/wechat/<appid>`, `WeChat's push URL; API docs at ${url(PORTS.ingest)}/docs`],
  ['A site', `${authUrl}/login`, `sign in as ${DEMO_USER.username} / ${DEMO_USER.password}`],
  ['B site', `${syncUrl}/`, 'signs you in by itself once you are signed in at A'],
  ['console', `${consoleUrl}/`, "conversations live; replies go to WeChat's customer-service API"],
  ...(fakeWechat ? [['WeChat', fakeWechat.url, 'a local stand-in for api.weixin.qq.com (the demo has no real AppSecret)']] : [])
].map(([name, where, what]) => `  ${name.padEnd(8)} ${where.padEnd(38)} ${what}`).join('\n')}

Mini programs${demoApps ? ' (demo: config/demo-wechat-apps.json)' : ''}:
${apps.map((a) => `  ${a.appid}  token ${demoApps ? a.token : '…'}  ${a.encodingAESKey ? 'safe mode (encodingAESKey set)' : 'plaintext mode'}`).join('\n')}

Send a push as WeChat would:  pnpm wechat:push --content 你好
Then open ${consoleUrl}/ (after signing in at ${authUrl}/login) and watch it arrive; reply from there.
`)
}

main().catch((err) => fail(err.message))
