// pnpm start — every kefu service in one process: ingest, the A site (auth), a B site (sync), the console and one worker.
// With no DATABASE_URL it runs on embedded PostgreSQL (PGlite, persisted under ./data) and with no REDIS_URL on
// in-process stores, so a fresh checkout needs nothing installed. One process, because embedded PostgreSQL takes one
// connection: the services share one database client and one event bus. In production each service runs on its own
// (pnpm --filter @kefu/<app> start, or docker compose).
//
// Each service reads its configuration through its own loadConfig, exactly as when it runs alone, from this
// process's environment plus only what one process must decide for it (see `overrides` below and docs/configuration.md).
import crypto from 'node:crypto'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as auth from '@kefu/auth'
import * as kefuConsole from '@kefu/console'
import { defaultDataDir, migrate, openDatabase } from '@kefu/db'
import * as ingest from '@kefu/ingest'
import { createMemoryBus, createRedisBus, readLauncherAddresses, startService, stopOnSignals } from '@kefu/service'
import * as sync from '@kefu/sync'
import * as worker from '@kefu/worker'
import { startFakeWechat } from '@kefu/wechat-api/testing'
import { DEMO_MEDIA_IDS, demoPng } from './demo-image.mjs'
import { seedDemoQuickReplies } from './demo-quick-replies.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const env = process.env
const DEMO_USER = { username: 'demo', password: 'demo-password' }
const DEMO_APPS_FILE = path.join(root, 'config', 'demo-wechat-apps.json')

function fail (message) {
  process.stderr.write(`pnpm start: ${message}\n`)
  process.exit(1)
}

/** What pnpm start decides for each service; everything else comes from the environment as documented. */
function overrides () {
  const { ports, metricsPorts, url } = readLauncherAddresses(env)
  // Each service's /metrics on a listener of its own (METRICS_HOST, loopback by default), after the stand-in for WeChat.
  // No load balancer stands in front of this process: it closes at once on Ctrl-C unless DRAIN_MS says otherwise.
  const drain = (env.DRAIN_MS ?? '').trim() === '' ? { DRAIN_MS: '0' } : {}
  const served = (name) => ({ METRICS_PORT: String(metricsPorts[name]), ...drain })
  const demoApps = (env.WECHAT_APPS ?? '').trim() === '' && (env.WECHAT_APPS_FILE ?? '').trim() === ''
  const authUrl = url(ports.auth)
  // The B sites this process runs, registered at its A site with secrets made for this start.
  const bSites = ['sync', 'console'].map((clientId) => {
    const origin = url(ports[clientId])
    return {
      clientId,
      clientSecret: crypto.randomBytes(24).toString('base64url'),
      origins: [origin],
      redirectUris: [origin + '/sso/callback'],
      logoutUri: origin + '/sso/logout'
    }
  })
  const own = new Set(bSites.map((c) => c.clientId))
  const registered = auth.readSsoClients(env)
  for (const c of registered) if (own.has(c.clientId)) fail(`SSO_CLIENTS registers "${c.clientId}", a B site pnpm start runs itself: give yours another clientId`)
  const bSite = (c) => ({ PORT: String(ports[c.clientId]), ...served(c.clientId), PUBLIC_URL: c.origins[0], AUTH_URL: authUrl, AUTH_INTERNAL_URL: authUrl, CLIENT_ID: c.clientId, CLIENT_SECRET: c.clientSecret })
  // Demo mini programs have no real AppSecret: their replies go to a local stand-in for WeChat's API.
  const apps = demoApps ? { WECHAT_APPS: undefined, WECHAT_APPS_FILE: DEMO_APPS_FILE } : {}
  return {
    ports,
    url,
    demoApps,
    ingest: { PORT: String(ports.ingest), ...served('ingest'), ...apps },
    auth: { PORT: String(ports.auth), ...served('auth'), PUBLIC_URL: authUrl, SSO_CLIENTS: JSON.stringify([...registered, ...bSites]), SSO_CLIENTS_FILE: undefined },
    sync: bSite(bSites[0]),
    console: { ...bSite(bSites[1]), INGEST_PUBLIC_URL: url(ports.ingest), ...(demoApps ? { WECHAT_API_BASE: url(ports.wechat) } : {}) },
    // The worker fetches the demo's pictures from the same stand-in the console replies through.
    worker: { PORT: String(ports.worker), ...served('worker'), ...(demoApps ? { WECHAT_API_BASE: url(ports.wechat) } : {}) }
  }
}

