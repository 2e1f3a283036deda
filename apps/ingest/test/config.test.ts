import t from 'tap'
import { checkMetricsSettings, refusesEach } from '@kefu/service/testing'
import path from 'node:path'
import { appOptions, loadConfig, serverOptions } from '../src/config.js'

const app = { appid: 'wx00000000000000a1', token: 'token123' }
const KEY = `k1:${'Q'.repeat(43)}=`

t.test('defaults and WECHAT_APPS', async (t) => {
  const config = loadConfig({ WECHAT_APPS: JSON.stringify([app]) })
  t.equal(config.port, 3000)
  t.equal(config.host, '127.0.0.1')
  t.equal(config.timestampWindowS, 300)
  t.equal(config.databaseUrl, undefined)
  t.same(config.apps, [app])
})

t.test('WECHAT_APPS_FILE', async (t) => {
  const dir = t.testdir({ 'apps.json': JSON.stringify([app]) })
  t.same(loadConfig({ WECHAT_APPS_FILE: path.join(dir, 'apps.json') }).apps, [app])
  t.throws(() => loadConfig({ WECHAT_APPS_FILE: path.join(dir, 'missing.json') }), /WECHAT_APPS_FILE .*missing\.json cannot be read: ENOENT/)
})

t.test('bad configuration stops with one line naming the variable', async (t) => {
  const bad: Array<[Record<string, string>, RegExp]> = [
    [{}, /^WECHAT_APPS \(a JSON array of mini programs\) or WECHAT_APPS_FILE is required$/],
    [{ WECHAT_APPS: '{' }, /^WECHAT_APPS is not valid JSON/],
    [{ WECHAT_APPS: '[]' }, /^WECHAT_APPS must be a non-empty JSON array/],
    [{ WECHAT_APPS: '[{"appid":"nope","token":"abc"}]' }, /^WECHAT_APPS\[0\]\.appid must look like wx/],
    [{ WECHAT_APPS: '[{"appid":"wx00000000000000a1","token":"a"}]' }, /^WECHAT_APPS\[0\]\.token must be 3 to 32/],
    [{ WECHAT_APPS: '[{"appid":"wx00000000000000a1","token":"abc","encodingAESKey":"short"}]' }, /^WECHAT_APPS\[0\]: EncodingAESKey must be 43 characters/],
    [{ WECHAT_APPS: '[{"appid":"wx00000000000000a1","token":"abc","previousEncodingAESKey":"' + 'A'.repeat(43) + '"}]' }, /previousEncodingAESKey needs encodingAESKey/],
    [{ WECHAT_APPS: JSON.stringify([app, app]) }, /^WECHAT_APPS\[1\]\.appid wx00000000000000a1 is listed twice$/],
    [{ WECHAT_APPS: '[{"appid":"wx00000000000000a1","token":"abc","tokn":"x"}]' }, /unknown field "tokn"/],
    [{ WECHAT_APPS: JSON.stringify([app]), PORT: 'eighty' }, /^PORT must be a whole number/],
    [{ WECHAT_APPS: JSON.stringify([app]), DATABASE_URL: 'mysql://x' }, /^DATABASE_URL must be a postgresql/],
    [{ WECHAT_APPS: JSON.stringify([app]), REDIS_URL: 'localhost:6379' }, /^REDIS_URL must be a redis/],
    [{ WECHAT_APPS: JSON.stringify([app]), WECHAT_TIMESTAMP_WINDOW_S: '0' }, /^WECHAT_TIMESTAMP_WINDOW_S must be between 1/],
    [{ WECHAT_APPS: JSON.stringify([app]), WECHAT_APPS_FILE: '/x' }, /not both/],
    [{ WECHAT_APPS: JSON.stringify([{ ...app, token: 'changeMeYourToken' }]) }, /^WECHAT_APPS\[0\]\.token is still the placeholder from \.env\.example/],
    [{ WECHAT_APPS: JSON.stringify([app]), DATABASE_URL: 'postgresql://kefu:change-me-postgres-password@postgres:5432/kefu', KEFU_SECRET_KEY: KEY }, /^DATABASE_URL carries the placeholder password/],
    [{ WECHAT_APPS: JSON.stringify([app]), DATABASE_URL: 'postgresql://db/kefu' }, /^KEFU_SECRET_KEY is required with DATABASE_URL/],
    [{ WECHAT_APPS: JSON.stringify([app]), KEFU_SECRET_KEY: 'k1:change-me-to-32-random-bytes-in-base64' }, /^KEFU_SECRET_KEY \(k1\) is still the placeholder from \.env\.example/],
    [{ WECHAT_APPS: JSON.stringify([app]), KEFU_SECRET_KEY: 'k1:c2hvcnQ=' }, /^KEFU_SECRET_KEY \(k1\) must be 32 bytes in base64, got 5/]
  ]
  refusesEach(t, loadConfig, bad)
})

