// Variables in quick replies: `{{customer.name}}`, `{{agent.name}}` and `{{mini_program.name}}` (spaces inside the
// braces allowed) are filled in when a quick reply is inserted. A value the page does not know (a customer nobody
// named, a mini program without a name) leaves its placeholder in the text, selected, for the agent to type over;
// the composer does not send a reply that still holds one. The server refuses any other `{{…}}` in a quick reply.

/** The variables a quick reply may hold, as the dialog lists them. */
export const VARIABLES = ['customer.name', 'agent.name', 'mini_program.name']

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g

/**
 * `text` with each known variable replaced by its value in `values` (a name → string map); where a value is empty
 * the placeholder stays. `gap` is the first placeholder left ({ start, end } in the result), or null.
 */
export function fillVariables (text, values) {
  let gap = null
  let out = ''
  let last = 0
  for (const m of text.matchAll(PLACEHOLDER)) {
    const name = m[1]
    const value = VARIABLES.includes(name) ? (values[name] ?? '') : ''
    out += text.slice(last, m.index)
    if (value !== '') {
      out += value
    } else {
      if (gap === null && VARIABLES.includes(name)) gap = { start: out.length, end: out.length + m[0].length }
      out += m[0]
    }
    last = m.index + m[0].length
  }
  out += text.slice(last)
  return { text: out, gap }
}

/** The first known variable's placeholder still in `text` (`{{customer.name}}`), or null. */
export function unfilledVariable (text) {
  for (const m of text.matchAll(PLACEHOLDER)) if (VARIABLES.includes(m[1])) return m[0]
  return null
}
