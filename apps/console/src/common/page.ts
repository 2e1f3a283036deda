import type { FastifyReply } from 'fastify'
import { htmlDocument, pageHeaders } from '@kefu/service'

export interface FeaturePage {
  status: number
  lang: string
  title: string
  /** The page's Content-Security-Policy (with the nonce its scripts carry, if any). */
  csp: string
  /** The feature's own stylesheet, after the console's. */
  stylesheet: string
  bodyClass: string
  body: string
}

/** A page of its own for a console feature (mini programs, reports): the console's style and the feature's. */
export function sendFeaturePage (reply: FastifyReply, page: FeaturePage): FastifyReply {
  return reply.code(page.status).headers(pageHeaders(page.csp)).send(htmlDocument({
    lang: page.lang,
    title: `${page.title} · kefu`,
    head: `<link rel="stylesheet" href="/assets/shell/console.css">
<link rel="stylesheet" href="${page.stylesheet}">`,
    bodyClass: page.bodyClass,
    body: page.body
  }))
}
