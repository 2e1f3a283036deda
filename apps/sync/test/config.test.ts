import t from 'tap'
import { checkMetricsSettings, refusesEach } from '@kefu/service/testing'
import { appOptions, loadConfig, serverOptions } from '../src/config.js'

const secret = 'c'.repeat(32)

t.test('defaults: port 3002, A at 127.0.0.1:3001, client "sync", a generated session secret without Redis', async (t) => {
  const config = loadConfig({ CLIENT_SECRET: secret })
  t.equal(config.port, 3002)
  t.equal(config.publicUrl, 'http://127.0.0.1:3002')
  t.equal(config.authUrl, 'http://127.0.0.1:3001')
  t.equal(config.authInternalUrl, 'http://127.0.0.1:3001', 'AUTH_INTERNAL_URL defaults to AUTH_URL')
  t.equal(config.clientId, 'sync')
  t.equal(config.session.secretGenerated, true)
  const set = loadConfig({ CLIENT_SECRET: secret, PUBLIC_URL: 'https://b.example', AUTH_URL: 'https://a.example', AUTH_INTERNAL_URL: 'http://auth:3001/', CLIENT_ID: 'b-1', SESSION_SECRET: 's'.repeat(32), REDIS_URL: 'redis://r:6379' })
  t.equal(set.authInternalUrl, 'http://auth:3001')
  t.equal(set.clientId, 'b-1')
  t.equal(set.session.secretGenerated, false)
})

t.test('bad configuration stops with one line naming the variable', async (t) => {
  const bad: Array<[Record<string, string>, RegExp]> = [
    [{}, /^CLIENT_SECRET is required: the clientSecret of sync in the A site's SSO_CLIENTS$/],
    [{ CLIENT_SECRET: 'short' }, /^CLIENT_SECRET must be at least 32 characters, got 5$/],
    [{ CLIENT_SECRET: secret, CLIENT_ID: 'two words' }, /^CLIENT_ID must be 1 to 64/],
    [{ CLIENT_SECRET: secret, PUBLIC_URL: 'https://b.example/app' }, /^PUBLIC_URL must be an origin/],
    [{ CLIENT_SECRET: secret, AUTH_URL: 'a.example' }, /^AUTH_URL must be an http/],
    [{ CLIENT_SECRET: secret, AUTH_URL: 'http://127.0.0.1:3002' }, /^AUTH_URL and PUBLIC_URL are both/],
    [{ CLIENT_SECRET: secret, AUTH_INTERNAL_URL: 'tcp://x' }, /^AUTH_INTERNAL_URL must be an http/],
    [{ CLIENT_SECRET: secret, REDIS_URL: 'redis://r:6379' }, /^SESSION_SECRET is required/],
    [{ CLIENT_SECRET: secret, SESSION_ABSOLUTE_TIMEOUT_S: '10' }, /^SESSION_IDLE_TIMEOUT_S \(1800\) must not exceed SESSION_ABSOLUTE_TIMEOUT_S \(10\)$/],
    [{ CLIENT_SECRET: secret, PORT: '99999' }, /^PORT must be between 0 and 65535/],
    [{ CLIENT_SECRET: secret, SESSION_WARN_BEFORE_S: 'soon' }, /^SESSION_WARN_BEFORE_S must be a whole number/],
    [{ CLIENT_SECRET: secret, TRUST_PROXY: 'maybe' }, /^TRUST_PROXY must be the number of proxies in front of kefu/],
    [{ CLIENT_SECRET: secret, TRUST_PROXY: 'true' }, /^TRUST_PROXY=true would believe any client's X-Forwarded-For/],
    [{ CLIENT_SECRET: 'change-me-sync-client-secret-32-chars-min' }, /^CLIENT_SECRET is still the placeholder from \.env\.example/],
    [{ CLIENT_SECRET: secret, SESSION_SECRET: 'change-me-to-a-long-random-string-of-32-chars-or-more' }, /^SESSION_SECRET is still the placeholder/]
  ]
  refusesEach(t, loadConfig, bad)
})

t.test('appOptions and serverOptions carry every setting to the app and to Fastify', async (t) => {
  const session = 's'.repeat(32)
  const config = loadConfig({
    CLIENT_SECRET: secret, PUBLIC_URL: 'https://b.example', AUTH_URL: 'https://a.example', AUTH_INTERNAL_URL: 'http://auth:3001',
    CLIENT_ID: 'b-1', SESSION_SECRET: session, SESSION_IDLE_TIMEOUT_S: '20', SESSION_ABSOLUTE_TIMEOUT_S: '600', SESSION_WARN_BEFORE_S: '30', REDIS_URL: 'redis://r:6379',
    TRUST_PROXY: '2'
  })
  t.same(appOptions(config), {
    publicUrl: 'https://b.example',
    authUrl: 'https://a.example',
    authInternalUrl: 'http://auth:3001',
    clientId: 'b-1',
    clientSecret: secret,
    session: { secret: session, idleTimeoutS: 20, absoluteTimeoutS: 600 },
    warnBeforeS: 30,
    redisUrl: 'redis://r:6379'
  })
  const options = serverOptions(config)
  t.equal(options.bodyLimit, 64 * 1024)
  const hops = options.trustProxy as (address: string, hop: number) => boolean
  t.same([hops('10.0.0.2', 0), hops('10.0.0.3', 1), hops('10.0.0.4', 2)], [true, true, false])
  t.same(serverOptions(loadConfig({ CLIENT_SECRET: secret, TRUST_PROXY: 'fd00::/8' })).trustProxy, ['fd00::/8'])
})

t.test('metrics: their own listener, 9466 on loopback by default, never PORT; off loopback only with METRICS_TOKEN', async (t) => {
  checkMetricsSettings(t, (env) => loadConfig({ CLIENT_SECRET: secret, ...env }).metrics, { port: 9466, publicPort: 3002 })
})
