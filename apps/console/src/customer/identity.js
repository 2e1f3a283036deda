// Who a customer is, as agents read it: the display name agents gave them, else the nickname the business's profile
// lookup told (remembered for this page), else their openid.
import { convKey, shortId } from '../common/dom.js'
import { emit } from '../common/state.js'

/** appId/openid → the name the profile lookup gave. */
const profileNames = new Map()

/** Remembers the nickname the profile lookup gave, the default when agents gave no name; tells the page once it is new. */
export function rememberProfileName (appId, openid, name) {
  const key = convKey(appId, openid)
  if (!name || profileNames.get(key) === name) return
  profileNames.set(key, name)
  emit('customer-named', { appId, openid })
}

/** The name to show for a conversation's customer (`full`: the whole openid when there is no name). */
export function customerName (c, full = false) {
  return c.displayName || profileNames.get(convKey(c.appId, c.openid)) || (full ? c.openid : shortId(c.openid))
}