/** Outside the demo, an account still holding the published demo password (from an earlier demo) is refused. */
async function refuseDemoPassword (prisma) {
  const account = await prisma.account.findUnique({ where: { username: DEMO_USER.username } })
  if (account !== null && await auth.verifyPassword(account.passwordHash, DEMO_USER.password)) {
    fail(`account ${DEMO_USER.username} still has the published password ${DEMO_USER.password}: set a new one with pnpm --filter @kefu/auth user:add ${DEMO_USER.username} - (while kefu is stopped)`)
  }
}

/**
 * The demo's stand-in for WeChat learns what customers accept from the subscribe events ingest stores (the real
 * WeChat knows it first-hand), so that `pnpm wechat:push --type popup` lets the console send a subscribe message.
 */
async function teachAcceptances (bus, prisma, fake, apps) {
  const longTerm = new Set(apps.flatMap((a) => (a.subscribeTemplates ?? []).filter((t) => t.longTerm).map((t) => `${a.appid}/${t.templateId}`)))
  return await bus.subscribe(ingest.MESSAGES_CHANNEL, (announcement) => {
    const ids = JSON.parse(announcement).messages.map((m) => BigInt(m.id))
    prisma.subscribeEvent.findMany({ where: { messageId: { in: ids }, kind: { in: ['popup', 'change'] }, counted: true }, orderBy: { id: 'asc' } })
      .then((events) => {
        for (const e of events) {
          if (e.status === 'reject') fake.revokeSubscription(e.appId, e.openid, e.templateId)
          else fake.grantSubscription(e.appId, e.openid, e.templateId, longTerm.has(`${e.appId}/${e.templateId}`) ? 'long-term' : 1)
        }
      })
      .catch((err) => { process.stderr.write(`kefu: the demo WeChat missed an acceptance: ${err.message}\n`) })
  })
}

