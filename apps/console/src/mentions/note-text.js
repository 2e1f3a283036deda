// A note's text with the colleagues it mentions marked: `@name` of an agent serving the note's mini program (as the
// server decides who is mentioned). Built from text nodes, so a note never becomes markup.
import { el } from '../common/dom.js'
import { state } from '../common/state.js'

const NAME = /(?<![A-Za-z0-9._@-])@([A-Za-z0-9][A-Za-z0-9._@-]{0,63})/g

export function noteText (text, appId) {
  const serving = new Set(state.agents.filter((a) => a.apps.includes(appId)).map((a) => a.username))
  const node = el('span', { class: 'text' })
  let at = 0
  for (const m of text.matchAll(NAME)) {
    let name = m[1]
    if (!serving.has(name)) name = name.replace(/[._@-]+$/, '')
    if (!serving.has(name)) continue
    node.append(text.slice(at, m.index), el('mark', { class: 'mention', 'data-agent': name, text: '@' + name }))
    at = m.index + 1 + name.length
  }
  node.append(text.slice(at))
  return node
}
