import createError from '@fastify/error'

export const NoSuchTemplate = createError('KEFU_CONSOLE_NO_SUCH_TEMPLATE', '%s', 404)
export const BadSubscribeMessage = createError('KEFU_CONSOLE_BAD_SUBSCRIBE_MESSAGE', '%s', 400)
export const NoSubscription = createError('KEFU_CONSOLE_NO_SUBSCRIPTION', '%s', 409)
