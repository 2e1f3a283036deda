import createError from '@fastify/error'

export const NoSuchConversation = createError('KEFU_CONSOLE_NOT_FOUND', 'no such conversation among your mini programs', 404)
export const NoSuchApp = createError('KEFU_CONSOLE_NOT_FOUND', 'no such mini program among yours', 404)
export const WindowClosed = createError('KEFU_CONSOLE_REPLY_WINDOW_CLOSED', '%s', 409)
export const TooManyReplies = createError('KEFU_CONSOLE_RATE_LIMITED', 'too many replies; try again in %d s', 429)
export const WechatUnavailable = createError('KEFU_CONSOLE_WECHAT_UNAVAILABLE', "WeChat's API could not be reached: %s", 502)
export const BadUpload = createError('KEFU_CONSOLE_BAD_UPLOAD', '%s', 400)
export const NoSecret = createError('KEFU_CONSOLE_NO_SECRET', 'mini program %s has no secret configured: replies need its AppSecret in WECHAT_APPS', 409)
export const NoSuchMedia = createError('KEFU_CONSOLE_NO_MEDIA', 'WeChat has no such media: %s', 404)
