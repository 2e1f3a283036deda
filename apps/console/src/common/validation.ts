import { AjvCompiler } from '@fastify/ajv-compiler'
import type { FastifyInstance, FastifySchema } from 'fastify'

/**
 * JSON bodies are typed by the console's page and by API clients: a wrong type is refused with 400
 * (`body/text must be string`), never coerced (Fastify's default would store `123` as the note "123", or read
 * `"false"` as true). The query string, path parameters and headers are text and are coerced as Fastify does by
 * default (`?limit=20`). Both compilers are Fastify's own (`@fastify/ajv-compiler`), with its other defaults.
 */
export function refuseCoercedBodies (fastify: FastifyInstance): void {
  const build = AjvCompiler()
  const bodies = build({}, { customOptions: { coerceTypes: false } })
  const text = build({}, { customOptions: {} })
  fastify.setValidatorCompiler<FastifySchema>((route) => (route.httpPart === 'body' ? bodies : text)(route))
}
