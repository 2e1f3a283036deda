// The options of a mini program (subscribe templates, transfer, profile lookup), set by an owner on the Mini
// programs page's API: checked as WECHAT_APPS checks them, live for the features that read them, the profile secret
// never sent back, a WECHAT_APPS row refused.
import t from 'tap'
import { APPS, addAgent, startConsoleSystem, signedIn } from '../../test/helper.js'

const sys = await startConsoleSystem(t, { label: 'console_mp_options', captureLogs: true })
const SHOP = 'wx0a1b2c3d4e5f6a7b'
const PROFILE_SECRET = 'profile-secret-0123456789abcdef-9876'
const TEMPLATE = { templateId: 'tplShopOrder-000000000000000000000000001', title: '订单状态提醒', fields: [{ key: 'character_string1', label: '订单号' }, { key: 'phrase2', label: '状态' }] }
await addAgent(sys, 'olivia', [], { role: 'admin', owner: true })
await addAgent(sys, 'bob', [APPS[0]!.appid], { role: 'admin' })
const olivia = await signedIn(sys, 'olivia')
const bob = await signedIn(sys, 'bob')
t.equal((await olivia.api(sys, 'POST', '/api/mini-programs', { appid: SHOP, token: 'ShopToken2468', name: '小店' })).status, 201)
const path = `/api/mini-programs/${SHOP}/options`

t.test('an owner sets the options; the features read them at once; the profile secret never comes back', async (t) => {
  const res = await olivia.api(sys, 'PUT', path, { transferCustomerService: true, profileUrl: 'https://crm.example.com/kefu/profile', profileSecret: PROFILE_SECRET, subscribeTemplates: [TEMPLATE] })
  t.equal(res.status, 200, res.text)
  t.match(res.json().miniProgram.options, { transferCustomerService: true, profileUrl: 'https://crm.example.com/kefu/profile', profileSecret: '…9876', subscribeTemplates: [{ templateId: TEMPLATE.templateId, title: TEMPLATE.title }] })
  t.notOk(res.text.includes(PROFILE_SECRET))
  const live = sys.console.app.miniPrograms.find(SHOP)!
  t.match(live, { transferCustomerService: true, profileSecret: PROFILE_SECRET, subscribeTemplates: [{ templateId: TEMPLATE.templateId }] }, 'in effect without restart')
  t.match(await sys.prisma.miniProgram.findUnique({ where: { appId: SHOP } }), { changedBy: 'olivia' })
  const row = await sys.prisma.miniProgram.findUnique({ where: { appId: SHOP } })
  t.notOk(JSON.stringify(row, (_k, v: unknown) => typeof v === 'bigint' ? String(v) : v).includes(PROFILE_SECRET), 'sealed at rest')

  // The profile secret left out is kept while the URL stays; options left out are cleared.
  const again = await olivia.api(sys, 'PUT', path, { profileUrl: 'https://crm.example.com/kefu/profile2' })
  t.equal(again.status, 200)
  t.match(sys.console.app.miniPrograms.find(SHOP), { profileUrl: 'https://crm.example.com/kefu/profile2', profileSecret: PROFILE_SECRET, subscribeTemplates: undefined, transferCustomerService: undefined })
  t.notOk(JSON.stringify(sys.logs.console).includes(PROFILE_SECRET), 'not in the log')
})

t.test('mistakes: one readable line each, 400, nothing changed', async (t) => {
  const before = await sys.prisma.miniProgram.findUnique({ where: { appId: SHOP } })
  const cases: Array<[unknown, RegExp]> = [
    [{ profileUrl: 'http://crm.example.com/profile', profileSecret: PROFILE_SECRET }, /profileUrl must be https:\/\//],
    [{ profileUrl: 'https://crm.example.com/p', profileSecret: 'short' }, /profileSecret must be at least 32 characters/],
    [{ subscribeTemplates: [{ templateId: 'x', title: 't', fields: ['nokind1'] }] }, /not a WeChat field key/],
    [{ subscribeTemplates: [TEMPLATE, TEMPLATE] }, /listed twice/]
  ]
  for (const [body, message] of cases) {
    const res = await olivia.api(sys, 'PUT', path, body)
    t.equal(res.status, 400, JSON.stringify(body))
    t.match(res.json().message, message)
    t.notMatch(res.json().message, /\n/)
  }
  t.equal((await olivia.api(sys, 'PUT', path, { color: 'red' })).status, 400, 'an unknown field')
  t.same(await sys.prisma.miniProgram.findUnique({ where: { appId: SHOP } }), before, 'nothing changed')
})

t.test('who and which: owners only, a WECHAT_APPS row is changed there, an unknown one is 404', async (t) => {
  t.equal((await bob.api(sys, 'PUT', path, { transferCustomerService: true })).status, 403, 'an administrator is not an owner')
  const configured = await olivia.api(sys, 'PUT', `/api/mini-programs/${APPS[0]!.appid}/options`, { transferCustomerService: true })
  t.equal(configured.status, 409)
  t.equal(configured.json().code, 'KEFU_CONSOLE_MANAGED_BY_CONFIGURATION')
  t.equal((await olivia.api(sys, 'PUT', '/api/mini-programs/wx9999999999999999/options', {})).status, 404)
})
