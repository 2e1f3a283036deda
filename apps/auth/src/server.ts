import { runService } from '@kefu/service'
import * as auth from './app.js'

runService('auth', auth, (url, config) => {
  const clients = config.clients.length === 0 ? 'no SSO clients registered (set SSO_CLIENTS)' : `SSO clients: ${config.clients.map((c) => c.clientId).join(', ')}`
  const secret = config.session.secretGenerated ? '; SESSION_SECRET generated for this start' : ''
  return `auth listening on ${url}: sign in at ${config.publicUrl}/login; ${clients}${secret}; add accounts with pnpm --filter @kefu/auth user:add <username> -`
})
