// A reply's delivery state in the timeline: a failed one says why in words (WeChat's errcode as the server explained
// it) and offers Retry, which sends it again as a new attempt (POST …/messages/:id/retry).
import { api } from '../common/api.js'
import { convPath, el } from '../common/dom.js'
import { T } from '../common/i18n.js'
import { emit } from '../common/state.js'

const K = T.keys

/** The failure line of a failed reply; `shown(item)` puts the new attempt in the timeline. */
export function failureNode (item, shown) {
  const why = K.failedBecause(item.errmsg || K.unknownReason) + (item.errcode !== undefined && item.errcode !== null ? ` [${item.errcode}]` : '')
  const node = el('div', { class: 'failure' }, el('span', { text: why }))
  if (item.direction !== 'out' || item.type === 'subscribe' || !/^out-\d+$/.test(item.key)) return node
  const told = el('span', { class: 'outcome-error', role: 'alert' })
  const retry = el('button', { type: 'button', class: 'retry', text: K.retry, 'aria-label': `${K.retry}: ${why}` })
  retry.addEventListener('click', async () => {
    retry.disabled = true
    retry.textContent = K.retrying
    told.textContent = ''
    try {
      const body = await api(convPath(item.appId, item.openid, `messages/${item.key}/retry`), { method: 'POST', person: true })
      retry.remove()
      shown(body.message)
    } catch (err) {
      told.textContent = err.message
      retry.disabled = false
      retry.textContent = K.retry
    } finally {
      emit('sent', { appId: item.appId, openid: item.openid })
    }
  })
  node.append(retry, told)
  return node
}
