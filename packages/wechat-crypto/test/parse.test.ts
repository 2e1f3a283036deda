import t from 'tap'
import { parseJsonLossless, parseXml, parsePushBody, parseMessage, detectFormat, stringifyFlat, stringifyFlatXml } from '../src/index.js'

t.test('JSON: 64-bit integers survive as decimal strings', async (t) => {
  const v = parseJsonLossless('{"MsgId":22876340532172986,"CreateTime":1714112445,"s":"22876340532172986","n":-9223372036854775808,"f":1.5e300}') as Record<string, unknown>
  t.equal(v.MsgId, '22876340532172986')
  t.equal(v.CreateTime, 1714112445)
  t.equal(v.s, '22876340532172986')
  t.equal(v.n, '-9223372036854775808')
  t.equal(v.f, 1.5e300)
  t.equal((parseJsonLossless('{"a":"x\\"22876340532172986\\"","b":[22223624286040849]}') as { a: string, b: string[] }).b[0], '22223624286040849')
  t.equal((parseJsonLossless('{"a":"x\\"22876340532172986\\""}') as { a: string }).a, 'x"22876340532172986"', 'digits inside strings stay untouched')
  t.equal((parseJsonLossless('{"MsgId":9007199254740991}') as { MsgId: number }).MsgId, 9007199254740991, 'safe integers stay numbers')
  t.throws(() => parseJsonLossless('{"a":'), { code: 'BAD_JSON' })
  t.throws(() => parseJsonLossless('{"a":01234567890123456789}'), { code: 'BAD_JSON' })
  t.equal(stringifyFlat({ MsgId: 22876340532172986n, Content: 'hi' }), '{"MsgId":22876340532172986,"Content":"hi"}')
})

t.test('XML: WeChat shapes, CDATA, entities, nesting', async (t) => {
  const doc = '<?xml version="1.0"?>\n<xml>\n <ToUserName><![CDATA[gh_1]]></ToUserName>\n <MsgId>22876340532172986</MsgId>\n' +
    ' <Content><![CDATA[a]]]]><![CDATA[>b]]></Content><T>x &amp; &lt;y&gt; &#20320;&#x597D;</T><E/><L>1</L><L>2</L><N><I>3</I></N>\n</xml>'
  const root = parseXml(doc)
  t.equal(root.name, 'xml')
  t.same(root.value, { ToUserName: 'gh_1', MsgId: '22876340532172986', Content: 'a]]>b', T: 'x & <y> 你好', E: '', L: ['1', '2'], N: { I: '3' } })
  t.equal(stringifyFlatXml({ A: 'x]]>y', B: 22876340532172986n }), '<xml><A><![CDATA[x]]]]><![CDATA[>y]]></A><B>22876340532172986</B></xml>')
  t.same(parseXml(stringifyFlatXml({ A: 'x]]>y', B: 1 })).value, { A: 'x]]>y', B: '1' })
})

t.test('XML: hostile documents are refused', async (t) => {
  const bad = [
    '<!DOCTYPE xml [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><xml><C>&b;</C></xml>',
    '<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><C>&xxe;</C></xml>',
    '<xml><C>&custom;</C></xml>',
    '<xml><C>x</D></xml>',
    '<xml><C>x</C>',
    '<xml><C>x</C></xml><xml/>',
    '<xml><?php evil ?></xml>',
    '<xml><C>&#0;</C></xml>',
    '<xml>text<C>x</C></xml>',
    '',
    '   ',
    '<' + 'a>'.repeat(1) + '<b>'.repeat(40) + '</b>'.repeat(40) + '</a>'
  ]
  for (const doc of bad) t.throws(() => parseXml(doc), { code: 'BAD_XML' }, doc.slice(0, 40))
})

t.test('format detection and bodies', async (t) => {
  t.equal(detectFormat('  {"a":1}'), 'json')
  t.equal(detectFormat('\n<xml/>'), 'xml')
  t.throws(() => detectFormat('hello'), { code: 'BAD_MESSAGE' })
  t.throws(() => parsePushBody('[1,2]', 'json'), { code: 'BAD_MESSAGE' })
  t.throws(() => parsePushBody('<xml>leaf</xml>', 'xml'), { code: 'BAD_MESSAGE' })
})

const base = { ToUserName: 'gh_1', FromUserName: 'o_user', CreateTime: 1714112445 }

t.test('typed messages', async (t) => {
  const text = parseMessage({ ...base, MsgType: 'text', Content: '你好', MsgId: '22876340532172986' })
  t.match(text, { kind: 'text', content: '你好', msgId: '22876340532172986', createTime: '1714112445' })
  const image = parseMessage({ ...base, MsgType: 'image', PicUrl: 'http://p', MediaId: 'm1', MsgId: 1 })
  t.match(image, { kind: 'image', picUrl: 'http://p', mediaId: 'm1', msgId: '1' })
  const card = parseMessage({ ...base, MsgType: 'miniprogrampage', MsgId: 2, Title: 'T', AppId: 'wxa', PagePath: 'p/i', ThumbUrl: 'u', ThumbMediaId: 't' })
  t.match(card, { kind: 'miniprogrampage', title: 'T', appId: 'wxa', pagePath: 'p/i', thumbUrl: 'u', thumbMediaId: 't' })
  const enter = parseMessage({ ...base, MsgType: 'event', Event: 'user_enter_tempsession', SessionFrom: 'from-card' })
  t.match(enter, { kind: 'user_enter_tempsession', sessionFrom: 'from-card' })
  const other = parseMessage({ ...base, MsgType: 'event', Event: 'kf_close_session', Extra: { a: 1 } })
  t.match(other, { kind: 'other', event: 'kf_close_session', fields: { Extra: { a: 1 } } })
  const voice = parseMessage({ ...base, MsgType: 'voice', MsgId: '22876340532172986', MediaId: 'v' })
  t.match(voice, { kind: 'other', msgId: '22876340532172986' })
  const fromXml = parseMessage(parsePushBody('<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>x</Content><MsgId>22876340532172986</MsgId></xml>'))
  t.match(fromXml, { kind: 'text', msgId: '22876340532172986' })
})

t.test('messages missing what they need are refused', async (t) => {
  const bad: Array<Record<string, unknown>> = [
    { ...base, MsgType: 'text', Content: 'x' },
    { ...base, MsgType: 'text', MsgId: 'abc', Content: 'x' },
    { ...base, MsgType: 'text', MsgId: 1.5, Content: 'x' },
    { ...base, MsgType: 'text', MsgId: 1 },
    { ...base, MsgType: 'image', MsgId: 1 },
    { ...base, MsgType: 'event' },
    { ToUserName: 'gh', CreateTime: 1, MsgType: 'text', MsgId: 1, Content: 'x' },
    { ...base, FromUserName: '', MsgType: 'text', MsgId: 1, Content: 'x' },
    { ...base, CreateTime: 'yesterday', MsgType: 'text', MsgId: 1, Content: 'x' },
    { ...base, MsgType: { nested: true }, MsgId: 1 }
  ]
  for (const fields of bad) t.throws(() => parseMessage(fields), { code: 'BAD_MESSAGE' }, JSON.stringify(fields))
})
