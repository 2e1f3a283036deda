// pnpm wechat:push — WeChat's push debugging tool, locally: signs (and encrypts) a customer-service message exactly as
// WeChat does, posts it to ingest, and prints what came back.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { findRepoRoot } from '@kefu/db'
import { buildPush, messageFields, type PushMode, type SimulatedSubscribeItem, type SimulatedType } from '@kefu/wechat-crypto'
import { readLauncherAddresses, readWechatApps, type WechatAppConfig } from '@kefu/service'

const USAGE = `usage: pnpm wechat:push [--appid wx…] [--type text|image|miniprogrampage|enter|event|popup|change|sent] [--content …]
                      [--mode safe|compat|plain] [--format json|xml] [--from <openid>] [--event <name>]
                      [--url <ingest's URL>] [--count N]
       subscribe events: --type popup (the customer accepted or rejected templates), change (turned one off in the
                      settings), sent (a delivery result); --template <id>[:accept|:reject] (repeat it; default the
                      app's first subscribeTemplates entry), --error-code N (sent; 0 delivered), --msg-id N (sent),
                      --list object|array (JSON with one template: a bare object as WeChat sends it, or an array)
Mini programs come from WECHAT_APPS / WECHAT_APPS_FILE, else config/demo-wechat-apps.json (the demo of pnpm start).
The push goes to --url, else INGEST_URL, else the ingest of pnpm start on BASE_PORT and HOST (http://127.0.0.1:3000).`

const TYPES: Record<string, SimulatedType> = {
  text: 'text', image: 'image', miniprogrampage: 'miniprogrampage', card: 'miniprogrampage',
  enter: 'user_enter_tempsession', user_enter_tempsession: 'user_enter_tempsession', event: 'event',
  popup: 'subscribe_msg_popup_event', subscribe_msg_popup_event: 'subscribe_msg_popup_event',
  change: 'subscribe_msg_change_event', subscribe_msg_change_event: 'subscribe_msg_change_event',
  sent: 'subscribe_msg_sent_event', subscribe_msg_sent_event: 'subscribe_msg_sent_event'
}

/** The List of a subscribe event from --template, --error-code and --msg-id. */
function subscribeItems (app: WechatAppConfig, values: { template?: string[], 'error-code'?: string, 'msg-id'?: string }): SimulatedSubscribeItem[] {
  const specs = values.template ?? []
  if (specs.length === 0) {
    const first = app.subscribeTemplates?.[0]?.templateId
    if (first === undefined) fail(`--template is required: ${app.appid} has no subscribeTemplates`)
    specs.push(first)
  }
  const errorCode = values['error-code'] === undefined ? undefined : Number(values['error-code'])
  if (errorCode !== undefined && !Number.isSafeInteger(errorCode)) fail('--error-code must be an integer')
  if (values['msg-id'] !== undefined && !/^\d{1,20}$/.test(values['msg-id'])) fail('--msg-id must be a decimal integer')
  return specs.map((spec) => {
    const [templateId = '', status, extra] = spec.split(':')
    if (templateId === '' || extra !== undefined || (status !== undefined && status !== 'accept' && status !== 'reject')) fail(`--template ${spec}: give a template id, optionally followed by :accept or :reject`)
    return { templateId, status, errorCode, msgId: values['msg-id'] === undefined ? undefined : BigInt(values['msg-id']) }
  })
}

function fail (message: string): never {
  process.stderr.write(`wechat:push: ${message}\n`)
  process.exit(2)
}

function loadApps (): WechatAppConfig[] {
  if (process.env.WECHAT_APPS !== undefined || process.env.WECHAT_APPS_FILE !== undefined) return readWechatApps(process.env)
  const demo = path.join(findRepoRoot(), 'config', 'demo-wechat-apps.json')
  return readWechatApps({ WECHAT_APPS: readFileSync(demo, 'utf8') })
}

/** Where pnpm start's ingest listens, as pnpm start reads BASE_PORT and HOST. */
function defaultUrl (): string {
  if (process.env.INGEST_URL !== undefined && process.env.INGEST_URL !== '') return process.env.INGEST_URL
  try {
    const launcher = readLauncherAddresses(process.env)
    return launcher.url(launcher.ports.ingest)
  } catch (err) {
    fail((err as Error).message)
  }
}

