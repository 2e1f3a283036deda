import t from 'tap'
import { checkMetricsSettings, refusesEach } from '@kefu/service/testing'
import { appOptions, loadConfig, serverOptions } from '../src/config.js'

const secret = 'c'.repeat(32)
const key = `k1:${Buffer.alloc(32, 7).toString('base64')}`

t.test('defaults: port 3003, A at 127.0.0.1:3001, client "console", WeChat\'s API, 30 replies a minute', async (t) => {
  const config = loadConfig({ CLIENT_SECRET: secret })
  t.equal(config.port, 3003)
  t.equal(config.publicUrl, 'http://127.0.0.1:3003')
  t.equal(config.authUrl, 'http://127.0.0.1:3001')
  t.equal(config.clientId, 'console')
  t.equal(config.wechatApiBase, 'https://api.weixin.qq.com')
  t.equal(config.repliesPerMinute, 30)
  t.equal(config.trustProxy, false)
  t.equal(config.session.secretGenerated, true)
  t.equal(config.secretKeyGenerated, true, 'KEFU_SECRET_KEY made for this start without DATABASE_URL')
})

t.test('mini programs come from the table: WECHAT_APPS is not read, KEFU_SECRET_KEY opens their secrets', async (t) => {
  const config = loadConfig({ CLIENT_SECRET: secret, KEFU_SECRET_KEY: key, WECHAT_APPS: 'not even JSON' })
  t.same(config.secretKeys.map((k) => k.id), ['k1'])
  t.equal(config.secretKeyGenerated, false)
  t.notOk('apps' in appOptions(config))
})

t.test('bad configuration stops with one line naming the variable', async (t) => {
  const bad: Array<[Record<string, string>, RegExp]> = [
    [{}, /^CLIENT_SECRET is required/],
    [{ CLIENT_SECRET: 'change-me-console-client-secret-32-chars' }, /^CLIENT_SECRET is still the placeholder from \.env\.example/],
    [{ CLIENT_SECRET: secret, DATABASE_URL: 'postgresql://db/kefu' }, /^KEFU_SECRET_KEY is required with DATABASE_URL/],
    [{ CLIENT_SECRET: secret, KEFU_SECRET_KEY: 'change-me-to-k1:base64-of-32-random-bytes' }, /^KEFU_SECRET_KEY/],
    [{ CLIENT_SECRET: secret, WECHAT_API_BASE: 'api.weixin.qq.com' }, /^WECHAT_API_BASE must be an http/],
    [{ CLIENT_SECRET: secret, CONSOLE_REPLIES_PER_MINUTE: '0' }, /^CONSOLE_REPLIES_PER_MINUTE must be between 1/],
    [{ CLIENT_SECRET: secret, TRUST_PROXY: 'true' }, /^TRUST_PROXY=true would believe any client's X-Forwarded-For/],
    [{ CLIENT_SECRET: secret, DATABASE_POOL_MAX: '0' }, /^DATABASE_POOL_MAX must be between 1/],
    [{ CLIENT_SECRET: secret, SESSION_WARN_BEFORE_S: '-1' }, /^SESSION_WARN_BEFORE_S must be a whole number/]
  ]
  refusesEach(t, loadConfig, bad)
})

t.test('appOptions and serverOptions carry every setting to the app and to Fastify', async (t) => {
  const session = 's'.repeat(32)
  const config = loadConfig({
    CLIENT_SECRET: secret, KEFU_SECRET_KEY: key, PUBLIC_URL: 'https://console.example', AUTH_URL: 'https://a.example',
    AUTH_INTERNAL_URL: 'http://auth:3001', CLIENT_ID: 'agents', SESSION_SECRET: session, SESSION_IDLE_TIMEOUT_S: '20',
    SESSION_ABSOLUTE_TIMEOUT_S: '600', SESSION_WARN_BEFORE_S: '30', DATABASE_URL: 'postgresql://db/kefu', DATABASE_POOL_MAX: '4', REDIS_URL: 'redis://r:6379',
    WECHAT_API_BASE: 'http://fake-wechat:3004/', CONSOLE_REPLIES_PER_MINUTE: '5', TRUST_PROXY: '10.0.0.0/8',
    DATA_DIR: '/srv/kefu', MEDIA_MAX_BYTES: '2048', MEDIA_FETCH_ATTEMPTS: '3', RETENTION_DAYS: '30'
  })
  t.same(appOptions(config), {
    publicUrl: 'https://console.example',
    authUrl: 'https://a.example',
    authInternalUrl: 'http://auth:3001',
    clientId: 'agents',
    clientSecret: secret,
    session: { secret: session, idleTimeoutS: 20, absoluteTimeoutS: 600 },
    warnBeforeS: 30,
    secretKeys: [{ id: 'k1', key: Buffer.alloc(32, 7) }],
    databaseUrl: 'postgresql://db/kefu',
    poolMax: 4,
    redisUrl: 'redis://r:6379',
    wechatApiBase: 'http://fake-wechat:3004',
    ingestUrl: 'http://127.0.0.1:3000',
    repliesPerMinute: 5,
    history: { store: { kind: 'fs', dir: '/srv/kefu/media' }, maxBytes: 2048 }
  })
  t.same(serverOptions(config), { bodyLimit: 1024 * 1024, trustProxy: ['10.0.0.0/8'] })
})

t.test('metrics: their own listener, 9467 on loopback by default, never PORT; off loopback only with METRICS_TOKEN', async (t) => {
  checkMetricsSettings(t, (env) => loadConfig({ CLIENT_SECRET: secret, ...env }).metrics, { port: 9467, publicPort: 3003 })
})

t.test('DATABASE_READ_URL: optional, only beside DATABASE_URL, a postgresql:// URL, DATABASE_PASSWORD put in', async (t) => {
  const primary = { CLIENT_SECRET: secret, KEFU_SECRET_KEY: key, DATABASE_URL: 'postgresql://kefu@db.test:5432/kefu' }
  t.equal(loadConfig({ ...primary, DATABASE_READ_URL: 'postgresql://kefu@replica.test:5432/kefu' }).databaseReadUrl, 'postgresql://kefu@replica.test:5432/kefu')
  t.equal(appOptions(loadConfig({ ...primary, DATABASE_READ_URL: 'postgresql://kefu@replica.test:5432/kefu' })).databaseReadUrl, 'postgresql://kefu@replica.test:5432/kefu', 'handed to the app')
  t.equal(loadConfig(primary).databaseReadUrl, undefined)
  t.throws(() => loadConfig({ CLIENT_SECRET: secret, DATABASE_READ_URL: 'postgresql://kefu@replica.test:5432/kefu' }), /^DATABASE_READ_URL is set without DATABASE_URL: a replica needs its primary/)
  t.throws(() => loadConfig({ ...primary, DATABASE_READ_URL: 'mysql://replica.test/kefu' }), /^DATABASE_READ_URL must be a postgresql:\/\/ URL$/)
  t.equal(loadConfig({ ...primary, DATABASE_PASSWORD: 'p@ss word', DATABASE_READ_URL: 'postgresql://kefu@replica.test:5432/kefu' }).databaseReadUrl,
    'postgresql://kefu:p%40ss%20word@replica.test:5432/kefu')
})