async function main () {
  const o = overrides()
  const config = {
    ingest: ingest.loadConfig({ ...env, ...o.ingest }),
    auth: auth.loadConfig({ ...env, ...o.auth }),
    sync: sync.loadConfig({ ...env, ...o.sync }),
    console: kefuConsole.loadConfig({ ...env, ...o.console }),
    worker: worker.loadConfig({ ...env, ...o.worker })
  }
  // Without KEFU_SECRET_KEY (embedded), the key made for this start is ingest's, the console's and the worker's alike.
  if (config.console.secretKeyGenerated) config.console.secretKeys = config.ingest.secretKeys
  if (config.worker.secretKeyGenerated) config.worker.secretKeys = config.ingest.secretKeys
  const { databaseUrl, redisUrl, poolMax, apps } = config.ingest
  // The demo account exists only in the demo: the embedded database and the demo mini programs.
  const demo = o.demoApps && databaseUrl === undefined

  const db = await openDatabase({ url: databaseUrl, poolMax, log: () => {} })
  if (!db.embedded) await migrate(db.url)
  const bus = redisUrl === undefined ? createMemoryBus() : await createRedisBus(redisUrl)
  const fakeWechat = o.demoApps
    ? await startFakeWechat({
      apps: apps.filter((a) => a.secret).map((a) => ({ appid: a.appid, secret: a.secret })),
      subscribeTemplates: Object.fromEntries(apps.map((a) => [a.appid, a.subscribeTemplates ?? []])),
      host: config.ingest.host,
      port: o.ports.wechat
    })
    : undefined
  // The pictures of the demo pushes: the stand-in knows their media_ids, so the console keeps and shows them.
  for (const [n, app] of apps.entries()) for (const mediaId of DEMO_MEDIA_IDS) fakeWechat?.addMedia(app.appid, demoPng(n * 90), 'image/png', 'demo.png', mediaId)
  const forgetAcceptances = fakeWechat === undefined ? undefined : await teachAcceptances(bus, db.prisma, fakeWechat, apps)

  if (demo) {
    await auth.upsertAccount(db.prisma, DEMO_USER.username, DEMO_USER.password)
    await db.prisma.agentApp.createMany({ data: apps.map((a) => ({ username: DEMO_USER.username, appId: a.appid })), skipDuplicates: true })
    // The demo agent administers the demo mini programs and owns them (the Mini programs page), so every part of the console is there to try.
    await db.prisma.agent.upsert({ where: { username: DEMO_USER.username }, create: { username: DEMO_USER.username, role: 'admin', owner: true, availability: 'online' }, update: { role: 'admin', owner: true } })
    await seedDemoQuickReplies(db.prisma, apps.map((a) => a.appid), DEMO_USER.username)
  } else {
    await refuseDemoPassword(db.prisma)
  }

  const shared = { prisma: db.prisma, prismaConcurrency: db.embedded ? 1 : poolMax }
  // Each service as its own process would start it (startService), with this process's database client and bus.
  const services = []
  const serve = async (name, service, extra) => {
    services.push(await startService({ name, service, config: config[name], shared: extra, logBase: { svc: name } }))
  }
  await serve('auth', auth, shared)
  await serve('ingest', ingest, { ...shared, bus })
  await serve('sync', sync, {})
  await serve('console', kefuConsole, { ...shared, bus })
  // The background work (search index, kept media, retention, partitions): on the same database client and bus.
  await serve('worker', worker, { ...shared, bus })
  const metricsListeners = Object.fromEntries(services.map((s) => [s.name, s.metrics]))

  // SIGTERM/SIGINT: all five drain together (DRAIN_MS, each from its own config reader), close, then what they share.
  stopOnSignals(services, {
    log: (line) => { process.stdout.write(`kefu: ${line}\n`) },
    after: async () => {
      await forgetAcceptances?.()
      await fakeWechat?.close()
      await bus.close()
      await db.close()
    }
  })

  const url = o.url
  const dataDir = path.join(defaultDataDir(), 'pg')
  const shown = path.relative(process.cwd(), dataDir)
  const where = db.embedded ? `embedded PostgreSQL under ${shown.startsWith('..') ? dataDir : shown || '.'}` : 'PostgreSQL at DATABASE_URL'
  const agentAdd = o.demoApps ? apps.map((a) => a.appid).join(' ') : '--all'
  const accounts = demo
    ? ''
    : `
No account is made outside the demo (embedded database and demo mini programs). Make one and let it answer the mini programs:
  pnpm --filter @kefu/auth user:add <username> -
  pnpm --filter @kefu/console agent:add <username> ${agentAdd} --admin
${db.embedded ? '(with the embedded database, run them while kefu is stopped: its files belong to one process at a time)\n' : ''}`
  process.stdout.write(`
kefu is running on ${where}, ${redisUrl === undefined ? 'in-process stores' : typeof redisUrl === 'string' ? 'Redis at REDIS_URL' : `the Redis Cluster at REDIS_CLUSTER_URLS (${redisUrl.cluster.length} seed nodes)`}.

${[
  ['ingest', `${url(o.ports.ingest)}/wechat/<appid>`, `WeChat's push URL; API docs at ${url(o.ports.ingest)}/docs`],
  ['A site', `${config.auth.publicUrl}/login`, demo ? `sign in as ${DEMO_USER.username} / ${DEMO_USER.password}` : 'sign in with an account of yours (below)'],
  ['B site', `${config.sync.publicUrl}/`, 'signs you in by itself once you are signed in at A'],
  ['console', `${config.console.publicUrl}/`, "conversations live; replies go to WeChat's customer-service API"],
  ['worker', `${url(o.ports.worker)}/healthz`, 'search index, kept media, retention: in the background'],
  ...(fakeWechat ? [['WeChat', fakeWechat.url, 'a local stand-in for api.weixin.qq.com (the demo has no real AppSecret)']] : [])
].map(([name, where, what]) => `  ${name.padEnd(8)} ${where.padEnd(38)} ${what}`).join('\n')}
${accounts}
Metrics (Prometheus): ${['ingest', 'auth', 'sync', 'console', 'worker'].map((name) => `${name} ${metricsListeners[name].url}`).join(', ')}${config.ingest.metrics.token === undefined ? '' : ' (bearer METRICS_TOKEN)'}

Mini programs${o.demoApps ? ' (demo: config/demo-wechat-apps.json)' : ''}:
${apps.map((a) => `  ${a.appid}  token ${o.demoApps ? a.token : '…'}  ${a.encodingAESKey ? 'safe mode (encodingAESKey set)' : 'plaintext mode'}`).join('\n')}

Send a push as WeChat would:  pnpm wechat:push --content 你好${o.ports.ingest === 3000 ? '' : ` --url ${url(o.ports.ingest)}`}
Then open ${config.console.publicUrl}/ (after signing in at ${config.auth.publicUrl}/login) and watch it arrive; reply from there.
`)
}

main().catch((err) => fail(err.message))
