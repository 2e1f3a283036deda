import createError from '@fastify/error'

export const MediaNotKept = createError('KEFU_CONSOLE_NO_MEDIA', 'this media is not kept: %s', 404)
export const MediaPending = createError('KEFU_CONSOLE_MEDIA_PENDING', 'kefu is still fetching this media from WeChat (%s); try again shortly', 503)
export const BadSearch = createError('KEFU_CONSOLE_BAD_SEARCH', '%s', 400)
export const BadReport = createError('KEFU_CONSOLE_BAD_REPORT', '%s', 400)
export const AdminsOnly = createError('KEFU_CONSOLE_FORBIDDEN', 'reports are for administrators', 403)
