import { readInt, readString, type Env } from './config.js'

/** Where `pnpm start` serves, for itself and for the tools that talk to it (pnpm wechat:push). */
export interface LauncherAddresses {
  /** ingest on BASE_PORT, auth +1, sync +2, console +3, the demo's stand-in for WeChat +4, the worker +9 (/healthz, /readyz). */
  ports: { ingest: number, auth: number, sync: number, console: number, wechat: number, worker: number }
  /** Each service's /metrics listener: ingest +5, auth +6, sync +7, console +8, the worker +10. */
  metricsPorts: { ingest: number, auth: number, sync: number, console: number, worker: number }
  /** The URL on this machine of one of those ports (HOST, or loopback when it listens on every address). */
  url: (port: number) => string
}

/** BASE_PORT and HOST, read as pnpm start reads them. */
export function readLauncherAddresses (env: Env): LauncherAddresses {
  const basePort = readInt(env, 'BASE_PORT', 3000, { min: 1, max: 65535 - 10 })
  const host = readString(env, 'HOST', '127.0.0.1')
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host
  return {
    ports: { ingest: basePort, auth: basePort + 1, sync: basePort + 2, console: basePort + 3, wechat: basePort + 4, worker: basePort + 9 },
    metricsPorts: { ingest: basePort + 5, auth: basePort + 6, sync: basePort + 7, console: basePort + 8, worker: basePort + 10 },
    url: (port) => `http://${urlHost}:${port}`
  }
}
