// Subscribe messages (订阅消息): once the reply window has closed, what the customer has accepted and a form per
// template to send one. Loaded whenever the open conversation is drawn with its window closed, so the customer's new
// choices (live pushes) show at once.
import { api } from '../common/api.js'
import { convPath, el } from '../common/dom.js'
import { T } from '../common/i18n.js'
import { isCurrent, state } from '../common/state.js'
import { namesTemplates, remember } from '../common/subscribe-text.js'
import { redraw, upsertItem } from '../conversations/timeline.js'

const S = T.subscribe
const notice = el('p', { class: 'subscribe-notice', id: 'subscribe-notice' })
const offers = el('ul', { class: 'subscribe-offers', 'aria-label': S.offers })
const formNotice = el('div', { class: 'notice', role: 'alert', id: 'subscribe-error' })
const form = el('form', { class: 'subscribe-form', id: 'subscribe-form', novalidate: true, hidden: true })
// It scrolls when the timeline needs the room (tabindex: by keyboard too, its offers may all be disabled).
export const panel = el('section', { class: 'subscribe', id: 'subscribe', 'aria-labelledby': 'subscribe-title', tabindex: '0', hidden: true },
  el('h3', { id: 'subscribe-title', text: S.title }), notice, offers, form)

/** The conversation shown, its templates, and the one being filled in. */
let shown = null
let chosen = null

const offerText = (t) => t.longTerm ? S.offerLongTerm(t.title) : S.offer(t.title, t.remaining)

function renderOffers () {
  if (shown === null) return
  offers.replaceChildren(...shown.templates.map((t) => el('li', {},
    el('button', {
      type: 'button',
      class: t.available ? 'subscribe-offer' : 'subscribe-offer unavailable',
      'data-template': t.templateId,
      'aria-expanded': String(chosen !== null && chosen.templateId === t.templateId),
      disabled: !t.available,
      // Accepted before and sent as often as accepted: used up, which is not the same as never accepted.
      text: t.available ? offerText(t) : !t.longTerm && t.subscribed ? S.usedUp(t.title) : S.notAccepted(t.title),
      onclick: () => openForm(t)
    }))))
}

function closeForm () {
  chosen = null
  form.hidden = true
  form.replaceChildren()
  renderOffers()
}

/** Hides the panel (the window is open, no templates, another conversation). */
export function reset () {
  shown = null
  chosen = null
  panel.hidden = true
  form.hidden = true
  form.replaceChildren()
}

function fieldInput (f) {
  const id = 'subscribe-' + f.key
  const input = f.kind === 'enum'
    ? el('select', { id, name: f.key }, ...f.values.map((v) => el('option', { value: v, text: v })))
    : el('input', { id, name: f.key, type: 'text', autocomplete: 'off', 'aria-describedby': id + '-rule' })
  return el('div', { class: 'subscribe-field' }, el('label', { for: id, text: f.label }), input, el('small', { id: id + '-rule', text: f.rule }))
}

function openForm (t) {
  chosen = t
  const page = t.page === null
    ? el('p', { class: 'subscribe-page', text: S.noPage })
    : el('div', { class: 'subscribe-field' },
      el('label', { for: 'subscribe-query', text: S.query }),
      el('div', { class: 'subscribe-query' }, el('span', { class: 'subscribe-page', text: t.page + '?' }),
        el('input', { id: 'subscribe-query', name: 'query', type: 'text', autocomplete: 'off', placeholder: 'id=42', 'aria-describedby': 'subscribe-query-rule' })),
      el('small', { id: 'subscribe-query-rule', text: S.queryRule }))
  formNotice.textContent = ''
  form.replaceChildren(
    el('fieldset', {}, el('legend', { text: offerText(t) }), ...t.fields.map(fieldInput), page),
    formNotice,
    el('div', { class: 'row' },
      el('button', { type: 'submit', class: 'primary', id: 'subscribe-send', text: S.send }),
      el('button', { type: 'button', text: T.cancel, onclick: closeForm })))
  form.hidden = false
  renderOffers()
  form.querySelector('input, select').focus()
}

form.addEventListener('submit', async (e) => {
  e.preventDefault()
  if (shown === null || chosen === null) return
  const { appId, openid } = shown
  const fields = Object.fromEntries(chosen.fields.map((f) => [f.key, form.elements[f.key].value]))
  const query = form.elements.query ? form.elements.query.value.trim() : ''
  const button = form.querySelector('#subscribe-send')
  button.disabled = true
  formNotice.textContent = ''
  try {
    const body = await api(convPath(appId, openid, 'subscribe-messages'), { method: 'POST', json: { templateId: chosen.templateId, fields, ...(query === '' ? {} : { query }) }, person: true })
    upsertItem(body.message)
    if (!isCurrent(appId, openid) || shown === null) return
    shown.templates = shown.templates.map((t) => t.templateId === body.subscription.templateId ? body.subscription : t)
    if (body.message.status === 'failed') {
      formNotice.textContent = `[${body.message.errcode}] ${body.message.errmsg || T.failed}`
      renderOffers()
    } else {
      closeForm()
      offers.querySelector('button:not([disabled])')?.focus()
    }
  } catch (err) {
    formNotice.textContent = err.message
  } finally {
    button.disabled = false
  }
})
form.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.preventDefault(); closeForm() } })

/** Learns the titles of every subscribe template of the agent's mini programs (what timelines and previews show). */
export async function loadTemplates () {
  const body = await api('/api/subscribe-templates')
  const byApp = new Map()
  for (const t of body.templates) byApp.set(t.appId, [...(byApp.get(t.appId) ?? []), t])
  let learned = false
  for (const [appId, list] of byApp) learned = remember(appId, list) || learned
  if (learned) redraw(namesTemplates)
  return learned
}

/** Shows what can be sent in `conv` (its summary) when its window has closed; hides the panel otherwise. */
export async function update (conv) {
  const info = state.appInfo.get(conv.appId)
  if (conv.window.open || info === undefined || !info.canReply) { reset(); return }
  const body = await api(convPath(conv.appId, conv.openid, 'subscriptions'))
  if (!isCurrent(conv.appId, conv.openid)) return
  // The timeline may have drawn this conversation's subscribe items before their templates' titles were known.
  if (remember(conv.appId, body.templates)) redraw(namesTemplates)
  if (body.templates.length === 0) { reset(); return }
  const same = shown !== null && shown.appId === conv.appId && shown.openid === conv.openid
  shown = { appId: conv.appId, openid: conv.openid, templates: body.templates }
  notice.textContent = body.notice || ''
  // A new choice of the customer's arrived while the agent fills a form: keep the form unless it can no longer be sent.
  if (same && chosen !== null) chosen = body.templates.find((t) => t.templateId === chosen.templateId && t.available) ?? null
  else chosen = null
  if (chosen === null) { form.hidden = true; form.replaceChildren() }
  renderOffers()
  panel.hidden = false
}
