import type { FastifyError, FastifyInstance } from 'fastify'
import { sendUnavailablePage, wantsPage } from './unavailable-page.js'
import { UNAVAILABLE_MESSAGE, unavailability } from './unavailable.js'

interface ErrorBody { statusCode: number, code: string, error: string, message: string }

const REASONS: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 429: 'Too Many Requests',
  500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout'
}

/**
 * One error shape for every service: `{ statusCode, code, error, message }`. Client errors say what was wrong in
 * one line; server errors are logged once, with their stack, and their details stay out of the response.
 * A backing service that is away (PostgreSQL, Redis: see `unavailability`) is 503 `<PREFIX>_UNAVAILABLE`, not a
 * bug: logged once at warn with the reason, no stack, and a browser navigating gets a page that says so.
 */
export function installErrorHandler (fastify: FastifyInstance, codePrefix: string): void {
  fastify.setErrorHandler(function kefuErrorHandler (err: FastifyError, request, reply) {
    let status = err.statusCode ?? 500
    if (err.validation !== undefined) status = 400
    if (status < 400 || status > 599) status = 500
    const outage = status === 500 || status === 503 ? unavailability(err) : null
    const body: ErrorBody = {
      statusCode: status,
      code: err.code ?? (status >= 500 ? `${codePrefix}_INTERNAL` : `${codePrefix}_BAD_REQUEST`),
      error: REASONS[status] ?? 'Error',
      message: err.message.split('\n')[0] ?? ''
    }
    if (outage !== null && status === 500) {
      status = 503
      Object.assign(body, { statusCode: 503, code: `${codePrefix}_UNAVAILABLE`, error: REASONS[503], message: UNAVAILABLE_MESSAGE })
    }
    if (status >= 500) {
      if (status === 500) {
        request.log.error({ err }, 'request failed')
        body.message = 'internal error'
      } else {
        const cause = outage === null ? {} : { backing: outage.backing, reason: outage.reason }
        request.log.warn({ code: body.code, method: request.method, path: request.url.split('?')[0], ...cause }, body.message)
      }
    }
    const headers = (err as { headers?: Record<string, string> }).headers
    if (headers !== undefined) void reply.headers(headers)
    if (status === 503 && wantsPage(request)) {
      sendUnavailablePage(request, reply)
      return
    }
    void reply.code(status).send(body)
  })
  fastify.setNotFoundHandler(function kefuNotFound (request, reply) {
    void reply.code(404).send({ statusCode: 404, code: `${codePrefix}_NOT_FOUND`, error: 'Not Found', message: `no route for ${request.method} ${request.url.split('?')[0]}` })
  })
}
