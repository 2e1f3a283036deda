import { runService } from '@kefu/service'
import * as kefuConsole from './app.js'

runService('console', kefuConsole, (url, config) => `console listening on ${url} (public ${config.publicUrl}), signing in through ${config.authUrl}`)
