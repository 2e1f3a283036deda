export type SessionErrorCode =
  | 'KEFU_SESSION_STORE_UNAVAILABLE'
  | 'KEFU_SESSION_REQUIRED'
  | 'KEFU_SESSION_ENDED'
  | 'KEFU_SESSION_BAD_CONFIG'

/**
 * Every error this package throws. `statusCode` is what Fastify's error handler answers with,
 * so a route that lets these escape gets a one-line JSON error: `{ statusCode, code, error, message }`.
 */
export class SessionError extends Error {
  readonly code: SessionErrorCode
  readonly statusCode: number
  constructor (code: SessionErrorCode, statusCode: number, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'SessionError'
    this.code = code
    this.statusCode = statusCode
  }
}

/** The store could not be reached or did not answer in time. Nobody is treated as logged in: 503. */
export class SessionStoreUnavailableError extends SessionError {
  constructor (cause?: unknown) {
    super('KEFU_SESSION_STORE_UNAVAILABLE', 503, 'Session store unavailable, try again shortly', { cause })
    this.name = 'SessionStoreUnavailableError'
  }
}

/** The route needs a logged-in session and the request has none (missing, expired, destroyed, tampered). */
export class SessionRequiredError extends SessionError {
  constructor () {
    super('KEFU_SESSION_REQUIRED', 401, 'Login required')
    this.name = 'SessionRequiredError'
  }
}

/** The session ended (logout, logout-all, expiry) while this request was using it; the write was refused. */
export class SessionEndedError extends SessionError {
  constructor () {
    super('KEFU_SESSION_ENDED', 401, 'Session ended, log in again')
    this.name = 'SessionEndedError'
  }
}

/** Bad configuration, found at start. The message is one line that names the variable or option. */
export class SessionConfigError extends SessionError {
  constructor (message: string) {
    super('KEFU_SESSION_BAD_CONFIG', 500, message)
    this.name = 'SessionConfigError'
  }
}
