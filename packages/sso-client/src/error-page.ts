// The page a browser sees when the sign-in check cannot finish (state, malformed or refused ticket).
import type { FastifyReply, FastifyRequest } from 'fastify'
import { pickLang } from './lang.js'

const ERROR_TEXT = {
  'zh-CN': {
    title: '登录检查失败',
    state: '无法验证这次登录检查（state 缺失或不属于此浏览器）。',
    malformed: '登录票据格式无效。',
    refused: '登录票据被拒绝（已过期或已使用）。请刷新页面重试。',
    home: '返回首页'
  },
  en: {
    title: 'Sign-in check failed',
    state: 'This sign-in check could not be verified (state missing or not from this browser).',
    malformed: 'The sign-in ticket is malformed.',
    refused: 'The sign-in ticket was refused (expired or already used). Reload the page to try again.',
    home: 'Home'
  }
} as const

export function sendError (request: FastifyRequest, reply: FastifyReply, status: number, which: 'state' | 'malformed' | 'refused'): FastifyReply {
  const lang = pickLang(request.headers['accept-language'])
  const t = ERROR_TEXT[lang]
  return reply.code(status).headers({
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff'
  }).send(`<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${t.title}</title></head><body><main><h1>${t.title}</h1><p role="alert">${t[which]}</p><p><a href="/">${t.home}</a></p></main></body></html>`)
}
