import t from 'tap'
import { ConfigError, parseWechatApps, subscribeFieldKind, subscribeFieldRule, subscribeValueProblem, type SubscribeFieldKind } from '../src/index.js'

t.test('field keys name their kind as WeChat does', async (t) => {
  t.equal(subscribeFieldKind('thing1'), 'thing')
  t.equal(subscribeFieldKind('character_string12'), 'character_string')
  t.equal(subscribeFieldKind('phone_number3'), 'phone_number')
  t.equal(subscribeFieldKind('car_number20'), 'car_number')
  t.equal(subscribeFieldKind('enum4'), 'enum')
  for (const key of ['thing', '1thing', 'thing1.DATA', 'Thing1', 'things1', 'short_thing1', 'character_string', '']) t.equal(subscribeFieldKind(key), undefined, key)
})

t.test('values are checked per kind against WeChat’s rules', async (t) => {
  const accepted: Array<[SubscribeFieldKind, string]> = [
    ['thing', '您的订单已发货'], ['thing', 'x'.repeat(20)], ['thing', '店铺地址阿巴阿巴阿巴'], ['thing', 'Order #12, 2 items'],
    ['number', '339208499'], ['number', '12.50'], ['number', '9'.repeat(32)],
    ['letter', 'ABCdef'], ['symbol', '★'], ['symbol', '!?%-+'],
    ['character_string', 'SN-2024_001'], ['character_string', '27'],
    ['time', '15:01'], ['time', '2019年10月1日 15:01'], ['time', '2023-08-21 22:48:54'], ['time', '09:00~18:00'], ['time', '2019年10月1日 15:01 ~ 2019年10月1日 16:01'],
    ['date', '2019年10月1日'], ['date', '2015年01月05日'], ['date', '2019年10月1日 15:01'], ['date', '2024-02-29'], ['date', '2024/3/1~2024/3/5'],
    ['amount', '¥100'], ['amount', '￥12.50'], ['amount', '100元'], ['amount', '$9999999999.99'], ['amount', '8'],
    ['phone_number', '+86-0766-66888866'], ['phone_number', '13800138000'], ['phone_number', '(020)12345678'],
    ['car_number', '粤A8Z888挂'], ['car_number', '京A12345'], ['car_number', 'AB12345'],
    ['name', '张三'], ['name', '欧阳娜娜'], ['name', '迪丽热巴·迪力木拉提'.slice(0, 10)], ['name', 'John Smith'], ['name', 'Zhang San'], ['name', '张Lee'],
    ['phrase', '配送中'], ['phrase', '正常结束'], ['phrase', '已支付']
  ]
  for (const [kind, value] of accepted) t.equal(subscribeValueProblem(kind, value), null, `${kind} ${value}`)

  const refused: Array<[SubscribeFieldKind, string, RegExp]> = [
    ['thing', '', /empty/], ['thing', '   ', /empty/], ['thing', 'x'.repeat(21), /at most 20 characters/], ['thing', 'two\nlines', /line breaks/],
    ['thing', '这是一个超过二十个汉字的事物描述内容测试用例', /at most 20/],
    ['number', '12a', /digits only/], ['number', '-3', /digits only/], ['number', '1.2.3', /digits only/], ['number', '9'.repeat(33), /at most 32/],
    ['letter', 'abc1', /letters only/], ['letter', '中文', /letters only/],
    ['symbol', 'a', /symbols only/], ['symbol', '!!!!!!', /at most 5/],
    ['character_string', 'has space', /no spaces/], ['character_string', '中文', /digits, letters or symbols/], ['character_string', 'x'.repeat(33), /at most 32/],
    ['time', '25:00', /24-hour/], ['time', '2019年10月1日', /24-hour/], ['time', 'noon', /24-hour/], ['time', '15:01~16:01~17:01', /24-hour/],
    ['date', '15:01', /a date/], ['date', '2019年13月1日', /a date/], ['date', '2019-10-32', /a date/], ['date', 'tomorrow', /a date/],
    ['amount', '¥12345678901', /currency/], ['amount', '12.345', /currency/], ['amount', '¥¥1', /currency/], ['amount', 'ten', /currency/],
    ['phone_number', '+86 0766 66888866', /17 digits/], ['phone_number', '1'.repeat(18), /17 digits/], ['phone_number', 'call-me', /17 digits/],
    ['car_number', '粤A8Z888挂1', /up to 8/], ['car_number', 'A粤123', /Chinese only first and last/], ['car_number', 'AB-123', /letters or digits/],
    ['name', '张三三三三三三三三三三', /up to 10 Chinese/], ['name', 'Agent 007', /no digits/], ['name', 'x'.repeat(21), /up to 20 letters/],
    ['phrase', '123', /Chinese characters only/], ['phrase', '配送中ok', /Chinese characters only/], ['phrase', '正在配送途中哦', /at most 5/], ['phrase', 'ddd', /Chinese/]
  ]
  for (const [kind, value, problem] of refused) {
    const found = subscribeValueProblem(kind, value)
    t.match(found?.en, problem, `${kind} ${JSON.stringify(value)}`)
    t.ok(found !== null && found.zh !== '' && !found.zh.includes('\n'), 'explained in Chinese too')
  }
  t.same(subscribeFieldRule('phrase'), subscribeValueProblem('phrase', 'abc'), 'the rule a form shows is the one a refusal names')
  t.equal(subscribeValueProblem('enum', '已发货', ['待发货', '已发货']), null)
  t.match(subscribeValueProblem('enum', '丢了', ['待发货', '已发货'])?.en, /must be one of: 待发货, 已发货/)
})

