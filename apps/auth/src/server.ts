import { exitOnStartError, runService } from '@kefu/service'
import authApp from './app.js'
import { appOptions, loadConfig, serverOptions } from './config.js'

async function main (): Promise<void> {
  const config = loadConfig(process.env)
  await runService({
    name: 'auth',
    app: authApp,
    appOptions: appOptions(config),
    port: config.port,
    host: config.host,
    metrics: config.metrics,
    logLevel: config.logLevel,
    fastify: serverOptions(config),
    banner: (url) => {
      const clients = config.clients.length === 0 ? 'no SSO clients registered (set SSO_CLIENTS)' : `SSO clients: ${config.clients.map((c) => c.clientId).join(', ')}`
      const secret = config.session.secretGenerated ? '; SESSION_SECRET generated for this start' : ''
      return `auth listening on ${url}: sign in at ${config.publicUrl}/login; ${clients}${secret}; add accounts with pnpm --filter @kefu/auth user:add <username> -`
    }
  })
}

main().catch(exitOnStartError('auth'))
