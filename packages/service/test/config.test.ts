import t from 'tap'
import Fastify from 'fastify'
import { refusesEach } from '../src/testing/index.js'
import {
  ConfigError, readInt, readHttpUrl, readJson, readString, readLogLevel, readDatabaseUrl, readRedisUrl, installErrorHandler, isPlaceholder,
  parseWechatApps, readMetricsListener, refusePlaceholder
} from '../src/index.js'

t.test('config readers fail with one line naming the variable', async (t) => {
  t.equal(readInt({}, 'X', 7), 7)
  t.equal(readInt({ X: '12' }, 'X', 7), 12)
  t.throws(() => readInt({ X: 'abc' }, 'X', 7), new ConfigError('X must be a whole number, got "abc"'))
  t.throws(() => readInt({ X: '0' }, 'X', 7, { min: 1 }), /X must be between 1 and/)
  t.throws(() => readString({}, 'NEEDED'), { name: 'ConfigError', message: 'NEEDED is required' })
  t.equal(readHttpUrl({ U: 'https://a.example/' }, 'U'), 'https://a.example')
  t.throws(() => readHttpUrl({ U: 'ftp://x' }, 'U'), /U must be an http/)
  t.throws(() => readJson({ J: '{' }, 'J'), /J is not valid JSON/)
  t.throws(() => readLogLevel({ LOG_LEVEL: 'loud' }), /LOG_LEVEL must be one of/)
  t.throws(() => readDatabaseUrl({ DATABASE_URL: 'mysql://x' }), /DATABASE_URL must be a postgresql/)
  for (const fn of [() => readInt({ X: 'abc' }, 'X', 1), () => readString({}, 'Y')]) {
    try { fn() } catch (err) { t.notMatch((err as Error).message, /\n/, 'one line') }
  }
})

t.test('the placeholders of .env.example are refused as secrets, naming the variable', async (t) => {
  for (const value of ['change-me', 'CHANGE-ME-please', 'changeMeYourToken', 'changemeAESKey']) t.ok(isPlaceholder(value), value)
  for (const value of ['x-change-me', 'chang-eme', 'kefuDemoToken', '']) t.notOk(isPlaceholder(value), value)
  t.throws(() => refusePlaceholder('SOME_SECRET', 'Change-Me-1234'), new ConfigError('SOME_SECRET is still the placeholder from .env.example: set a secret of your own'))
  t.doesNotThrow(() => refusePlaceholder('SOME_SECRET', 'a-secret-of-my-own'))
  t.throws(() => readDatabaseUrl({ DATABASE_URL: 'postgresql://kefu:change-me-postgres@db:5432/kefu' }),
    new ConfigError('DATABASE_URL carries the placeholder password from .env.example: set a password of your own'))
  t.equal(readDatabaseUrl({ DATABASE_URL: 'postgresql://kefu:s3cret@db:5432/kefu' }), 'postgresql://kefu:s3cret@db:5432/kefu')
  t.throws(() => readRedisUrl({ REDIS_URL: 'redis://:changeme@r:6379' }), /^REDIS_URL carries the placeholder password/)
  const app = { appid: 'wx0123456789abcdef', token: 'yourToken1', encodingAESKey: 'k'.repeat(43), secret: 'an-app-secret' }
  t.equal(parseWechatApps([app], 'WECHAT_APPS').length, 1)
  for (const key of ['token', 'encodingAESKey', 'secret'] as const) {
    const value = key === 'token' ? 'changeMeToken' : key === 'encodingAESKey' ? 'changeMe' + 'k'.repeat(35) : 'change-me-app-secret'
    t.throws(() => parseWechatApps([app, { ...app, appid: 'wx0123456789abcde0', [key]: value }], 'WECHAT_APPS'),
      new ConfigError(`WECHAT_APPS[1].${key} is still the placeholder from .env.example: set a secret of your own`), key)
  }
  t.throws(() => parseWechatApps([{ ...app, previousEncodingAESKey: 'CHANGEME' + 'k'.repeat(35) }], 'WECHAT_APPS_FILE x.json'),
    /^WECHAT_APPS_FILE x\.json\[0\]\.previousEncodingAESKey is still the placeholder/)
})

