import t from 'tap'
import { startFakeWechat } from '../src/testing/fake-wechat.js'

const APPS = [{ appid: 'wxfa4e000000000001', secret: 'fake-secret-0000000000000000001' }, { appid: 'wxfa4e000000000002', secret: 'fake-secret-0000000000000000002' }]

async function get (url: string, appid: string, secret: string, mediaId: string): Promise<{ status: number, type: string, body: Buffer }> {
  const token = await (await fetch(`${url}/cgi-bin/stable_token`, { method: 'POST', body: JSON.stringify({ grant_type: 'client_credential', appid, secret }) })).json() as { access_token: string }
  const res = await fetch(`${url}/cgi-bin/media/get?access_token=${token.access_token}&media_id=${mediaId}`)
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: Buffer.from(await res.arrayBuffer()) }
}

t.test('a chosen media_id serves each mini program its own file, and forgetMedia makes WeChat answer 40007 (its 3 days are over)', async (t) => {
  const fake = await startFakeWechat({ apps: APPS })
  t.teardown(() => fake.close())
  t.equal(fake.addMedia(APPS[0]!.appid, Buffer.from('one'), 'image/png', 'a.png', 'media_demo_1'), 'media_demo_1')
  fake.addMedia(APPS[1]!.appid, Buffer.from('two'), 'image/png', 'b.png', 'media_demo_1')
  const first = await get(fake.url, APPS[0]!.appid, APPS[0]!.secret, 'media_demo_1')
  t.equal(first.body.toString(), 'one')
  t.match(first.type, /image\/png/)
  t.equal((await get(fake.url, APPS[1]!.appid, APPS[1]!.secret, 'media_demo_1')).body.toString(), 'two')
  t.equal(fake.media('media_demo_1')?.bytes.length, 3)
  fake.forgetMedia('media_demo_1')
  const gone = await get(fake.url, APPS[0]!.appid, APPS[0]!.secret, 'media_demo_1')
  t.match(JSON.parse(gone.body.toString()), { errcode: 40007 })
  const random = fake.addMedia(APPS[0]!.appid, Buffer.from('three'), 'image/jpeg')
  fake.forgetMedia()
  t.equal(fake.media(random), undefined, 'forgetMedia() forgets every media')
})
