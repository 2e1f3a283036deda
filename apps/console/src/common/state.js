// What the page knows, shared by the modules, and a tiny event hub between them (`changed` events by name).
export const state = {
  me: { username: '', role: 'agent', availability: 'offline', notifications: { desktop: true, sound: false } },
  apps: [],
  /** appId → { canReply, profileLookup, autoAssign, maxOpenPerAgent } */
  appInfo: new Map(),
  view: 'all',
  filter: '',
  status: 'open',
  tag: '',
  conversations: [],
  next: null,
  /** { appId, openid } of the open conversation, or null; `conv` is its summary once loaded. */
  current: null,
  conv: null,
  agents: [],
  counts: { mine: 0, unassigned: 0, unread: 0 }
}

const hub = new EventTarget()
export function emit (name, detail) { hub.dispatchEvent(new CustomEvent(name, { detail })) }
export function on (name, fn) { hub.addEventListener(name, (e) => fn(e.detail)) }

export const isCurrent = (appId, openid) => state.current !== null && state.current.appId === appId && state.current.openid === openid
export const isAdmin = () => state.me.role === 'admin'
