export { ssoClient, ssoClient as default } from './plugin.js'
export type { SsoClientApi, SsoClientOptions, SsoUser } from './api.js'
export { renderPageScript, renderSignInGate, type PageScriptConfig, type SignInGateText } from './page-script.js'
export { pickLang, type Lang } from './lang.js'
export { AuthClient, type AuthClientOptions } from './auth-client.js'
export {
  AuthUnavailableError, BadLogoutError, CsrfError, LoginRequiredError, SsoConfigError, SsoError, TicketRefusedError
} from './errors.js'
export {
  basicAuthorization, CLIENT_ID_RE, exactOrigin, MIN_CLIENT_SECRET_LENGTH, parseBasicAuthorization, safeReturnPath,
  secretsEqual, SID_RE, SIGNATURE_HEADER, signBody, signLogoutMessage, STATE_RE, TICKET_RE, verifyLogoutMessage,
  type LoginState, type LogoutMessage, type LogoutVerdict, type Redemption, type TicketAnswer
} from './protocol.js'
export { bSiteOptions, readBSiteConfig, readSsoClientConfig, type BSiteConfig, type SsoClientConfig } from './config.js'
export { openSessionStore } from './session-store.js'
