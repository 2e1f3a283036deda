// The options form of the Mini programs page: subscribe-message templates (as JSON, checked by the server as
// WECHAT_APPS is), transfer to WeChat's customer-service tool, and the profile lookup. For mini programs added here
// and those authorized through the third-party platform; the stored profile secret is shown by its last four only.
import { api } from '../common/api.js'
import { el } from '../common/dom.js'
import { M } from './mini-programs-text.js'

/** Shows the form in `panel`; `done(message)` after a save. */
export function showOptions (p, panel, done) {
  const o = p.options
  const errors = el('ul', { class: 'mp-errors' })
  const transfer = el('input', { type: 'checkbox', id: 'mp-transfer', name: 'transferCustomerService', checked: o.transferCustomerService })
  const profileUrl = el('input', { id: 'mp-profileUrl', name: 'profileUrl', type: 'url', autocomplete: 'off', value: o.profileUrl || '' })
  const profileSecret = el('input', { id: 'mp-profileSecret', name: 'profileSecret', type: 'password', autocomplete: 'off', placeholder: o.profileSecret ? M.keepSecret : '' })
  const templates = el('textarea', { id: 'mp-templates', name: 'subscribeTemplates', rows: '8', spellcheck: 'false' })
  templates.value = o.subscribeTemplates.length === 0 ? '' : JSON.stringify(o.subscribeTemplates.map(({ templateId, title, fields, page, longTerm }) => ({
    templateId, title, fields: fields.map((f) => f.label === f.key && f.values === undefined ? f.key : { key: f.key, label: f.label, ...(f.values ? { values: f.values } : {}) }), ...(page ? { page } : {}), ...(longTerm ? { longTerm } : {})
  })), null, 2)
  const row = (input, label, hint) => el('div', { class: 'mp-field' }, el('label', { for: input.id, text: label }), input, hint ? el('p', { class: 'hint', text: hint }) : null)
  const form = el('form', { class: 'mp-form', novalidate: true },
    el('h2', { text: `${M.options} · ${p.appid}` }),
    el('div', { class: 'mp-field' }, transfer, el('label', { for: 'mp-transfer', text: M.transfer })),
    row(profileUrl, M.profileUrl), row(profileSecret, M.profileSecret),
    row(templates, M.templates, M.templatesHint),
    el('div', { role: 'alert' }, errors),
    el('button', { type: 'submit', text: M.save }),
    el('button', { type: 'button', text: M.cancel, onclick: () => { panel.replaceChildren() } }))
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    const body = { transferCustomerService: transfer.checked }
    if (profileUrl.value.trim() !== '') body.profileUrl = profileUrl.value.trim()
    if (profileSecret.value !== '') body.profileSecret = profileSecret.value
    if (templates.value.trim() !== '') {
      try {
        body.subscribeTemplates = JSON.parse(templates.value)
      } catch {
        errors.replaceChildren(el('li', { text: M.templatesNotJson }))
        return
      }
    }
    try {
      await api(`/api/mini-programs/${p.appid}/options`, { method: 'PUT', json: body, person: true })
      panel.replaceChildren()
      done(M.saved)
    } catch (err) {
      errors.replaceChildren(...((err.body && err.body.problems) || [err.message]).map((line) => el('li', { text: line })))
    }
  })
  panel.replaceChildren(form)
  transfer.focus()
}
