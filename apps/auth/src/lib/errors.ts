import createError from '@fastify/error'

// Every refusal A gives, one code each. Refusals of hostile requests are logged at warn with their code.
// A cross-site request is KEFU_AUTH_CROSS_SITE, from the same-origin guard (app.ts).
export const BadCsrfToken = createError('KEFU_AUTH_CSRF', 'refused: missing or invalid CSRF token; reload the form and submit again', 403)
export const UnsupportedBody = createError('KEFU_AUTH_UNSUPPORTED_MEDIA_TYPE', 'send application/json or application/x-www-form-urlencoded', 415)
export const BadCredentials = createError('KEFU_AUTH_BAD_CREDENTIALS', 'wrong username or password', 401)
export const TooManyAttempts = createError('KEFU_AUTH_TOO_MANY_ATTEMPTS', 'too many login attempts for this %s; try again in %d s', 429)
export const UnknownClient = createError('KEFU_AUTH_UNKNOWN_CLIENT', 'no SSO client with this client_id is registered', 400)
export const OriginNotRegistered = createError('KEFU_AUTH_ORIGIN_NOT_REGISTERED', 'refused: %s', 403)
export const BadRedirectUri = createError('KEFU_AUTH_BAD_REDIRECT_URI', 'redirect_uri is not registered for this client (it must match exactly)', 400)
export const BadState = createError('KEFU_AUTH_BAD_STATE', 'state is missing or malformed', 400)
export const BadRequest = createError('KEFU_AUTH_BAD_REQUEST', '%s', 400)
export const ClientAuthFailed = createError('KEFU_AUTH_CLIENT_AUTH', 'client authentication failed', 401)
export const InvalidTicket = createError('KEFU_AUTH_INVALID_TICKET', 'the ticket is unknown, used, expired or not yours', 400)
