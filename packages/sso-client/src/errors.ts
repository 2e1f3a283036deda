/** Errors of this package. `statusCode` and `code` are what Fastify's error handler answers with. */
export class SsoError extends Error {
  override name = 'SsoError'
  constructor (readonly code: string, readonly statusCode: number, message: string, options?: ErrorOptions) {
    super(message, options)
  }
}

/** Bad plugin options, found at registration; the message is one line naming the option. */
export class SsoConfigError extends SsoError {
  constructor (message: string) {
    super('KEFU_SSO_BAD_CONFIG', 500, message)
    this.name = 'SsoConfigError'
  }
}

/** A could not be asked (down, slow, or answering 5xx). Nobody is treated as logged in on doubt: 503. */
export class AuthUnavailableError extends SsoError {
  constructor (cause?: unknown) {
    super('KEFU_SSO_AUTH_UNAVAILABLE', 503, 'The account site cannot be reached, try again shortly', { cause })
    this.name = 'AuthUnavailableError'
  }
}

export class CsrfError extends SsoError {
  constructor (reason: string) {
    super('KEFU_SSO_CSRF', 403, `refused: ${reason}`)
    this.name = 'CsrfError'
  }
}

export class TicketRefusedError extends SsoError {
  constructor (message = 'the ticket was refused by the account site') {
    super('KEFU_SSO_TICKET_REFUSED', 400, message)
    this.name = 'TicketRefusedError'
  }
}

export class BadLogoutError extends SsoError {
  constructor (reason: string) {
    super('KEFU_SSO_BAD_LOGOUT', 401, `back-channel logout refused: ${reason}`)
    this.name = 'BadLogoutError'
  }
}

export class LoginRequiredError extends SsoError {
  constructor () {
    super('KEFU_SSO_LOGIN_REQUIRED', 401, 'Login required')
    this.name = 'LoginRequiredError'
  }
}