t.test('DATABASE_PASSWORD goes into DATABASE_URL exactly as typed, whatever its characters', async (t) => {
  for (const password of ['p@ss/w:rd%41?#[]', ' spaced out ', '密码@中文', 'plain']) {
    const url = readDatabaseUrl({ DATABASE_URL: 'postgresql://kefu@postgres:5432/kefu?sslmode=disable', DATABASE_PASSWORD: password })!
    const parsed = new URL(url)
    // node-postgres (pg-connection-string) reads the password back with decodeURIComponent.
    t.equal(decodeURIComponent(parsed.password), password, JSON.stringify(password))
    t.equal(parsed.username, 'kefu')
    t.equal(parsed.host, 'postgres:5432')
    t.equal(parsed.pathname, '/kefu')
    t.equal(parsed.search, '?sslmode=disable')
  }
  t.throws(() => readDatabaseUrl({ DATABASE_URL: 'postgresql://kefu:inline@db/kefu', DATABASE_PASSWORD: 'other' }),
    new ConfigError('DATABASE_URL carries a password and DATABASE_PASSWORD is set: keep one of them'))
  t.throws(() => readDatabaseUrl({ DATABASE_PASSWORD: 'alone' }),
    new ConfigError('DATABASE_PASSWORD is set without DATABASE_URL: set DATABASE_URL too (without a password)'))
  t.throws(() => readDatabaseUrl({ DATABASE_URL: 'postgresql://kefu@db/kefu', DATABASE_PASSWORD: 'change-me-postgres-password' }),
    new ConfigError('DATABASE_PASSWORD is still the placeholder from .env.example: set a secret of your own'))
  t.equal(readDatabaseUrl({ DATABASE_URL: 'postgresql://kefu@db/kefu', DATABASE_PASSWORD: '' }), 'postgresql://kefu@db/kefu', 'empty: none')
})

t.test('the error handler hides 5xx details and keeps 4xx messages', async (t) => {
  const app = Fastify()
  installErrorHandler(app, 'KEFU_TEST')
  app.get('/boom', async () => { throw new Error('secret detail\nsecond line') })
  app.get('/bad', { schema: { querystring: { type: 'object', required: ['q'], properties: { q: { type: 'string' } } } } }, async () => 'ok')
  app.get('/teapot', async () => { throw Object.assign(new Error('no coffee'), { statusCode: 418, code: 'KEFU_TEST_TEAPOT' }) })
  t.teardown(() => app.close())
  const boom = await app.inject('/boom')
  t.equal(boom.statusCode, 500)
  t.same(boom.json(), { statusCode: 500, code: 'KEFU_TEST_INTERNAL', error: 'Internal Server Error', message: 'internal error' })
  const bad = await app.inject('/bad')
  t.equal(bad.statusCode, 400)
  t.match(bad.json().message, /must have required property 'q'/)
  t.equal((await app.inject('/teapot')).json().code, 'KEFU_TEST_TEAPOT')
  t.equal((await app.inject('/nowhere')).statusCode, 404)
})

