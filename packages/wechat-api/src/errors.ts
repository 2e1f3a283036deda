export type WechatApiErrorCode =
  /** WeChat answered with a non-zero `errcode`. */
  | 'KEFU_WECHAT_API_ERRCODE'
  /** WeChat did not answer within `timeoutMs`: the call may or may not have taken effect. */
  | 'KEFU_WECHAT_API_TIMEOUT'
  /** WeChat could not be reached (DNS, refused connection, reset). */
  | 'KEFU_WECHAT_API_NETWORK'
  /** WeChat answered, but not with what the API documents (HTTP error, not JSON, missing fields). */
  | 'KEFU_WECHAT_API_BAD_RESPONSE'
  /** A media download over `maxMediaBytes`: refused on its Content-Length, or stopped once that many bytes came. */
  | 'KEFU_WECHAT_API_MEDIA_TOO_LARGE'
  /** The appid is not one of the configured mini programs. */
  | 'KEFU_WECHAT_API_UNKNOWN_APP'
  /** No access token could be had: the token store is unreachable, or another process held the refresh too long. */
  | 'KEFU_WECHAT_API_TOKEN_UNAVAILABLE'
  /** Bad options, found at construction. */
  | 'KEFU_WECHAT_API_BAD_CONFIG'

export type ExplainLang = 'zh' | 'en'

const STATUS: Record<WechatApiErrorCode, number> = {
  KEFU_WECHAT_API_ERRCODE: 502,
  KEFU_WECHAT_API_TIMEOUT: 504,
  KEFU_WECHAT_API_NETWORK: 502,
  KEFU_WECHAT_API_BAD_RESPONSE: 502,
  KEFU_WECHAT_API_MEDIA_TOO_LARGE: 502,
  KEFU_WECHAT_API_UNKNOWN_APP: 404,
  KEFU_WECHAT_API_TOKEN_UNAVAILABLE: 503,
  KEFU_WECHAT_API_BAD_CONFIG: 500
}

export interface WechatApiErrorDetails {
  /** The mini program the call was for ('' when none). */
  appid?: string
  /** The API path, e.g. `cgi-bin/message/custom/send`. */
  api?: string
  errcode?: number | null
  errmsg?: string | null
}

/**
 * Every failure of this package. It never carries the access token: not in `message`, not in a property,
 * not in `cause`. `errcode`/`errmsg` are WeChat's when WeChat answered with one (`null` otherwise), and
 * `explain('zh' | 'en')` is the line to show a person.
 */
export class WechatApiError extends Error {
  readonly code: WechatApiErrorCode
  /** What a Fastify error handler should answer with when this escapes a route. */
  readonly statusCode: number
  readonly appid: string
  readonly api: string
  readonly errcode: number | null
  readonly errmsg: string | null

  constructor (code: WechatApiErrorCode, message: string, details: WechatApiErrorDetails = {}) {
    super(message)
    this.name = 'WechatApiError'
    this.code = code
    this.statusCode = STATUS[code]
    this.appid = details.appid ?? ''
    this.api = details.api ?? ''
    this.errcode = details.errcode ?? null
    this.errmsg = details.errmsg ?? null
  }

  /** A human explanation of this failure, in Chinese or English. */
  explain (lang: ExplainLang = 'en'): string {
    if (this.code === 'KEFU_WECHAT_API_ERRCODE' && this.errcode !== null) return explainErrcode(this.errcode, lang)
    const [zh, en] = TRANSPORT[this.code]
    return lang === 'zh' ? zh : en
  }
}

