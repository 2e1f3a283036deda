import t from 'tap'
import Fastify from 'fastify'
import { ConfigError, readInt, readHttpUrl, readJson, readString, readLogLevel, readDatabaseUrl, installErrorHandler } from '../src/index.js'

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
