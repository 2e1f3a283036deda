import { exitOnStartError, runService, trustProxyOption } from '@kefu/service'
import consoleApp from './app.js'
import { loadConfig } from './config.js'

async function main (): Promise<void> {
  const config = loadConfig(process.env)
  await runService({
    name: 'console',
    app: consoleApp,
    appOptions: {
      publicUrl: config.publicUrl,
      authUrl: config.authUrl,
      authInternalUrl: config.authInternalUrl,
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      session: { secret: config.session.secret, idleTimeoutS: config.session.idleTimeoutS, absoluteTimeoutS: config.session.absoluteTimeoutS },
      apps: config.apps,
      databaseUrl: config.databaseUrl,
      poolMax: config.poolMax,
      redisUrl: config.redisUrl,
      wechatApiBase: config.wechatApiBase,
      repliesPerMinute: config.repliesPerMinute
    },
    port: config.port,
    host: config.host,
    logLevel: config.logLevel,
    fastify: { bodyLimit: 1024 * 1024, trustProxy: trustProxyOption(config.trustProxy) },
    banner: (url) => `console listening on ${url} (public ${config.publicUrl}), signing in through ${config.authUrl}`
  })
}

main().catch(exitOnStartError('console'))
