// Pasting an image into the reply box or dropping an image file on the composer: a preview with send / cancel first,
// then the same path as "Send an image" (upload, then an image reply). Refused at once, in one line: what is not a
// JPEG, PNG or GIF, and what is over the upload's 10 MB (POST /api/apps/:appid/images refuses both too).
import { el } from '../common/dom.js'
import { T } from '../common/i18n.js'

const K = T.keys
export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif']
export const MAX_IMAGE_MB = 10

/**
 * Wires `composer` (the drop zone) and `textarea` (the paste target); `send(file)` sends an accepted image,
 * `say(text)` tells a refusal, `canSend()` says whether replies are possible now.
 */
export function attachImageDrop ({ composer, textarea, send, say, canSend }) {
  let url = null
  const img = el('img', { alt: K.imagePreview })
  const sendButton = el('button', { type: 'button', class: 'primary', id: 'send-image', text: K.sendImage })
  const cancelButton = el('button', { type: 'button', id: 'cancel-image', text: T.cancel })
  const preview = el('div', { class: 'image-preview', id: 'image-preview', role: 'group', 'aria-label': K.imagePreview, hidden: true },
    img, el('span', { text: K.imagePreview }), sendButton, cancelButton)
  composer.prepend(preview)
  let pending = null

  function hide () {
    preview.hidden = true
    pending = null
    if (url !== null) URL.revokeObjectURL(url)
    url = null
    img.removeAttribute('src')
  }
  function offer (file) {
    say('')
    if (!IMAGE_TYPES.includes(file.type)) { say(K.notImage(file.name || file.type || '?')); return }
    if (file.size > MAX_IMAGE_MB * 1024 * 1024) { say(K.tooLarge(file.name || '?', MAX_IMAGE_MB)); return }
    hide()
    pending = file
    url = URL.createObjectURL(file)
    img.src = url
    preview.hidden = false
    sendButton.disabled = !canSend()
    sendButton.focus()
  }
  sendButton.addEventListener('click', () => {
    const file = pending
    hide()
    textarea.focus()
    if (file !== null) send(file)
  })
  cancelButton.addEventListener('click', () => { hide(); textarea.focus() })
  preview.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.stopPropagation(); hide(); textarea.focus() } })

  textarea.addEventListener('paste', (e) => {
    const file = [...(e.clipboardData?.files || [])][0]
    if (file === undefined) return
    e.preventDefault()
    offer(file)
  })
  const carriesFiles = (e) => [...(e.dataTransfer?.types || [])].includes('Files')
  composer.addEventListener('dragover', (e) => {
    if (!carriesFiles(e)) return
    e.preventDefault()
    composer.classList.add('dropping')
  })
  composer.addEventListener('dragleave', () => composer.classList.remove('dropping'))
  composer.addEventListener('drop', (e) => {
    composer.classList.remove('dropping')
    const file = [...(e.dataTransfer?.files || [])][0]
    if (file === undefined) return
    e.preventDefault()
    offer(file)
  })
  return { hide }
}
