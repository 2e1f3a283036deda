import { runService } from '@kefu/service'
import * as sync from './app.js'

runService('sync', sync, (url, config) => `sync listening on ${url}: open ${config.publicUrl}/ (client ${config.clientId} of ${config.authUrl}; register ${config.publicUrl}/sso/callback as its redirect URI and ${config.publicUrl}/sso/logout as its logoutUri)`)
