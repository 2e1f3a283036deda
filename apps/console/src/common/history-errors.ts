import createError from '@fastify/error'

export const MediaUnknown = createError('KEFU_CONSOLE_NO_MEDIA', 'no such media: %s', 404)
export const MediaGone = createError('KEFU_CONSOLE_MEDIA_GONE', 'this media is not kept: %s', 410)
export const MediaPending = createError('KEFU_CONSOLE_MEDIA_PENDING', 'kefu is still fetching this media from WeChat (%s); try again shortly', 503)
export const BadSearch = createError('KEFU_CONSOLE_BAD_SEARCH', '%s', 400)
export const BadReport = createError('KEFU_CONSOLE_BAD_REPORT', '%s', 400)
export const AdminsOnly = createError('KEFU_CONSOLE_FORBIDDEN', 'reports are for administrators', 403)
