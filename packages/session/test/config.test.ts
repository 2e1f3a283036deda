import t from 'tap'
import { readSessionConfig, SessionConfigError } from '../src/index.js'

const secret = 's'.repeat(32)

t.test('defaults: 1800 s idle, 43200 s absolute, no Redis', async (t) => {
  t.same(readSessionConfig({ SESSION_SECRET: secret }), {
    secret, secretGenerated: false, idleTimeoutS: 1800, absoluteTimeoutS: 43200, redisUrl: undefined
  })
})

t.test('reads every variable', async (t) => {
  t.same(readSessionConfig({
    SESSION_SECRET: secret,
    SESSION_IDLE_TIMEOUT_S: '60',
    SESSION_ABSOLUTE_TIMEOUT_S: '60',
    REDIS_URL: 'rediss://:pw@redis.example:6380/2'
  }), { secret, secretGenerated: false, idleTimeoutS: 60, absoluteTimeoutS: 60, redisUrl: 'rediss://:pw@redis.example:6380/2' })
})

t.test('embedded mode may generate a secret; otherwise it is required', async (t) => {
  const a = readSessionConfig({}, { generateMissingSecret: true })
  const b = readSessionConfig({ SESSION_SECRET: '' }, { generateMissingSecret: true })
  t.equal(a.secretGenerated, true)
  t.ok(a.secret.length >= 32)
  t.not(a.secret, b.secret, 'random per start')
  t.throws(() => readSessionConfig({}), { message: 'SESSION_SECRET is required: at least 32 characters' })
})

t.test('bad values: one line naming the variable', async (t) => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ SESSION_SECRET: 'short' }, 'SESSION_SECRET must be at least 32 characters, got 5'],
    [{ SESSION_SECRET: 'change-me-to-a-long-random-string-of-32-chars-or-more' }, 'SESSION_SECRET is still the placeholder from .env.example: set a random one of 32+ characters'],
    [{ SESSION_SECRET: 'CHANGEME' + 'x'.repeat(40) }, 'SESSION_SECRET is still the placeholder from .env.example: set a random one of 32+ characters'],
    [{ SESSION_IDLE_TIMEOUT_S: 'abc' }, 'SESSION_IDLE_TIMEOUT_S must be a positive integer number of seconds, got "abc"'],
    [{ SESSION_IDLE_TIMEOUT_S: '0' }, 'SESSION_IDLE_TIMEOUT_S must be a positive integer number of seconds, got "0"'],
    [{ SESSION_IDLE_TIMEOUT_S: '-5' }, 'SESSION_IDLE_TIMEOUT_S must be a positive integer number of seconds, got "-5"'],
    [{ SESSION_IDLE_TIMEOUT_S: '1.5' }, 'SESSION_IDLE_TIMEOUT_S must be a positive integer number of seconds, got "1.5"'],
    [{ SESSION_IDLE_TIMEOUT_S: '30m' }, 'SESSION_IDLE_TIMEOUT_S must be a positive integer number of seconds, got "30m"'],
    [{ SESSION_ABSOLUTE_TIMEOUT_S: ' 60' }, 'SESSION_ABSOLUTE_TIMEOUT_S must be a positive integer number of seconds, got " 60"'],
    [{ SESSION_ABSOLUTE_TIMEOUT_S: '99999999999999999999' }, 'SESSION_ABSOLUTE_TIMEOUT_S must be a positive integer number of seconds, got "99999999999999999999"'],
    [{ SESSION_IDLE_TIMEOUT_S: '3600', SESSION_ABSOLUTE_TIMEOUT_S: '1800' }, 'SESSION_IDLE_TIMEOUT_S (3600) must not exceed SESSION_ABSOLUTE_TIMEOUT_S (1800)'],
    [{ SESSION_IDLE_TIMEOUT_S: '43201' }, 'SESSION_IDLE_TIMEOUT_S (43201) must not exceed SESSION_ABSOLUTE_TIMEOUT_S (43200)'],
    [{ REDIS_URL: 'http://redis:6379' }, 'REDIS_URL must be a redis:// or rediss:// URL, got "http://…"'],
    [{ REDIS_URL: 'not a url' }, 'REDIS_URL must be a redis:// or rediss:// URL, got an unparsable value']
  ]
  for (const [env, message] of cases) {
    t.throws(() => readSessionConfig({ SESSION_SECRET: secret, ...env }), new SessionConfigError(message), message)
  }
})

t.test('the error carries a code and never echoes a secret', async (t) => {
  try {
    readSessionConfig({ SESSION_SECRET: 'hunter2-hunter2' })
    t.fail('should throw')
  } catch (err) {
    t.ok(err instanceof SessionConfigError)
    t.equal((err as SessionConfigError).code, 'KEFU_SESSION_BAD_CONFIG')
    t.notMatch((err as Error).message, /hunter2/)
  }
})