const TRANSPORT: Record<WechatApiErrorCode, readonly [string, string]> = {
  KEFU_WECHAT_API_ERRCODE: ['微信接口返回错误。', 'WeChat answered with an error.'],
  KEFU_WECHAT_API_TIMEOUT: [
    '微信接口未在规定时间内响应，消息可能已送达也可能未送达，请确认后再重试。',
    'WeChat did not answer in time: the message may or may not have been delivered; check before sending it again.'
  ],
  KEFU_WECHAT_API_NETWORK: [
    '无法连接微信接口（网络错误），消息未发送，请稍后重试。',
    'Could not reach WeChat (network error): nothing was sent; try again shortly.'
  ],
  KEFU_WECHAT_API_BAD_RESPONSE: [
    '微信接口返回了无法识别的内容，请稍后重试。',
    'WeChat answered with something unexpected; try again shortly.'
  ],
  KEFU_WECHAT_API_MEDIA_TOO_LARGE: [
    '素材文件超过允许的大小，未下载。',
    'The media file is larger than allowed, so it was not downloaded.'
  ],
  KEFU_WECHAT_API_UNKNOWN_APP: [
    '未配置该小程序（appid），无法调用微信接口。',
    'This mini program (appid) is not configured, so WeChat cannot be called for it.'
  ],
  KEFU_WECHAT_API_TOKEN_UNAVAILABLE: [
    '暂时无法获取接口调用凭据（access_token），请稍后重试。',
    'No access token is available right now (token store or refresh busy); try again shortly.'
  ],
  KEFU_WECHAT_API_BAD_CONFIG: ['微信接口客户端配置错误。', 'The WeChat API client is misconfigured.']
}

/**
 * WeChat's codes that customer service meets, with what a person should do about them. Sources: the global return
 * codes (https://developers.weixin.qq.com/doc/oplatform/Return_codes/Return_code_descriptions_new.html) and the
 * customer-service pages (https://developers.weixin.qq.com/miniprogram/dev/framework/open-ability/customer-message/customer-message.html).
 */
