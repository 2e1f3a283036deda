// The composer: a reply to the customer (text, image, link, mini-program card, with WeChat's typing state) or an
// internal note for colleagues; `/` searches quick replies, `@` in a note names a colleague.
import { api } from '../common/api.js'
import { convPath, el } from '../common/dom.js'
import { T } from '../common/i18n.js'
import { attachMentionPicker } from '../mentions/mention-picker.js'
import { attachPicker, openManager } from '../quick-replies/quick-replies.js'
import { unfilledVariable } from '../quick-replies/variables.js'
import { knownName } from '../customer/identity.js'
import { emit, state } from '../common/state.js'
import { upsertItem } from './timeline.js'
import * as drafts from './drafts.js'
import { attachImageDrop } from './image-drop.js'

let mode = 'reply'
const textarea = el('textarea', { id: 'reply-text', placeholder: T.placeholder, 'aria-label': T.placeholder, rows: '3' })
const picker = attachPicker(textarea, () => mode === 'reply' && state.current !== null ? state.current.appId : null, variableValues)
const mentionPicker = attachMentionPicker(textarea, () => mode === 'note' && state.current !== null ? state.current.appId : null)
const sendButton = el('button', { class: 'primary', type: 'button', id: 'send', text: T.send })
const modeButtons = ['reply', 'note'].map((m) => el('button', {
  type: 'button', class: 'mode', 'data-mode': m, 'aria-pressed': String(m === mode), text: m === 'reply' ? T.reply : T.note, onclick: () => setMode(m)
}))
const fileInput = el('input', { type: 'file', accept: 'image/jpeg,image/png,image/gif', class: 'visually-hidden', id: 'image-file', 'aria-label': T.uploadImage })
const imageButton = el('button', { type: 'button', text: T.uploadImage, onclick: () => fileInput.click() })
export const notice = el('div', { class: 'notice', role: 'alert', id: 'notice' })
const linkForm = el('form', { id: 'link-form' },
  el('input', { type: 'text', name: 'title', required: true, maxlength: '64', placeholder: T.linkTitle, 'aria-label': T.linkTitle }),
  el('input', { type: 'text', name: 'description', required: true, maxlength: '256', placeholder: T.linkDesc, 'aria-label': T.linkDesc }),
  el('input', { type: 'url', name: 'url', required: true, placeholder: T.linkUrl, 'aria-label': T.linkUrl }),
  el('input', { type: 'url', name: 'thumbUrl', required: true, placeholder: T.thumbUrl, 'aria-label': T.thumbUrl }),
  el('button', { type: 'submit', text: T.sendLink }))
const pageForm = el('form', { id: 'page-form' },
  el('input', { type: 'text', name: 'title', required: true, maxlength: '64', placeholder: T.pageTitle, 'aria-label': T.pageTitle }),
  el('input', { type: 'text', name: 'pagePath', required: true, placeholder: T.pagePath, 'aria-label': T.pagePath }),
  el('input', { type: 'text', name: 'thumbMediaId', required: true, placeholder: T.thumbMedia, 'aria-label': T.thumbMedia }),
  el('button', { type: 'submit', text: T.sendPage }))
const extras = el('details', { id: 'composer-more' }, el('summary', { text: T.more }), linkForm, pageForm)
const replyOnly = [imageButton, extras]

export const composer = el('div', { class: 'composer', 'data-mode': mode },
  el('div', { class: 'row', role: 'group', 'aria-label': T.composerMode }, ...modeButtons, el('span', { class: 'grow' }),
    el('button', { type: 'button', class: 'link-button', id: 'manage-quick-replies', text: T.manageQuickReplies, onclick: () => { openManager().catch(() => {}) } })),
  el('div', { class: 'compose-box' }, picker, mentionPicker, textarea),
  el('div', { class: 'row' }, el('span', { class: 'grow' }, notice), imageButton, fileInput, sendButton),
  extras)

/** What a quick reply's variables are filled with in the open conversation ('' where nobody knows). */
function variableValues () {
  const appId = state.current?.appId
  return {
    'customer.name': state.conv === null ? '' : knownName(state.conv),
    'agent.name': state.me.username,
    'mini_program.name': (appId && state.appInfo.get(appId)?.name) || ''
  }
}

let canReply = false
let windowOpen = false
function setMode (m) {
  mode = m
  composer.dataset.mode = m
  for (const b of modeButtons) b.setAttribute('aria-pressed', String(b.dataset.mode === m))
  textarea.placeholder = m === 'reply' ? T.placeholder : T.notePlaceholder
  textarea.setAttribute('aria-label', textarea.placeholder)
  sendButton.textContent = m === 'reply' ? T.send : T.saveNote
  for (const node of replyOnly) node.hidden = m !== 'reply'
  updateSendable()
  textarea.focus()
}

/** Whether replies are possible now (a secret configured, the window open); notes always are. */
export function setReplyState (can, open) {
  canReply = can
  windowOpen = open
  updateSendable()
}
function updateSendable () { sendButton.disabled = mode === 'reply' && !(canReply && windowOpen) }

// The draft shown belongs to `draftOf`; typing keeps it (at most every 300 ms), opening another conversation keeps
// it at once and shows that one's.
let draftOf = null
let draftTimer = null
function keepDraft () {
  clearTimeout(draftTimer)
  draftTimer = null
  drafts.save(draftOf, textarea.value)
}
textarea.addEventListener('input', () => {
  clearTimeout(draftTimer)
  draftTimer = setTimeout(keepDraft, 300)
})
// Leaving the page (a reload) right after typing keeps the draft too.
window.addEventListener('pagehide', () => { if (draftTimer !== null) keepDraft() })

