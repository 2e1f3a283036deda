import t from 'tap'
import { readSsoClientConfig } from '../src/index.js'

const secret = 'c'.repeat(32)
const defaults = { port: 3002, clientId: 'sync' }

t.test('defaults: this site on 127.0.0.1:<port>, A at 127.0.0.1:3001, AUTH_INTERNAL_URL from AUTH_URL', async (t) => {
  t.same(readSsoClientConfig({ CLIENT_SECRET: secret }, defaults), {
    publicUrl: 'http://127.0.0.1:3002',
    authUrl: 'http://127.0.0.1:3001',
    authInternalUrl: 'http://127.0.0.1:3001',
    clientId: 'sync',
    clientSecret: secret
  })
})

t.test('bad values stop with one line naming the variable', async (t) => {
  const bad: Array<[Record<string, string>, string]> = [
    [{}, "CLIENT_SECRET is required: the clientSecret of sync in the A site's SSO_CLIENTS"],
    [{ CLIENT_SECRET: 'short' }, 'CLIENT_SECRET must be at least 32 characters, got 5'],
    [{ CLIENT_SECRET: 'change-me-sync-client-secret-32-chars-min' }, 'CLIENT_SECRET is still the placeholder from .env.example: set a secret of your own'],
    [{ CLIENT_SECRET: 'Change-Me' }, 'CLIENT_SECRET is still the placeholder from .env.example: set a secret of your own'],
    [{ CLIENT_SECRET: secret, CLIENT_ID: 'a b' }, 'CLIENT_ID must be 1 to 64 letters, digits, \'.\', \'_\' or \'-\', got "a b"'],
    [{ CLIENT_SECRET: secret, AUTH_URL: 'http://127.0.0.1:3002' }, 'AUTH_URL and PUBLIC_URL are both http://127.0.0.1:3002: a B site needs its own origin']
  ]
  for (const [env, message] of bad) t.throws(() => readSsoClientConfig(env, defaults), { name: 'ConfigError', message }, message)
})
