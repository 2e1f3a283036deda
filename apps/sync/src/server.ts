import { exitOnStartError, runService, trustProxyOption } from '@kefu/service'
import syncApp from './app.js'
import { loadConfig } from './config.js'


async function main (): Promise<void> {
  const config = loadConfig(process.env)
  await runService({
    name: 'sync',
    app: syncApp,
    appOptions: {
      publicUrl: config.publicUrl,
      authUrl: config.authUrl,
      authInternalUrl: config.authInternalUrl,
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      session: config.session,
      redisUrl: config.redisUrl
    },
    port: config.port,
    host: config.host,
    logLevel: config.logLevel,
    fastify: {
      bodyLimit: 64 * 1024,
      trustProxy: trustProxyOption(config.trustProxy)
    },
    banner: (url) => `sync listening on ${url}: open ${config.publicUrl}/ (client ${config.clientId} of ${config.authUrl}; register ${config.publicUrl}/sso/callback as its redirect URI and ${config.publicUrl}/sso/logout as its logoutUri)`
  })
}

main().catch(exitOnStartError('sync'))
