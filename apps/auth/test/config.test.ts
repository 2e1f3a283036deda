import t from 'tap'
import { checkMetricsSettings, refusesEach } from '@kefu/service/testing'
import path from 'node:path'
import { appOptions, loadConfig, serverOptions } from '../src/config.js'

const secret = 's'.repeat(32)
const client = { clientId: 'sync', clientSecret: 'c'.repeat(32), origins: ['http://127.0.0.1:3002'], redirectUris: ['http://127.0.0.1:3002/sso/callback'], logoutUri: 'http://127.0.0.1:3002/sso/logout' }

t.test('embedded defaults: port 3001, PUBLIC_URL from it, no clients, a generated session secret', async (t) => {
  const config = loadConfig({})
  t.equal(config.port, 3001)
  t.equal(config.host, '127.0.0.1')
  t.equal(config.publicUrl, 'http://127.0.0.1:3001')
  t.same(config.clients, [])
  t.equal(config.databaseUrl, undefined)
  t.equal(config.redisUrl, undefined)
  t.equal(config.session.secretGenerated, true)
  t.ok(config.session.secret.length >= 32)
  t.equal(config.session.idleTimeoutS, 1800)
  t.equal(config.session.absoluteTimeoutS, 43200)
  t.equal(config.ticketTtlS, 30)
  t.same(config.loginLimits, { account: { max: 10, windowS: 900 }, ip: { max: 100, windowS: 900 } })
  t.equal(config.trustProxy, false)
  t.equal(loadConfig({ PORT: '4000' }).publicUrl, 'http://127.0.0.1:4000')
})

t.test('SSO_CLIENTS and SSO_CLIENTS_FILE', async (t) => {
  t.same(loadConfig({ SSO_CLIENTS: JSON.stringify([client]) }).clients, [client])
  const dir = t.testdir({ 'clients.json': JSON.stringify([client]) })
  t.same(loadConfig({ SSO_CLIENTS_FILE: path.join(dir, 'clients.json') }).clients, [client])
  t.throws(() => loadConfig({ SSO_CLIENTS_FILE: path.join(dir, 'missing.json') }), /SSO_CLIENTS_FILE .*missing\.json cannot be read: ENOENT/)
})