t.test('appOptions and serverOptions carry every setting to the app and to Fastify', async (t) => {
  const config = loadConfig({
    WECHAT_APPS: JSON.stringify([app]), DATABASE_URL: 'postgresql://db/kefu', DATABASE_POOL_MAX: '4', REDIS_URL: 'redis://r:6379',
    WECHAT_TIMESTAMP_WINDOW_S: '60', KEFU_SECRET_KEY: `k2:${'B'.repeat(43)}=,k1:${'A'.repeat(43)}=`
  })
  t.same(appOptions(config), {
    apps: [app], secretKeys: [{ id: 'k2', key: Buffer.from('B'.repeat(43) + '=', 'base64') }, { id: 'k1', key: Buffer.from('A'.repeat(43) + '=', 'base64') }],
    databaseUrl: 'postgresql://db/kefu', poolMax: 4, redisUrl: 'redis://r:6379', timestampWindowS: 60, wechatApiBase: 'https://api.weixin.qq.com'
  })
  t.equal(config.secretKeyGenerated, false)
  const embedded = loadConfig({ WECHAT_APPS: JSON.stringify([app]) })
  t.equal(embedded.secretKeyGenerated, true, 'embedded mode: a key for this start')
  t.equal(embedded.secretKeys[0]!.key.length, 32)
  t.same(serverOptions(config), { bodyLimit: 1024 * 1024 })
})

t.test('metrics: their own listener, 9464 on loopback by default, never PORT; off loopback only with METRICS_TOKEN', async (t) => {
  checkMetricsSettings(t, (env) => loadConfig({ WECHAT_APPS: JSON.stringify([app]), ...env }).metrics, { port: 9464, publicPort: 3000 })
})

t.test('WECHAT_COMPONENT: third-party platform mode, one line per mistake', async (t) => {
  const component = { appid: 'wxc0a4e00000000001', secret: 'component-secret-0000000001', token: 'componentToken01', encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' }
  const apps = JSON.stringify([app])
  t.equal(loadConfig({ WECHAT_APPS: apps }).component, undefined, 'off by default')
  t.same(loadConfig({ WECHAT_APPS: apps, WECHAT_COMPONENT: JSON.stringify(component) }).component, component)
  t.same(appOptions(loadConfig({ WECHAT_APPS: apps, WECHAT_COMPONENT: JSON.stringify(component) })).component, component)
  const dir = t.testdir({ 'component.json': JSON.stringify(component) })
  t.same(loadConfig({ WECHAT_APPS: apps, WECHAT_COMPONENT_FILE: path.join(dir, 'component.json') }).component, component)
  const bad: Array<[unknown, RegExp]> = [
    [[component], /^WECHAT_COMPONENT must be a JSON object \{"appid","secret","token","encodingAESKey"\}$/],
    [{ ...component, appid: 'nope' }, /^WECHAT_COMPONENT\.appid must look like wx followed by 16 letters or digits$/],
    [{ ...component, secret: undefined }, /^WECHAT_COMPONENT\.secret is required$/],
    [{ ...component, secret: 'short' }, /^WECHAT_COMPONENT\.secret must be the platform's AppSecret/],
    [{ ...component, token: 'a' }, /^WECHAT_COMPONENT\.token must be 3 to 32 letters or digits$/],
    [{ ...component, encodingAESKey: 'short' }, /^WECHAT_COMPONENT\.encodingAESKey: EncodingAESKey must be 43 characters/],
    [{ ...component, encodingAESKey: undefined }, /^WECHAT_COMPONENT\.encodingAESKey is required$/],
    [{ ...component, extra: 1 }, /^WECHAT_COMPONENT has an unknown field "extra"$/],
    [{ ...component, token: 42 }, /^WECHAT_COMPONENT\.token must be a string$/]
  ]
  for (const [value, message] of bad) t.throws(() => loadConfig({ WECHAT_APPS: apps, WECHAT_COMPONENT: JSON.stringify(value) }), message, String(message))
  t.throws(() => loadConfig({ WECHAT_APPS: apps, WECHAT_COMPONENT: '{', }), /^WECHAT_COMPONENT is not valid JSON/)
  t.throws(() => loadConfig({ WECHAT_APPS: apps, WECHAT_COMPONENT: JSON.stringify(component), WECHAT_COMPONENT_FILE: path.join(dir, 'component.json') }), /^set WECHAT_COMPONENT or WECHAT_COMPONENT_FILE, not both$/)
  t.throws(() => loadConfig({ WECHAT_APPS: apps, WECHAT_API_BASE: 'ftp://x' }), /^WECHAT_API_BASE/)
})
