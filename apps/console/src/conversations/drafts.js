// Reply drafts, one per conversation (appid, openid), kept in localStorage so that switching conversations or
// reloading the page keeps what the agent was writing. Forgotten when sent and, all of them, on sign-out: what was
// written to a customer does not outlive the session on this computer.
const PREFIX = 'kefu.draft.'
const keyOf = (conv) => PREFIX + conv.appId + '/' + conv.openid

function storage () {
  try { return window.localStorage } catch { return null }
}

/** The draft kept for `conv`, or ''. */
export function load (conv) {
  const s = storage()
  return s === null || conv === null ? '' : s.getItem(keyOf(conv)) ?? ''
}

/** Keeps `text` as `conv`'s draft; blank text forgets it. */
export function save (conv, text) {
  const s = storage()
  if (s === null || conv === null) return
  try {
    if (text.trim() === '') s.removeItem(keyOf(conv))
    else s.setItem(keyOf(conv), text)
  } catch { /* storage full or refused: the draft stays on screen only */ }
}

/** Forgets every conversation's draft (sign-out). */
export function forgetAll () {
  const s = storage()
  if (s === null) return
  for (const key of Object.keys(s)) if (key.startsWith(PREFIX)) s.removeItem(key)
}
