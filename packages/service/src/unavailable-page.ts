import type { FastifyReply, FastifyRequest } from 'fastify'
import { escapeHtml } from './web.js'

const TEXT = {
  'zh-CN': { title: '服务暂时不可用', body: '数据库或 Redis 暂时无法访问，请稍后再试。', retry: '重试' },
  en: { title: 'Service unavailable', body: 'A backing service (database or Redis) is unavailable. Try again shortly.', retry: 'Try again' }
} as const

/** Simplified Chinese unless Accept-Language prefers English (highest q wins, then order), as the pages decide. */
function pageLang (header: string | undefined): keyof typeof TEXT {
  const ranges = (header ?? '').split(',').slice(0, 32).map((part, index) => {
    const [tag = '', ...params] = part.trim().split(';')
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    const weight = q === undefined ? 1 : Number(q.slice(2))
    return { tag: tag.trim().toLowerCase(), q: Number.isFinite(weight) ? weight : 0, index }
  }).filter((r) => r.q > 0 && r.tag !== '').sort((a, b) => b.q - a.q || a.index - b.index)
  for (const r of ranges) {
    if (r.tag === 'zh' || r.tag.startsWith('zh-') || r.tag === '*') return 'zh-CN'
    if (r.tag === 'en' || r.tag.startsWith('en-')) return 'en'
  }
  return 'zh-CN'
}

/** A browser navigating (a page, a form post) gets a page; scripts and API clients get the JSON error. */
export function wantsPage (request: FastifyRequest): boolean {
  const mode = request.headers['sec-fetch-mode']
  if (mode !== undefined) return mode === 'navigate'
  return (request.headers.accept ?? '').includes('text/html')
}

/** The 503 page a person sees while a backing service is away: what happened, and a link to try again. */
export function sendUnavailablePage (request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const lang = pageLang(request.headers['accept-language'])
  const t = TEXT[lang]
  // The same address again (never one that leaves this site, like //host); a form post starts over from home.
  const again = (request.method === 'GET' || request.method === 'HEAD') && /^\/(?![/\\])/.test(request.url) ? request.url : '/'
  return reply.code(503).headers({
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store'
  }).send(`<!doctype html>
<html lang="${lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${t.title}</title></head>
<body><main><h1>${t.title}</h1><p role="alert">${t.body}</p><p><a href="${escapeHtml(again)}">${t.retry}</a></p></main></body>
</html>
`)
}