async function main (): Promise<void> {
  let values
  try {
    ({ values } = parseArgs({
      options: {
        appid: { type: 'string' },
        type: { type: 'string', default: 'text' },
        content: { type: 'string' },
        mode: { type: 'string' },
        format: { type: 'string', default: 'json' },
        from: { type: 'string' },
        event: { type: 'string' },
        url: { type: 'string' },
        count: { type: 'string', default: '1' },
        template: { type: 'string', multiple: true },
        'error-code': { type: 'string' },
        'msg-id': { type: 'string' },
        list: { type: 'string' },
        help: { type: 'boolean', short: 'h' }
      }
    }))
  } catch (err) {
    fail(`${(err as Error).message}\n${USAGE}`)
  }
  if (values.help === true) {
    process.stdout.write(USAGE + '\n')
    return
  }
  const ingestUrl = values.url ?? defaultUrl()
  const apps = loadApps()
  const app = values.appid === undefined ? apps[0]! : apps.find((a) => a.appid === values.appid)
  if (app === undefined) fail(`no mini program ${values.appid} in the configuration (have: ${apps.map((a) => a.appid).join(', ')})`)
  const type = TYPES[values.type!]
  if (type === undefined) fail(`--type must be one of ${Object.keys(TYPES).join(', ')}`)
  const mode = (values.mode ?? (app.encodingAESKey !== undefined ? 'safe' : 'plain')) as PushMode
  if (!['safe', 'compat', 'plain'].includes(mode)) fail('--mode must be safe, compat or plain')
  const format = values.format as 'json' | 'xml'
  if (format !== 'json' && format !== 'xml') fail('--format must be json or xml')
  const count = Number(values.count)
  if (!Number.isInteger(count) || count < 1 || count > 10000) fail('--count must be between 1 and 10000')
  if (values.list !== undefined && values.list !== 'object' && values.list !== 'array') fail('--list must be object or array')
  const subscribe = type.startsWith('subscribe_msg_')
  const items = subscribe ? subscribeItems(app, values) : undefined

  let failures = 0
  for (let i = 0; i < count; i++) {
    const fields = messageFields({
      type,
      content: values.content === undefined ? undefined : (count > 1 ? `${values.content} #${i + 1}` : values.content),
      fromUserName: values.from,
      event: values.event,
      items,
      format,
      jsonList: values.list as 'object' | 'array' | undefined
    })
    let push
    try {
      push = buildPush({ appid: app.appid, token: app.token, encodingAESKey: app.encodingAESKey, mode, format, fields })
    } catch (err) {
      fail((err as Error).message)
    }
    const url = `${ingestUrl.replace(/\/+$/, '')}/wechat/${app.appid}?${new URLSearchParams(push.query).toString()}`
    const started = performance.now()
    let status: number
    let body: string
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': push.contentType }, body: push.body, signal: AbortSignal.timeout(10_000) })
      status = res.status
      body = await res.text()
    } catch (err) {
      fail(`cannot reach ${ingestUrl}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message} (is pnpm start running?)`)
    }
    const ms = (performance.now() - started).toFixed(1)
    if (i === 0 || count === 1) {
      process.stdout.write(`POST ${url.replace(/(signature|msg_signature)=[0-9a-f]{40}/g, '$1=…')}\n`)
      process.stdout.write(`${mode} mode, ${format}, ${String(fields.MsgType)}${fields.Event !== undefined ? `/${String(fields.Event)}` : ''} from ${String(fields.FromUserName)}${fields.MsgId !== undefined ? `, MsgId ${String(fields.MsgId)}` : ''}${items !== undefined ? `, ${items.map((i) => i.templateId + (i.status !== undefined ? `:${i.status}` : '')).join(', ')}` : ''}\n`)
    }
    process.stdout.write(`→ ${status} ${body.slice(0, 300)} (${ms} ms)\n`)
    if (status !== 200 || body !== 'success') failures++
  }
  if (failures > 0) process.exit(1)
}

main().catch((err: Error) => fail(err.message))