t.test('WECHAT_APPS: an optional customer-profile lookup per mini program, validated strictly', async (t) => {
  const app = { appid: 'wx0123456789abcdef', token: 'yourToken1', secret: 'an-app-secret' }
  const secret = 'profile-secret-of-our-own-0123456789'
  const [parsed] = parseWechatApps([{ ...app, profileUrl: 'https://crm.example/kefu/profile', profileSecret: secret }], 'WECHAT_APPS')
  t.equal(parsed!.profileUrl, 'https://crm.example/kefu/profile')
  t.equal(parsed!.profileSecret, secret)
  t.equal(parseWechatApps([app], 'WECHAT_APPS')[0]!.profileUrl, undefined, 'optional')
  for (const url of ['http://127.0.0.1:8080/kefu/profile', 'http://localhost:8080/p', 'http://[::1]:8080/p']) {
    t.equal(parseWechatApps([{ ...app, profileUrl: url, profileSecret: secret }], 'WECHAT_APPS')[0]!.profileUrl, url, `${url}: plain HTTP to this machine (development)`)
  }
  const refused: Array<[Record<string, unknown>, string]> = [
    [{ profileUrl: 'ftp://crm.example/x', profileSecret: secret }, 'WECHAT_APPS[0].profileUrl must be an http:// or https:// URL'],
    [{ profileUrl: 'not a url', profileSecret: secret }, 'WECHAT_APPS[0].profileUrl must be an http:// or https:// URL'],
    [{ profileUrl: 'https://user:pw@crm.example/x', profileSecret: secret }, 'WECHAT_APPS[0].profileUrl must not carry a user name or password (sign with profileSecret)'],
    [{ profileUrl: 'https://crm.example/x#frag', profileSecret: secret }, 'WECHAT_APPS[0].profileUrl must not have a #fragment'],
    [{ profileUrl: 'https://crm.example/x' }, 'WECHAT_APPS[0].profileSecret is required with profileUrl (the HMAC key the lookup is signed with)'],
    [{ profileSecret: secret }, 'WECHAT_APPS[0].profileSecret is set but profileUrl is not'],
    [{ profileUrl: 'https://crm.example/x', profileSecret: 'short' }, 'WECHAT_APPS[0].profileSecret must be at least 32 characters'],
    [{ profileUrl: 'https://crm.example/x', profileSecret: 'change-me-profile-secret-000000000000' }, 'WECHAT_APPS[0].profileSecret is still the placeholder from .env.example: set a secret of your own'],
    [{ profileUrl: 42, profileSecret: secret }, 'WECHAT_APPS[0].profileUrl must be a string'],
    [{ profileUrl: 'http://crm.example/kefu/profile', profileSecret: secret }, 'WECHAT_APPS[0].profileUrl must be https:// (http:// only to a loopback host such as 127.0.0.1, for development), got http://crm.example'],
    [{ profileUrl: 'http://10.0.0.5:8080/profile', profileSecret: secret }, 'WECHAT_APPS[0].profileUrl must be https:// (http:// only to a loopback host such as 127.0.0.1, for development), got http://10.0.0.5:8080'],
    [{ profileUrl: 'http://localhost.example/profile', profileSecret: secret }, 'WECHAT_APPS[0].profileUrl must be https:// (http:// only to a loopback host such as 127.0.0.1, for development), got http://localhost.example']
  ]
  for (const [extra, message] of refused) {
    t.throws(() => parseWechatApps([{ ...app, ...extra }], 'WECHAT_APPS'), new ConfigError(message), JSON.stringify(extra))
  }
})

