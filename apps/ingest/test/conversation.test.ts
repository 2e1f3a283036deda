import t from 'tap'
import { once, EventEmitter } from 'node:events'
import { createMemoryBus } from '@kefu/service'
import { MESSAGES_CHANNEL } from '../src/app.js'
import { PLAIN_APP, SAFE_APP, build, fields, fileDatabase, push, send } from './helper.js'

const db = await fileDatabase(t, 'ingest_conversation')

t.test('stored messages keep their conversation current, in the same statement', async (t) => {
  const app = await build(t, db)
  const user = 'o_conv_user'
  const enter = fields('user_enter_tempsession', { fromUserName: user, createTime: 1714112400 })
  const first = fields('text', { fromUserName: user, createTime: 1714112410, msgId: 1n })
  const second = fields('image', { fromUserName: user, createTime: 1714112420, msgId: 2n })
  for (const f of [enter, first, second, first]) {
    t.equal((await send(app, SAFE_APP.appid, push(SAFE_APP, 'safe', 'json', f))).statusCode, 200)
  }
  const conv = await app.prisma.conversation.findUniqueOrThrow({ where: { appId_openid: { appId: SAFE_APP.appid, openid: user } } })
  const newest = await app.prisma.customerMessage.findFirstOrThrow({ where: { openid: user }, orderBy: { id: 'desc' } })
  t.equal(conv.unreadCount, 2, 'two messages unread; the event and the duplicate do not count')
  t.equal(conv.lastMessageId, newest.id)
  t.equal(conv.lastInboundAt?.getTime(), 1714112420_000)
  t.equal(conv.lastEnterAt?.getTime(), 1714112400_000)
  t.equal(conv.lastMessageAt.getTime(), 1714112420_000)
  t.equal(await app.prisma.conversation.count({ where: { openid: user } }), 1, 'one conversation per app and user')
  await send(app, PLAIN_APP.appid, push(PLAIN_APP, 'plain', 'json', fields('text', { fromUserName: user, msgId: 3n })))
  t.equal(await app.prisma.conversation.count({ where: { openid: user } }), 2, 'the same openid under another mini program is another conversation')
})

t.test('each commit is announced once with the new rows, never duplicates', async (t) => {
  const bus = createMemoryBus()
  const app = await build(t, db, { bus })
  const seen = new EventEmitter()
  const announced: Array<{ id: string, appId: string, openid: string }> = []
  await bus.subscribe(MESSAGES_CHANNEL, (m) => { announced.push(...JSON.parse(m).messages); seen.emit('m') })
  const f = fields('text', { fromUserName: 'o_announce' })
  const arrived = once(seen, 'm')
  t.equal((await send(app, SAFE_APP.appid, push(SAFE_APP, 'safe', 'xml', f))).statusCode, 200)
  await arrived
  t.equal((await send(app, SAFE_APP.appid, push(SAFE_APP, 'safe', 'xml', f))).statusCode, 200, 'a retry')
  const row = await app.prisma.customerMessage.findFirstOrThrow({ where: { openid: 'o_announce' } })
  t.same(announced, [{ id: row.id.toString(), appId: SAFE_APP.appid, openid: 'o_announce' }])
})
