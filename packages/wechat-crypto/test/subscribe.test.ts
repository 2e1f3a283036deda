import t from 'tap'
import { buildPush, messageFields, parseMessage, parsePushBody, PushCrypto, type CustomerMessage, type PushFormat } from '../src/index.js'

const KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'
const APPID = 'wx0123456789abcdef'

function roundTrip (fields: ReturnType<typeof messageFields>, format: PushFormat): CustomerMessage {
  const push = buildPush({ appid: APPID, token: 'tok', encodingAESKey: KEY, mode: 'safe', format, fields })
  const outer = parsePushBody(push.body, format)
  const crypto = new PushCrypto({ appid: APPID, token: 'tok', encodingAESKey: KEY })
  const inner = crypto.decryptPush(push.query.timestamp!, push.query.nonce!, outer.Encrypt as string, push.query.msg_signature!).message
  return parseMessage(parsePushBody(inner))
}

t.test("WeChat's own examples parse into typed events", async (t) => {
  // https://developers.weixin.qq.com/miniprogram/dev/framework/open-ability/subscribe-message.html
  const popupXml = `<xml>
    <ToUserName><![CDATA[gh_123456789abc]]></ToUserName>
    <FromUserName><![CDATA[otFpruAK8D-E6EfStSYonYSBZ8_4]]></FromUserName>
    <CreateTime>1610969440</CreateTime>
    <MsgType><![CDATA[event]]></MsgType>
    <Event><![CDATA[subscribe_msg_popup_event]]></Event>
    <SubscribeMsgPopupEvent>
        <List>
            <TemplateId><![CDATA[VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc]]></TemplateId>
            <SubscribeStatusString><![CDATA[accept]]></SubscribeStatusString>
            <PopupScene>2</PopupScene>
        </List>
        <List>
            <TemplateId><![CDATA[9nLIlbOQZC5Y89AZteFEux3WCXRRRG5Wfzkpssu4bLI]]></TemplateId>
            <SubscribeStatusString><![CDATA[reject]]></SubscribeStatusString>
            <PopupScene>2</PopupScene>
        </List>
    </SubscribeMsgPopupEvent>
</xml>`
  t.match(parseMessage(parsePushBody(popupXml)), {
    kind: 'subscribe_msg_popup_event',
    event: 'subscribe_msg_popup_event',
    fromUserName: 'otFpruAK8D-E6EfStSYonYSBZ8_4',
    createTime: '1610969440',
    decisions: [
      { templateId: 'VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc', status: 'accept', popupScene: '2' },
      { templateId: '9nLIlbOQZC5Y89AZteFEux3WCXRRRG5Wfzkpssu4bLI', status: 'reject', popupScene: '2' }
    ]
  })

  // What WeChat actually sends for one template (reported on its developer forum): List is a bare object and
  // CreateTime a number.
  const single = '{"CreateTime":1688953684,"Event":"subscribe_msg_popup_event","FromUserName":"o8dH44seYM3qeBzHlrmwI0sAtSfI",' +
    '"List":{"PopupScene":"0","SubscribeStatusString":"accept","TemplateId":"BDcgTGpwt7fcRVFhGh-NvjcASaWWmkwzN3y_6mXzJR4"},"MsgType":"event","ToUserName":"gh_xxxxxxxxxx"}'
  const one = parseMessage(parsePushBody(single))
  t.match(one, { kind: 'subscribe_msg_popup_event', createTime: '1688953684', decisions: [{ templateId: 'BDcgTGpwt7fcRVFhGh-NvjcASaWWmkwzN3y_6mXzJR4', status: 'accept', popupScene: '0' }] })
  t.equal((one as { decisions: unknown[] }).decisions.length, 1)

  const change = '{"ToUserName":"gh_bdfaa9af5a04","FromUserName":"oGeAO45Tq8ZWNtI10PsK9kpBvFDU","CreateTime":1696991702,"MsgType":"event",' +
    '"Event":"subscribe_msg_change_event","List":{"SubscribeStatusString":"reject","TemplateId":"UA2FxrBpGqwOwb1I9eymbw-ZGyKtSQFhgAC44Z5AraY"}}'
  t.match(parseMessage(parsePushBody(change)), { kind: 'subscribe_msg_change_event', decisions: [{ templateId: 'UA2FxrBpGqwOwb1I9eymbw-ZGyKtSQFhgAC44Z5AraY', status: 'reject', popupScene: null }] })

  const sentXml = '<xml><ToUserName><![CDATA[gh_123456789abc]]></ToUserName><FromUserName><![CDATA[o7esq5PHRGBQYmeNyfG064wEFVpQ]]></FromUserName>' +
    '<CreateTime>1620963428</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe_msg_sent_event]]></Event>' +
    '<SubscribeMsgSentEvent><List><TemplateId><![CDATA[BEwX0BOT3MqK3Uc5oTU3CGBqzjpndk2jzUf7VfExd8]]></TemplateId><MsgID>1864323726461255680</MsgID>' +
    '<ErrorCode>0</ErrorCode><ErrorStatus><![CDATA[success]]></ErrorStatus></List></SubscribeMsgSentEvent></xml>'
  t.match(parseMessage(parsePushBody(sentXml)), {
    kind: 'subscribe_msg_sent_event',
    deliveries: [{ templateId: 'BEwX0BOT3MqK3Uc5oTU3CGBqzjpndk2jzUf7VfExd8', msgId: '1864323726461255680', errorCode: 0, errorStatus: 'success' }]
  })
  const sentJson = '{"ToUserName":"gh_1","FromUserName":"o7esq5PHRGBQYmeNyfG064wEFVpQ","CreateTime":"1620963428","MsgType":"event",' +
    '"Event":"subscribe_msg_sent_event","List":{"TemplateId":"BEwX0BOT3MqK3Uc5oTU3CGBqzjpndk2jzUf7VfExd8","MsgID":1864323726461255681,"ErrorCode":20001,"ErrorStatus":"failed:user block"}}'
  t.match(parseMessage(parsePushBody(sentJson)), {
    kind: 'subscribe_msg_sent_event',
    deliveries: [{ msgId: '1864323726461255681', errorCode: 20001, errorStatus: 'failed:user block' }]
  }, 'a bare 64-bit MsgID stays exact')
})

