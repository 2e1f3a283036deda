// .env.example is published: every secret in it is a placeholder, and each placeholder stops every service that
// reads it, with one line naming the variable. The services get .env.example's values as docker-compose.yml wires them.
import t from 'tap'
import { isPlaceholder, type Env } from '@kefu/service'
import { exampleWithOnly, kefuApp, leaves, readCompose, readEnvExample } from './compose.js'

type Example = Record<string, string>

/** Each kefu service's environment under docker compose: docker-compose.yml's, interpolated from .env's values. */
const SERVICES: Record<string, { load: (env: Env) => unknown, env: (e: Example) => Env }> = {}
for (const service of Object.values(readCompose(readEnvExample().set).services)) {
  const app = kefuApp(service)
  if (app !== undefined) SERVICES[service.name] = { load: app.loadConfig, env: (e) => readCompose(e).services[service.name]!.environment }
}

const example = readEnvExample().set
const placeholders = leaves(example).filter((l) => isPlaceholder(l.value))

t.test('every secret .env.example carries is a placeholder', async (t) => {
  const secrets = leaves(example).filter((l) => /secret|password|token|key/i.test(l.key))
  t.same(secrets.map((s) => s.where).sort(), [
    'CONSOLE_CLIENT_SECRET', 'KEFU_SECRET_KEY', 'POSTGRES_PASSWORD', 'SESSION_SECRET', 'SSO_CLIENTS[0].clientSecret', 'SSO_CLIENTS[1].clientSecret',
    'SYNC_CLIENT_SECRET', 'WECHAT_APPS[0].encodingAESKey', 'WECHAT_APPS[0].secret', 'WECHAT_APPS[0].token'
  ], 'the secrets this test knows of (a new one must be added here and be refused below)')
  for (const s of secrets) t.ok(isPlaceholder(s.value), `${s.where} is a placeholder ("${s.value}")`)
})

t.test('with every placeholder replaced, every service starts from .env.example', async (t) => {
  const good = exampleWithOnly(example, undefined)
  for (const [name, service] of Object.entries(SERVICES)) t.doesNotThrow(() => service.load(service.env(good)), name)
})

t.test('each placeholder alone stops every service that reads it, naming the variable', async (t) => {
  for (const placeholder of placeholders) {
    const withIt = exampleWithOnly(example, placeholder.where)
    let readers = 0
    for (const [name, service] of Object.entries(SERVICES)) {
      const env = service.env(withIt)
      const variable = Object.entries(env).find(([, v]) => v?.includes(placeholder.value))?.[0]
      if (variable === undefined) continue
      readers++
      // Inside a JSON setting the message names the element, e.g. SSO_CLIENTS[1].clientSecret.
      const named = placeholder.where.includes('[') ? variable + placeholder.where.slice(placeholder.where.indexOf('[')) : variable
      const err = t.throws(() => service.load(env), `${name} refuses ${placeholder.where}`) as Error
      t.equal(err.message.split(' ')[0], named, `${name} names ${named}`)
      t.notMatch(err.message, /\n/)
      t.notMatch(err.message, placeholder.value, 'the value itself is not repeated')
    }
    t.ok(readers > 0, `${placeholder.where} is read by some service`)
  }
})
