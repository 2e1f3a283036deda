import t from 'tap'
import { Writable } from 'node:stream'
import Fastify from 'fastify'
import fp from 'fastify-plugin'
import ingestApp from '../src/app.js'
import { APPS, SAFE_APP, fields, fileDatabase, push, send } from './helper.js'

const db = await fileDatabase(t, 'ingest_observability')

t.test('one structured log line per push, without token, key or content; OpenAPI docs', async (t) => {
  const lines: Array<Record<string, unknown>> = []
  const raw: string[] = []
  const stream = new Writable({
    write (chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) {
        if (line === '') continue
        raw.push(line)
        lines.push(JSON.parse(line) as Record<string, unknown>)
      }
      done()
    }
  })
  const app = Fastify({ logger: { level: 'info', stream } })
  await app.register(fp(ingestApp), { apps: APPS, databaseUrl: db.url, poolMax: db.poolMax })
  t.teardown(() => app.close())
  await app.ready()

  const secretContent = 'my phone number is 13800138000'
  const f = fields('text', { fromUserName: 'o_logged', content: secretContent, msgId: 4242n })
  t.equal((await send(app, SAFE_APP.appid, push(SAFE_APP, 'safe', 'json', f))).statusCode, 200)
  const forged = push(SAFE_APP, 'safe', 'json', f)
  forged.query.msg_signature = '0'.repeat(40)
  t.equal((await send(app, SAFE_APP.appid, forged)).statusCode, 401)

  const pushes = lines.filter((l) => l.msg === 'push')
  t.equal(pushes.length, 2, 'one line per push')
  t.match(pushes[0], { appid: SAFE_APP.appid, type: 'text', msg_id: '4242', outcome: 'stored', status: 200 })
  t.type(pushes[0]!.ms, 'number')
  t.match(pushes[1], { appid: SAFE_APP.appid, outcome: 'KEFU_INGEST_BAD_SIGNATURE', status: 401 })
  const all = raw.join('\n')
  t.notMatch(all, secretContent, 'no decrypted content')
  t.notMatch(all, SAFE_APP.token, 'no token')
  t.notMatch(all, SAFE_APP.encodingAESKey!, 'no key')

  const docs = await app.inject('/docs/json')
  t.equal(docs.statusCode, 200)
  const spec = docs.json()
  t.ok(spec.paths['/wechat/{appid}'].get, 'URL verification documented')
  t.ok(spec.paths['/wechat/{appid}'].post.responses['401'], 'responses per status documented')
})