const APP = { appid: 'wx0123456789abcdef', token: 'yourToken1', secret: 'an-app-secret' }
const ORDER = {
  templateId: 'VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc',
  title: '订单状态提醒',
  fields: ['character_string1', { key: 'thing2', label: '商品名称' }, { key: 'phrase3', label: '订单状态' }, { key: 'enum4', values: ['A', 'B'] }],
  page: 'pages/order/detail'
}

t.test('subscribeTemplates in WECHAT_APPS: kinds from the keys, strict fields', async (t) => {
  const [app] = parseWechatApps([{ ...APP, subscribeTemplates: [ORDER, { templateId: 'long-term-1', title: '政务通知', fields: ['thing1'], longTerm: true, miniprogramState: 'trial', lang: 'en_US' }] }], 'WECHAT_APPS')
  t.same(app!.subscribeTemplates, [
    {
      templateId: ORDER.templateId,
      title: '订单状态提醒',
      fields: [
        { key: 'character_string1', kind: 'character_string', label: 'character_string1' },
        { key: 'thing2', kind: 'thing', label: '商品名称' },
        { key: 'phrase3', kind: 'phrase', label: '订单状态' },
        { key: 'enum4', kind: 'enum', label: 'enum4', values: ['A', 'B'] }
      ],
      longTerm: false,
      page: 'pages/order/detail'
    },
    { templateId: 'long-term-1', title: '政务通知', fields: [{ key: 'thing1', kind: 'thing', label: 'thing1' }], longTerm: true, miniprogramState: 'trial', lang: 'en_US' }
  ])
  t.equal(parseWechatApps([APP], 'WECHAT_APPS')[0]!.subscribeTemplates, undefined, 'optional')

  const bad: Array<[unknown, string]> = [
    [{}, 'WECHAT_APPS[0].subscribeTemplates must be an array of at most 50 templates'],
    [[{ ...ORDER, color: 'red' }], 'WECHAT_APPS[0].subscribeTemplates[0] has an unknown field "color"'],
    [[{ ...ORDER, templateId: 'has space' }], 'WECHAT_APPS[0].subscribeTemplates[0].templateId must be a template id (letters, digits, _ and -)'],
    [[{ ...ORDER, title: '' }], 'WECHAT_APPS[0].subscribeTemplates[0].title must be a non-empty string of at most 64 characters'],
    [[{ ...ORDER, fields: [] }], 'WECHAT_APPS[0].subscribeTemplates[0].fields must list 1 to 20 fields'],
    [[{ ...ORDER, fields: ['thing1.DATA'] }], 'WECHAT_APPS[0].subscribeTemplates[0].fields[0].key "thing1.DATA" is not a WeChat field key: a kind (thing, number, letter, symbol, character_string, time, date, amount, phone_number, car_number, name, phrase, enum) followed by a number'],
    [[{ ...ORDER, fields: ['colour1'] }], 'WECHAT_APPS[0].subscribeTemplates[0].fields[0].key "colour1" is not a WeChat field key'],
    [[{ ...ORDER, fields: ['thing1', { key: 'thing1' }] }], 'WECHAT_APPS[0].subscribeTemplates[0].fields[1] repeats key thing1'],
    [[{ ...ORDER, fields: [{ key: 'enum1' }] }], 'WECHAT_APPS[0].subscribeTemplates[0].fields[0].values must list the values of enum field enum1 (non-empty strings)'],
    [[{ ...ORDER, fields: [{ key: 'thing1', values: ['a'] }] }], 'WECHAT_APPS[0].subscribeTemplates[0].fields[0].values is only for enum fields, not thing'],
    [[{ ...ORDER, fields: [{ key: 'thing1', kind: 'thing' }] }], 'WECHAT_APPS[0].subscribeTemplates[0].fields[0] has an unknown field "kind"'],
    [[{ ...ORDER, page: 'pages/order/detail?id=1' }], 'WECHAT_APPS[0].subscribeTemplates[0].page must be a page path of the mini program without query, like "pages/order/detail"'],
    [[{ ...ORDER, longTerm: 'yes' }], 'WECHAT_APPS[0].subscribeTemplates[0].longTerm must be true or false'],
    [[{ ...ORDER, miniprogramState: 'beta' }], 'WECHAT_APPS[0].subscribeTemplates[0].miniprogramState must be one of developer, trial, formal'],
    [[{ ...ORDER, lang: 'fr_FR' }], 'WECHAT_APPS[0].subscribeTemplates[0].lang must be one of zh_CN, en_US, zh_HK, zh_TW'],
    [[ORDER, ORDER], `WECHAT_APPS[0].subscribeTemplates[1].templateId ${ORDER.templateId} is listed twice`]
  ]
  for (const [templates, message] of bad) {
    t.throws(() => parseWechatApps([{ ...APP, subscribeTemplates: templates }], 'WECHAT_APPS'), { name: 'ConfigError', message: new RegExp('^' + message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) }, message)
  }
  t.throws(() => parseWechatApps([{ ...APP, secret: 'change-me-secret', subscribeTemplates: [ORDER] }], 'WECHAT_APPS'),
    new ConfigError('WECHAT_APPS[0].secret is still the placeholder from .env.example: set a secret of your own'), 'the placeholder refusal stands')
})
