// Calls to the console's API. `person: true` marks a call the agent made (a click, a reply, typing): it counts as
// activity and keeps the sign-in alive. Everything the page does by itself (start-up, live updates, refreshes) is
// background and does not.
let onSignedOut = () => {}
export function whenSignedOut (fn) { onSignedOut = fn }

export async function api (path, options) {
  const o = options || {}
  const headers = { accept: 'application/json', 'x-kefu-activity': o.person ? 'person' : 'background' }
  if (o.json !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(path, { credentials: 'same-origin', method: o.method || 'GET', headers, body: o.json !== undefined ? JSON.stringify(o.json) : o.body })
  if (res.status === 401) { onSignedOut(); throw new Error('signed out') }
  if (res.status === 204) return null
  const body = await res.json().catch(() => ({}))
  if (!res.ok) throw Object.assign(new Error(body.message || res.statusText), { status: res.status, body })
  return body
}