export function reset () {
  notice.textContent = ''
  if (draftTimer !== null) keepDraft()
  if (mode !== 'reply') setMode('reply')
  dropped.hide()
  draftOf = state.current === null ? null : { ...state.current }
  textarea.value = drafts.load(draftOf)
}

/** Signed out: the draft leaves the screen, and every kept draft the storage. */
export function forgetDrafts () {
  clearTimeout(draftTimer)
  draftTimer = null
  draftOf = null
  dropped.hide()
  textarea.value = ''
  drafts.forgetAll()
}
export function focus () { textarea.focus() }
/** The palette's "write a note": what the Note button does. */
export function writeNote () { setMode('note') }
/** The palette's "insert a quick reply": `/` where the caret is, which opens the quick-reply list. */
export function startQuickReply () {
  if (mode !== 'reply') setMode('reply')
  textarea.focus()
  const at = textarea.selectionStart
  const before = textarea.value.slice(0, at)
  textarea.setRangeText(before === '' || /\s$/.test(before) ? '/' : ' /', at, textarea.selectionEnd, 'end')
  textarea.dispatchEvent(new Event('input'))
}

async function send (payload) {
  if (state.current === null) return false
  const { appId, openid } = state.current
  notice.textContent = ''
  sendButton.disabled = true
  try {
    const body = await api(convPath(appId, openid, 'messages'), { method: 'POST', json: payload, person: true })
    upsertItem(body.message)
    if (body.message.status === 'failed') notice.textContent = (body.message.errcode !== undefined ? `[${body.message.errcode}] ` : '') + (body.message.errmsg || T.failed)
    return body.message.status === 'sent'
  } catch (err) {
    notice.textContent = err.message
    return false
  } finally {
    stopTyping()
    emit('sent', { appId, openid })
    updateSendable()
  }
}

async function saveNote (text) {
  const { appId, openid } = state.current
  notice.textContent = ''
  try {
    const body = await api(convPath(appId, openid, 'notes'), { method: 'POST', json: { text }, person: true })
    emit('conversation', { conversation: body.conversation, activities: body.activities })
    return true
  } catch (err) {
    notice.textContent = err.message
    return false
  }
}

sendButton.addEventListener('click', async () => {
  const text = textarea.value.trim()
  if (text === '' || state.current === null) { textarea.focus(); return }
  const unfilled = mode === 'reply' ? unfilledVariable(text) : null
  if (unfilled !== null) {
    notice.textContent = T.fillVariable(unfilled)
    const at = textarea.value.indexOf(unfilled)
    textarea.focus()
    textarea.setSelectionRange(at, at + unfilled.length)
    return
  }
  const ok = mode === 'reply' ? await send({ type: 'text', text }) : await saveNote(text)
  if (ok) {
    textarea.value = ''
    keepDraft()
  }
  textarea.focus()
})
textarea.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); sendButton.click() }
})
fileInput.addEventListener('change', () => {
  const file = fileInput.files && fileInput.files[0]
  fileInput.value = ''
  if (file) sendImage(file)
})
const dropped = attachImageDrop({ composer, textarea, send: sendImage, say: (text) => { notice.textContent = text }, canSend: () => mode === 'reply' && canReply && windowOpen })
async function sendImage (file) {
  if (state.current === null) return
  notice.textContent = ''
  const form = new FormData()
  form.append('media', file, file.name)
  try {
    const up = await api(`/api/apps/${state.current.appId}/images`, { method: 'POST', body: form, person: true })
    pageForm.elements.thumbMediaId.value = up.mediaId
    await send({ type: 'image', mediaId: up.mediaId })
  } catch (err) { notice.textContent = err.message }
}
linkForm.addEventListener('submit', async (e) => {
  e.preventDefault()
  const f = linkForm.elements
  if (await send({ type: 'link', title: f.title.value, description: f.description.value, url: f.url.value, thumbUrl: f.thumbUrl.value })) linkForm.reset()
})
pageForm.addEventListener('submit', async (e) => {
  e.preventDefault()
  const f = pageForm.elements
  if (await send({ type: 'miniprogrampage', title: f.title.value, pagePath: f.pagePath.value, thumbMediaId: f.thumbMediaId.value })) pageForm.reset()
})

// Typing state: on while the agent composes a reply (renewed every 10 s: WeChat shows it for about 15 s), off when
// idle or sent. Never for notes.
let typingSince = 0
let typingTimer = null
function typing (on) {
  if (state.current === null || !state.appInfo.get(state.current.appId)?.canReply) return
  api(convPath(state.current.appId, state.current.openid, 'typing'), { method: 'POST', json: { typing: on }, person: on }).catch(() => {})
}
function stopTyping () {
  clearTimeout(typingTimer)
  if (typingSince !== 0) { typingSince = 0; typing(false) }
}
textarea.addEventListener('input', () => {
  if (mode !== 'reply' || textarea.value.trim() === '' || textarea.value.startsWith('/')) { stopTyping(); return }
  if (Date.now() - typingSince > 10_000) { typingSince = Date.now(); typing(true) }
  clearTimeout(typingTimer)
  typingTimer = setTimeout(stopTyping, 5000)
})
textarea.addEventListener('blur', stopTyping)