t.test('the simulator writes every event in both formats and both JSON list shapes, and they parse back', async (t) => {
  const two = [{ templateId: 'tpl-order-status-000000000001', status: 'accept' as const, popupScene: 0 }, { templateId: 'tpl-delivery-0000000000000002', status: 'reject' as const }]
  for (const format of ['json', 'xml'] as const) {
    for (const shape of ['object', 'array'] as const) {
      const label = `${format}${format === 'json' ? `, one item as ${shape}` : ''}`
      const popupOne = messageFields({ type: 'subscribe_msg_popup_event', format, jsonList: shape, items: [two[0]!] })
      if (format === 'json') t.equal(Array.isArray(popupOne.List), shape === 'array', `${label}: List shape`)
      t.match(roundTrip(popupOne, format), { kind: 'subscribe_msg_popup_event', decisions: [{ templateId: two[0]!.templateId, status: 'accept', popupScene: '0' }] }, `popup, ${label}`)

      const change = roundTrip(messageFields({ type: 'subscribe_msg_change_event', format, jsonList: shape, items: [{ templateId: 'tpl-order-status-000000000001' }] }), format)
      t.match(change, { kind: 'subscribe_msg_change_event', decisions: [{ templateId: 'tpl-order-status-000000000001', status: 'reject', popupScene: null }] }, `change, ${label}`)

      const sent = roundTrip(messageFields({ type: 'subscribe_msg_sent_event', format, jsonList: shape, items: [{ templateId: 'tpl-order-status-000000000001', msgId: 3248682510344192008n, errorCode: 20001 }] }), format)
      t.match(sent, { kind: 'subscribe_msg_sent_event', deliveries: [{ msgId: '3248682510344192008', errorCode: 20001, errorStatus: 'failed:user block' }] }, `sent, ${label}`)
    }
    const many = roundTrip(messageFields({ type: 'subscribe_msg_popup_event', format, items: two }), format) as { decisions: unknown[] }
    t.same(many.decisions, [
      { templateId: two[0]!.templateId, status: 'accept', popupScene: '0' },
      { templateId: two[1]!.templateId, status: 'reject', popupScene: '0' }
    ], `popup with two templates, ${format}`)
  }
  t.match(buildPush({ appid: APPID, token: 'tok', mode: 'plain', format: 'xml', fields: messageFields({ type: 'subscribe_msg_sent_event', format: 'xml', items: [{ templateId: 't', msgId: 5n }] }) }).body,
    /<SubscribeMsgSentEvent><List><TemplateId><!\[CDATA\[t\]\]><\/TemplateId><MsgID>5<\/MsgID><ErrorCode>0<\/ErrorCode><ErrorStatus><!\[CDATA\[success\]\]><\/ErrorStatus><\/List><\/SubscribeMsgSentEvent>/)
})

t.test('malformed subscribe events are refused with what is wrong', async (t) => {
  const base = { ToUserName: 'gh_1', FromUserName: 'o_user', CreateTime: 1714112445, MsgType: 'event' }
  const popup = { ...base, Event: 'subscribe_msg_popup_event' }
  const sent = { ...base, Event: 'subscribe_msg_sent_event' }
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [popup, /has no List/],
    [{ ...popup, List: [] }, /List is empty/],
    [{ ...popup, List: 'accept' }, /List\[0\] is not an object/],
    [{ ...popup, List: [{ SubscribeStatusString: 'accept' }] }, /List\[0\]\.TemplateId is missing/],
    [{ ...popup, List: [{ TemplateId: 'a b', SubscribeStatusString: 'accept' }] }, /TemplateId is not a template id/],
    [{ ...popup, List: [{ TemplateId: 't', SubscribeStatusString: 'accept' }, { TemplateId: 't2', SubscribeStatusString: 'ban' }] }, /List\[1\]\.SubscribeStatusString must be accept or reject, got "ban"/],
    [{ ...popup, List: { TemplateId: 't', SubscribeStatusString: 'accept', PopupScene: 'x' } }, /PopupScene must be a decimal integer/],
    [{ ...popup, SubscribeMsgPopupEvent: { List: '' } }, /List\[0\] is not an object/],
    [{ ...popup, List: Array.from({ length: 101 }, () => ({ TemplateId: 't', SubscribeStatusString: 'accept' })) }, /101 items/],
    [{ ...sent, List: { TemplateId: 't', ErrorCode: 0, ErrorStatus: 'success' } }, /MsgID must be a decimal integer/],
    [{ ...sent, List: { TemplateId: 't', MsgID: '12', ErrorCode: 'ok' } }, /ErrorCode must be an integer/],
    [{ ...sent, List: { TemplateId: 't', MsgID: '12', ErrorCode: 0, ErrorStatus: { x: 1 } } }, /ErrorStatus must be a string/]
  ]
  for (const [fields, message] of cases) t.throws(() => parseMessage(fields), { code: 'BAD_MESSAGE', message }, JSON.stringify(fields).slice(0, 120))
})