t.test('METRICS_HOST, METRICS_PORT, METRICS_TOKEN: a listener of its own, on loopback unless a token guards it', async (t) => {
  const defaults = { port: 9464, publicPort: 3000 }
  const token = 'a-metrics-token-of-our-own-0123456789'
  t.same(readMetricsListener({}, defaults), { host: '127.0.0.1', port: 9464 })
  t.same(readMetricsListener({ METRICS_PORT: '0', PORT: '0' }, { port: 9464, publicPort: 0 }), { host: '127.0.0.1', port: 0 }, 'tests pick a free port')
  t.same(readMetricsListener({ METRICS_HOST: '::1', METRICS_PORT: '9100' }, defaults), { host: '::1', port: 9100 })
  t.same(readMetricsListener({ METRICS_HOST: '0.0.0.0', METRICS_TOKEN: token }, defaults), { host: '0.0.0.0', port: 9464, token })
  t.same(readMetricsListener({ METRICS_TOKEN: token }, defaults), { host: '127.0.0.1', port: 9464, token }, 'a token on loopback too, if wanted')
  const bad: Array<[Record<string, string>, string]> = [
    [{ METRICS_PORT: '3000' }, 'METRICS_PORT must differ from PORT (3000): /metrics is never served on the public listener'],
    [{ METRICS_PORT: 'ninety' }, 'METRICS_PORT must be a whole number, got "ninety"'],
    [{ METRICS_PORT: '70000' }, 'METRICS_PORT must be between 0 and 65535, got 70000'],
    [{ METRICS_HOST: '0.0.0.0' }, 'METRICS_TOKEN is required with METRICS_HOST 0.0.0.0, which is not a loopback address: metrics are never served unauthenticated beyond this machine'],
    [{ METRICS_HOST: 'metrics.internal' }, 'METRICS_TOKEN is required with METRICS_HOST metrics.internal, which is not a loopback address: metrics are never served unauthenticated beyond this machine'],
    [{ METRICS_HOST: '0.0.0.0', METRICS_TOKEN: 'short' }, 'METRICS_TOKEN must be at least 32 characters, got 5'],
    [{ METRICS_TOKEN: 'change-me-metrics-token-0123456789abcdef' }, 'METRICS_TOKEN is still the placeholder from .env.example: set a secret of your own'],
    [{ METRICS_TOKEN: 'a token with spaces in it, 0123456789abcdef' }, 'METRICS_TOKEN must be printable ASCII without spaces (it travels in an Authorization header)']
  ]
  refusesEach(t, (env: Record<string, string>) => readMetricsListener(env, defaults), bad)
})

t.test('REDIS_CLUSTER_URLS: a cluster\'s seed nodes, instead of REDIS_URL', async (t) => {
  t.same(readRedisUrl({ REDIS_CLUSTER_URLS: 'redis://10.0.0.1:6379, redis://10.0.0.2:6379,redis://:pw@10.0.0.3:6380' }),
    { cluster: ['redis://10.0.0.1:6379', 'redis://10.0.0.2:6379', 'redis://:pw@10.0.0.3:6380'] })
  t.same(readRedisUrl({ REDIS_CLUSTER_URLS: 'rediss://r1.example:6379' }), { cluster: ['rediss://r1.example:6379'] })
  t.equal(readRedisUrl({ REDIS_URL: 'redis://r:6379', REDIS_CLUSTER_URLS: '' }), 'redis://r:6379', 'empty counts as unset')
  t.throws(() => readRedisUrl({ REDIS_URL: 'redis://r:6379', REDIS_CLUSTER_URLS: 'redis://c:7000' }),
    new ConfigError('set REDIS_URL (one Redis server) or REDIS_CLUSTER_URLS (a Redis Cluster), not both'))
  for (const [value, entry] of <Array<[string, string]>>[['10.0.0.1:6379', '10.0.0.1:6379'], ['redis://a:1,,redis://b:2', ''], ['http://a:1', 'http://a:1'], ['redis://a:1;redis://b:2', 'redis://a:1;redis://b:2']]) {
    t.throws(() => readRedisUrl({ REDIS_CLUSTER_URLS: value }),
      new ConfigError(`REDIS_CLUSTER_URLS must be comma-separated redis:// or rediss:// URLs of cluster nodes, e.g. redis://10.0.0.1:6379,redis://10.0.0.2:6379; "${entry}" is not such a URL`), value)
  }
  t.throws(() => readRedisUrl({ REDIS_CLUSTER_URLS: 'redis://a:1/2' }), /^REDIS_CLUSTER_URLS: "redis:\/\/a:1\/2" names a database \(\/2\); a cluster has only database 0$/)
  t.throws(() => readRedisUrl({ REDIS_CLUSTER_URLS: 'redis://a:1,rediss://b:2' }), /mixes redis:\/\/ and rediss:\/\//)
  t.throws(() => readRedisUrl({ REDIS_CLUSTER_URLS: 'redis://:change-me@a:1' }), /^REDIS_CLUSTER_URLS carries the placeholder password/)
})