t.test('bad configuration stops with one line naming the variable', async (t) => {
  const c = (patch: Record<string, unknown>) => JSON.stringify([{ ...client, ...patch }])
  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ SSO_CLIENTS: '{' }, /^SSO_CLIENTS is not valid JSON/],
    [{ SSO_CLIENTS: '{}' }, /^SSO_CLIENTS must be a JSON array/],
    [{ SSO_CLIENTS: '[1]' }, /^SSO_CLIENTS\[0\] must be an object/],
    [{ SSO_CLIENTS: c({ clientId: 'has space' }) }, /^SSO_CLIENTS\[0\]\.clientId must be 1 to 64/],
    [{ SSO_CLIENTS: c({ clientSecret: 'short' }) }, /^SSO_CLIENTS\[0\]\.clientSecret must be a string of 32 to 512/],
    [{ SSO_CLIENTS: c({ origins: [] }) }, /^SSO_CLIENTS\[0\]\.origins must be a non-empty array/],
    [{ SSO_CLIENTS: c({ origins: ['*'] }) }, /^SSO_CLIENTS\[0\]\.origins\[0\] "\*" must be an exact origin/],
    [{ SSO_CLIENTS: c({ origins: ['http://127.0.0.1:3002/'] }) }, /origins\[0\] "http:\/\/127\.0\.0\.1:3002\/" must be an exact origin/],
    [{ SSO_CLIENTS: c({ origins: ['http://B.example'] }) }, /origins\[0\] .* must be an exact origin/],
    [{ SSO_CLIENTS: c({ origins: ['null'] }) }, /must be an exact origin/],
    [{ SSO_CLIENTS: c({ redirectUris: ['http://evil.example/sso/callback'] }) }, /redirectUris\[0\] "http:\/\/evil\.example\/sso\/callback" is not on one of the client's origins/],
    [{ SSO_CLIENTS: c({ redirectUris: ['http://127.0.0.1:3002/sso/callback#x'] }) }, /must not have a #fragment/],
    [{ SSO_CLIENTS: c({ redirectUris: ['http://127.0.0.1:3002/sso/callback?a=1'] }) }, /must not have a query/],
    [{ SSO_CLIENTS: c({ redirectUris: ['http://user@127.0.0.1:3002/sso/callback'] }) }, /must not carry a user or password/],
    [{ SSO_CLIENTS: c({ redirectUris: ['http://127.0.0.1:3002/sso/../sso/callback'] }) }, /must be written exactly as http:\/\/127\.0\.0\.1:3002\/sso\/callback/],
    [{ SSO_CLIENTS: c({ redirectUris: ['ftp://127.0.0.1:3002/x'] }) }, /must be http:\/\/ or https:\/\//],
    [{ SSO_CLIENTS: c({ logoutUri: 'not a url' }) }, /logoutUri "not a url" is not a URL/],
    [{ SSO_CLIENTS: c({ secret: 'x' }) }, /SSO_CLIENTS\[0\] has an unknown field "secret"/],
    [{ SSO_CLIENTS: JSON.stringify([client, client]) }, /^SSO_CLIENTS\[1\]\.clientId sync is listed twice$/],
    [{ SSO_CLIENTS: JSON.stringify([client, { ...client, clientId: 'other' }]) }, /^SSO_CLIENTS\[1\]\.clientSecret is the same as another client's/],
    [{ SSO_CLIENTS: c({ origins: ['http://127.0.0.1:3001'], redirectUris: ['http://127.0.0.1:3001/cb'] }) }, /^SSO_CLIENTS\[0\]\.origins lists PUBLIC_URL/],
    [{ SSO_CLIENTS: '[]', SSO_CLIENTS_FILE: '/x' }, /not both/],
    [{ PUBLIC_URL: 'http://a.example/path' }, /^PUBLIC_URL must be an origin/],
    [{ PUBLIC_URL: 'a.example' }, /^PUBLIC_URL must be an http/],
    [{ REDIS_URL: 'redis://127.0.0.1:6379' }, /^SESSION_SECRET is required/],
    [{ SESSION_SECRET: 'short' }, /^SESSION_SECRET must be at least 32 characters/],
    [{ SESSION_SECRET: secret, SESSION_IDLE_TIMEOUT_S: '0' }, /^SESSION_IDLE_TIMEOUT_S must be a positive integer/],
    [{ SSO_TICKET_TTL_S: '61' }, /^SSO_TICKET_TTL_S must be between 1 and 60/],
    [{ LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: '0' }, /^LOGIN_MAX_ATTEMPTS_PER_ACCOUNT must be between 1/],
    [{ TRUST_PROXY: 'yes' }, /^TRUST_PROXY must be the number of proxies in front of kefu/],
    [{ TRUST_PROXY: 'true' }, /^TRUST_PROXY=true would believe any client's X-Forwarded-For/],
    [{ SSO_CLIENTS: c({ clientSecret: 'change-me-sync-client-secret-32-chars-min' }) }, /^SSO_CLIENTS\[0\]\.clientSecret is still the placeholder from \.env\.example/],
    [{ SESSION_SECRET: 'change-me-to-a-long-random-string-of-32-chars-or-more' }, /^SESSION_SECRET is still the placeholder from \.env\.example/],
    [{ DATABASE_URL: 'mysql://x' }, /^DATABASE_URL must be a postgresql/],
    [{ PORT: 'http' }, /^PORT must be a whole number/]
  ]
  refusesEach(t, loadConfig, bad)
})

t.test('appOptions and serverOptions carry every setting to the app and to Fastify', async (t) => {
  const config = loadConfig({
    PUBLIC_URL: 'https://a.example', SSO_CLIENTS: JSON.stringify([client]), SESSION_SECRET: secret, SESSION_IDLE_TIMEOUT_S: '20',
    SESSION_ABSOLUTE_TIMEOUT_S: '600', DATABASE_URL: 'postgresql://db/kefu', DATABASE_POOL_MAX: '4', REDIS_URL: 'redis://r:6379',
    SSO_TICKET_TTL_S: '15', LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: '5', LOGIN_MAX_ATTEMPTS_PER_IP: '50', LOGIN_LIMIT_WINDOW_S: '60', TRUST_PROXY: '10.0.0.2'
  })
  t.same(appOptions(config), {
    publicUrl: 'https://a.example',
    clients: [client],
    session: { secret, idleTimeoutS: 20, absoluteTimeoutS: 600 },
    databaseUrl: 'postgresql://db/kefu',
    poolMax: 4,
    redisUrl: 'redis://r:6379',
    ticketTtlS: 15,
    loginLimits: { account: { max: 5, windowS: 60 }, ip: { max: 50, windowS: 60 } }
  })
  t.same(serverOptions(config), { bodyLimit: 64 * 1024, trustProxy: ['10.0.0.2'] })
  t.same(serverOptions(loadConfig({})), { bodyLimit: 64 * 1024, trustProxy: false })
  const hops = serverOptions(loadConfig({ TRUST_PROXY: '1' })).trustProxy as (address: string, hop: number) => boolean
  t.same([hops('10.0.0.2', 0), hops('10.0.0.3', 1)], [true, false], 'a hop count trusts the nearest proxies only')
})

t.test('metrics: their own listener, 9465 on loopback by default, never PORT; off loopback only with METRICS_TOKEN', async (t) => {
  checkMetricsSettings(t, (env) => loadConfig(env).metrics, { port: 9465, publicPort: 3001 })
})
