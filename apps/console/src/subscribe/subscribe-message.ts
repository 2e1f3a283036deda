import { subscribeFieldRule, subscribeValueProblem, type SubscribeTemplate } from '@kefu/service'
import type { SubscribeMessageBody } from '@kefu/wechat-api'

type Lang = 'zh-CN' | 'en'

/** What an agent fills in: the template, a value per field, and the query of the page it opens. */
export interface SubscribeDraft {
  templateId: string
  fields: Record<string, string>
  /** `id=42&from=kefu`, appended to the template's page. */
  query?: string
}

// Characters a mini program page's query keeps as they are; anything else must come percent-encoded.
const QUERY = /^[A-Za-z0-9_.~%-]+=[A-Za-z0-9_.~%-]*(&[A-Za-z0-9_.~%-]+=[A-Za-z0-9_.~%-]*)*$/
const MAX_QUERY = 512

const TEXT = {
  'zh-CN': {
    missing: (label: string) => `${label}：必填`,
    unknown: (key: string) => `${key}：不是该模板的字段`,
    noPage: '该模板没有配置跳转页面，不能带页面参数',
    query: `页面参数须为 key=value，以 & 连接，最多 ${MAX_QUERY} 个字符，特殊字符须经 URL 编码`
  },
  en: {
    missing: (label: string) => `${label}: required`,
    unknown: (key: string) => `${key}: not a field of this template`,
    noPage: 'this template opens no page, so it takes no page query',
    query: `the page query must be key=value pairs joined by &, at most ${MAX_QUERY} characters, special characters percent-encoded`
  }
}

/**
 * Every problem of a draft against its template and WeChat's rules for each field kind, in one line per problem, in
 * the agent's language; empty when WeChat will accept it. Checked before WeChat is called: it would answer 47003.
 */
export function draftProblems (template: SubscribeTemplate, draft: SubscribeDraft, lang: Lang): string[] {
  const text = TEXT[lang]
  const problems: string[] = []
  const known = new Set(template.fields.map((f) => f.key))
  for (const key of Object.keys(draft.fields)) if (!known.has(key)) problems.push(text.unknown(key))
  for (const field of template.fields) {
    const name = field.label === field.key ? field.key : `${field.label} (${field.key})`
    const value = draft.fields[field.key]
    if (value === undefined) {
      problems.push(text.missing(name))
      continue
    }
    const problem = subscribeValueProblem(field.kind, value, field.values)
    if (problem !== null) problems.push(lang === 'en' ? `${name} ${problem.en}` : `${name}：${problem.zh}`)
  }
  if (draft.query !== undefined && draft.query !== '') {
    if (template.page === undefined) problems.push(text.noPage)
    else if (draft.query.length > MAX_QUERY || !QUERY.test(draft.query)) problems.push(text.query)
  }
  return problems
}

/** The message WeChat receives (and `outbound_message.content` keeps), fields in the template's order. */
export function subscribeBody (template: SubscribeTemplate, draft: SubscribeDraft): SubscribeMessageBody {
  const body: SubscribeMessageBody = {
    template_id: template.templateId,
    data: Object.fromEntries(template.fields.map((f) => [f.key, { value: draft.fields[f.key] ?? '' }]))
  }
  if (template.page !== undefined) body.page = draft.query === undefined || draft.query === '' ? template.page : `${template.page}?${draft.query}`
  if (template.miniprogramState !== undefined) body.miniprogram_state = template.miniprogramState
  if (template.lang !== undefined) body.lang = template.lang
  return body
}

/** What each field of a template takes, for the form: its rule in the agent's language. */
export function fieldRule (field: SubscribeTemplate['fields'][number], lang: Lang): string {
  const rule = subscribeFieldRule(field.kind, field.values)
  return lang === 'en' ? rule.en : rule.zh
}