const ERRCODES: ReadonlyMap<number, readonly [string, string]> = new Map<number, readonly [string, string]>([
  [-1, ['微信系统繁忙，请稍后再试。', 'WeChat is busy (system error); try again in a moment.']],
  [40001, [
    'access_token 无效或不是最新的（已被刷新），或 AppSecret 错误。系统已自动刷新并重试一次；若仍失败，请检查小程序的 AppSecret。',
    'The access token is invalid or no longer the latest (it was refreshed), or the AppSecret is wrong. kefu refreshed it and retried once; if this persists, check the mini program\'s AppSecret.'
  ]],
  [40003, [
    'OpenID 不合法：该用户不属于这个小程序，或 OpenID 有误。',
    'Invalid openid: the user does not belong to this mini program, or the openid is wrong.'
  ]],
  [40004, ['媒体文件类型不合法：客服消息的临时素材只支持图片。', 'Invalid media type: customer-service temporary media must be an image.']],
  [40007, [
    'media_id 不合法：素材不存在、已过期（临时素材 3 天有效）或属于其他小程序。',
    'Invalid media id: the media does not exist, has expired (temporary media lives 3 days) or belongs to another mini program.'
  ]],
  [40008, ['消息类型不合法。', 'Invalid message type.']],
  [40009, ['图片文件大小不合法（过大或为空）。', 'Invalid image size (too large or empty).']],
  [40013, ['AppID 不合法，请检查小程序配置。', 'Invalid AppID: check the mini program\'s configuration.']],
  [40014, [
    'access_token 不合法。系统已自动刷新并重试一次；若仍失败，请检查小程序配置。',
    'The access token is not valid. kefu refreshed it and retried once; if this persists, check the mini program\'s configuration.'
  ]],
  [40035, ['请求参数不合法。', 'Invalid request parameters.']],
  [40037, [
    '订阅消息模板 ID 不正确：请确认 WECHAT_APPS 中的 templateId 与小程序后台“订阅消息 → 我的模板”一致。',
    'Invalid subscribe-message template id: check that templateId in WECHAT_APPS matches the mini program\'s admin console (Subscribe messages → My templates).'
  ]],
  [40125, ['AppSecret 不正确，请检查小程序的 AppSecret 配置。', 'Wrong AppSecret: check the mini program\'s AppSecret.']],
  [40164, [
    '调用接口的 IP 不在小程序的 IP 白名单中，请在微信公众平台添加服务器 IP。',
    'The server\'s IP address is not on the mini program\'s IP whitelist: add it in the WeChat admin console.'
  ]],
  [41001, ['缺少 access_token 参数。', 'The access token is missing from the request.']],
  [41030, [
    '跳转页面不正确：页面须存在于已发布的小程序中，并与 app.json 一致。',
    'Invalid page: it must exist in the published mini program, exactly as app.json lists it.'
  ]],
  [42001, [
    'access_token 已过期。系统已自动刷新并重试一次；若仍失败，请检查服务器时间。',
    'The access token expired. kefu refreshed it and retried once; if this persists, check the server clock.'
  ]],
  [43004, [
    '需要接收者关注：用户已拒收消息或当前无法向该用户发送。',
    'The recipient must follow/accept messages: the user has refused messages or cannot be reached now.'
  ]],
  [43101, [
    '用户未订阅该模板：用户拒绝了、关闭了订阅，或同意的次数已用完。需用户在小程序中再次同意订阅后才能发送。',
    'The customer has no subscription to this template: they refused or turned it off, or their accepted sends are used up. They must accept it again in the mini program.'
  ]],
  [44002, ['POST 的数据包为空。', 'The request body was empty.']],
  [45009, ['接口调用超过每日上限，请明天再试。', 'The daily API quota is used up; try again tomorrow.']],
  [45011, ['接口调用太频繁（频率限制），请稍候再试。', 'The API is called too often (rate limit); wait a moment and try again.']],
  [45015, [
    '回复时间超过限制：用户最后一次发消息已超过 48 小时，需等用户再次发消息后才能回复。',
    'The reply window has closed: the user last wrote more than 48 hours ago. You can answer again after the user sends a new message.'
  ]],
  [45047, [
    '客服消息下行条数超过上限：用户发消息后最多可回复 5 条（进入会话 1 分钟内最多 2 条），需等用户再次发消息。',
    'Too many messages: after a user writes, only 5 replies are allowed (2 within a minute of entering the chat) until the user writes again.'
  ]],
  [45072, ['command 字段取值不对（应为 Typing 或 CancelTyping）。', 'Invalid typing command (must be Typing or CancelTyping).']],
  [45080, [
    '下发输入状态需要之前 30 秒内跟用户有过消息交互。',
    'The typing state can only be shown within 30 seconds of a message exchanged with the user.'
  ]],
  [45081, ['已经在输入状态，不可重复下发。', 'The typing state is already shown; it cannot be sent again yet.']],
  [47001, ['数据格式错误（JSON 解析失败）。', 'Malformed data (the JSON could not be parsed).']],
  [47003, [
    '模板参数不正确：某个字段为空或不符合其类型的规则（如 thing 最多 20 个字符、phrase 最多 5 个汉字），微信的错误信息会指出是哪个字段。',
    'Invalid template data: a field is empty or breaks its kind\'s rule (thing at most 20 characters, phrase at most 5 Chinese characters…); WeChat\'s message names the field.'
  ]],
  [48001, [
    '接口功能未授权：该小程序没有客服消息接口的权限，请确认小程序已开通并认证。',
    'API not authorized: this mini program has no permission for the customer-service API; check that it is enabled and verified.'
  ]]
])

/** A human explanation of a WeChat `errcode`, in Chinese or English. Unknown codes get a generic line with the code. */
export function explainErrcode (code: number, lang: ExplainLang = 'en'): string {
  const known = ERRCODES.get(code)
  if (known !== undefined) return lang === 'zh' ? known[0] : known[1]
  return lang === 'zh'
    ? `微信接口返回错误码 ${code}，请参考微信全局返回码说明。`
    : `WeChat answered with error code ${code}; see WeChat's return code reference.`
}

/** The codes `explainErrcode` knows (for tests and documentation). */
export function explainedErrcodes (): number[] {
  return [...ERRCODES.keys()]
}
