import t from 'tap'
import { refusesEach } from '@kefu/service/testing'
import { appOptions, loadConfig, serverOptions } from '../src/config.js'

const secret = 'c'.repeat(32)
const app = { appid: 'wx00000000000000a1', token: 'token123', secret: 'an-app-secret-of-its-own' }
const apps = JSON.stringify([app])

t.test('defaults: port 3003, A at 127.0.0.1:3001, client "console", WeChat\'s API, 30 replies a minute', async (t) => {
  const config = loadConfig({ CLIENT_SECRET: secret, WECHAT_APPS: apps })
  t.equal(config.port, 3003)
  t.equal(config.publicUrl, 'http://127.0.0.1:3003')
  t.equal(config.authUrl, 'http://127.0.0.1:3001')
  t.equal(config.clientId, 'console')
  t.equal(config.wechatApiBase, 'https://api.weixin.qq.com')
  t.equal(config.repliesPerMinute, 30)
  t.equal(config.trustProxy, false)
  t.equal(config.session.secretGenerated, true)
})

t.test('bad configuration stops with one line naming the variable', async (t) => {
  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ WECHAT_APPS: apps }, /^CLIENT_SECRET is required/],
    [{ CLIENT_SECRET: secret }, /^WECHAT_APPS \(a JSON array of mini programs\) or WECHAT_APPS_FILE is required$/],
    [{ CLIENT_SECRET: 'change-me-console-client-secret-32-chars', WECHAT_APPS: apps }, /^CLIENT_SECRET is still the placeholder from \.env\.example/],
    [{ CLIENT_SECRET: secret, WECHAT_APPS: JSON.stringify([{ ...app, secret: 'change-me-to-your-app-secret' }]) }, /^WECHAT_APPS\[0\]\.secret is still the placeholder/],
    [{ CLIENT_SECRET: secret, WECHAT_APPS: JSON.stringify([{ ...app, profileUrl: 'http://crm.example/kefu/profile', profileSecret: 'p'.repeat(32) }]) }, /^WECHAT_APPS\[0\]\.profileUrl must be https:\/\/ \(http:\/\/ only to a loopback host/],
    [{ CLIENT_SECRET: secret, WECHAT_APPS: apps, WECHAT_API_BASE: 'api.weixin.qq.com' }, /^WECHAT_API_BASE must be an http/],
    [{ CLIENT_SECRET: secret, WECHAT_APPS: apps, CONSOLE_REPLIES_PER_MINUTE: '0' }, /^CONSOLE_REPLIES_PER_MINUTE must be between 1/],
    [{ CLIENT_SECRET: secret, WECHAT_APPS: apps, TRUST_PROXY: 'true' }, /^TRUST_PROXY=true would believe any client's X-Forwarded-For/],
    [{ CLIENT_SECRET: secret, WECHAT_APPS: apps, DATABASE_POOL_MAX: '0' }, /^DATABASE_POOL_MAX must be between 1/],
    [{ CLIENT_SECRET: secret, WECHAT_APPS: apps, SESSION_WARN_BEFORE_S: '-1' }, /^SESSION_WARN_BEFORE_S must be a whole number/]
  ]
  refusesEach(t, loadConfig, bad)
})

t.test('appOptions and serverOptions carry every setting to the app and to Fastify', async (t) => {
  const session = 's'.repeat(32)
  const config = loadConfig({
    CLIENT_SECRET: secret, WECHAT_APPS: apps, PUBLIC_URL: 'https://console.example', AUTH_URL: 'https://a.example',
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
    apps: [app],
    databaseUrl: 'postgresql://db/kefu',
    poolMax: 4,
    redisUrl: 'redis://r:6379',
    wechatApiBase: 'http://fake-wechat:3004',
    repliesPerMinute: 5,
    history: { store: { kind: 'fs', dir: '/srv/kefu/media' }, maxBytes: 2048, fetchAttempts: 3, retentionDays: 30 }
  })
  t.same(serverOptions(config), { bodyLimit: 1024 * 1024, trustProxy: ['10.0.0.0/8'] })
})

t.test('metrics: their own listener, 9467 on loopback by default, never PORT; off loopback only with METRICS_TOKEN', async (t) => {
  const base = { CLIENT_SECRET: secret, WECHAT_APPS: apps }
  t.same(loadConfig(base).metrics, { host: '127.0.0.1', port: 9467 })
  t.same(loadConfig({ ...base, METRICS_HOST: '0.0.0.0', METRICS_PORT: '9100', METRICS_TOKEN: 'm'.repeat(32) }).metrics, { host: '0.0.0.0', port: 9100, token: 'm'.repeat(32) })
  t.throws(() => loadConfig({ ...base, METRICS_PORT: '3003' }), { name: 'ConfigError', message: 'METRICS_PORT must differ from PORT (3003): /metrics is never served on the public listener' })
  t.throws(() => loadConfig({ ...base, METRICS_HOST: '0.0.0.0' }), { name: 'ConfigError', message: /^METRICS_TOKEN is required with METRICS_HOST 0\.0\.0\.0/ })
})
