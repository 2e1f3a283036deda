// HAProxy (Debian's package) in front of the service processes, as an operator would put it: one frontend per
// service, round robin over its instances, `option httpchk GET /readyz` every second. Its configuration is written
// into a temporary directory; its stats socket tells which servers it sees up.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import type { ServiceProcess } from './processes.js'

export const HAPROXY = process.env.HAPROXY_PATH ?? '/usr/sbin/haproxy'

export interface Frontend { name: string, port: number, servers: ServiceProcess[] }

/**
 * The configuration: round robin, a check of /readyz every second (a server is out after 2 failed checks, back after
 * 2 good ones), a connection that cannot be made is tried again on the other server (`retries`, `option redispatch`),
 * one request per server connection (`option http-server-close`: no request is sent on a connection the service is
 * closing), and `X-Kefu-Server` names the instance that answered.
 */
export function haproxyConfig (frontends: Frontend[], statsSocket: string): string {
  return `global
  stats socket ${statsSocket} mode 600 level admin
  maxconn 2000

defaults
  mode http
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter 1s fall 2 rise 2
  option redispatch
  retries 3
  option http-server-close
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 10s
${frontends.map((f) => `
frontend ${f.name}
  bind 127.0.0.1:${f.port}
  default_backend ${f.name}_servers

backend ${f.name}_servers
  http-response set-header X-Kefu-Server %s
${f.servers.map((s) => `  server ${s.name} 127.0.0.1:${s.port} check`).join('\n')}
`).join('')}`
}

export interface Haproxy {
  /** http://127.0.0.1:<port> of each frontend, by name. */
  url: (frontend: string) => string
  /** UP / DOWN / … of each server, by name, from the stats socket. */
  status: () => Promise<Record<string, string>>
  /** Resolves once HAProxy reports `server` as `state` (UP, DOWN) . */
  waitFor: (server: string, state: 'UP' | 'DOWN', ms?: number) => Promise<number>
  version: string
  stop: () => Promise<void>
}

function statsCommand (socket: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect(socket)
    let data = ''
    c.setEncoding('utf8')
    c.on('data', (chunk: string) => { data += chunk })
    c.once('end', () => { resolve(data) })
    c.once('error', reject)
    c.write(command + '\n')
  })
}

export async function startHaproxy (frontends: Frontend[]): Promise<Haproxy> {
  if (!existsSync(HAPROXY)) throw new Error(`HAProxy is not installed at ${HAPROXY} (apt-get install haproxy, or set HAPROXY_PATH)`)
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kefu-haproxy-'))
  const socket = path.join(dir, 'admin.sock')
  const cfg = path.join(dir, 'haproxy.cfg')
  writeFileSync(cfg, haproxyConfig(frontends, socket))
  const check = spawn(HAPROXY, ['-c', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] })
  let checkOut = ''
  check.stdout.on('data', (c: Buffer) => { checkOut += c.toString() })
  check.stderr.on('data', (c: Buffer) => { checkOut += c.toString() })
  if (await new Promise((resolve) => check.once('exit', resolve)) !== 0) throw new Error(`haproxy -c refused the configuration: ${checkOut}`)
  const version = await new Promise<string>((resolve) => {
    const v = spawn(HAPROXY, ['-v'], { stdio: ['ignore', 'pipe', 'ignore'] })
    let text = ''
    v.stdout.on('data', (c: Buffer) => { text += c.toString() })
    v.once('exit', () => { resolve(/HAProxy version (\S+)/.exec(text)?.[1] ?? 'unknown') })
  })
  // -db: in the foreground, so that it is this process's child and ends with it.
  const child: ChildProcess = spawn(HAPROXY, ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', (c: Buffer) => { out += c.toString() })
  child.stderr!.on('data', (c: Buffer) => { out += c.toString() })
  const exited = new Promise((resolve) => { child.once('exit', resolve) })

  const status = async (): Promise<Record<string, string>> => {
    const csv = await statsCommand(socket, 'show stat')
    const rows = csv.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(','))
    return Object.fromEntries(rows.filter((r) => r[1] !== 'FRONTEND' && r[1] !== 'BACKEND').map((r) => [r[1]!, r[17]!.split(' ')[0]!]))
  }
  const waitFor = async (server: string, state: 'UP' | 'DOWN', ms = 15_000): Promise<number> => {
    const at = Date.now()
    for (;;) {
      if (child.exitCode !== null) throw new Error(`haproxy exited: ${out}`)
      const now = await status().catch(() => ({} as Record<string, string>))
      if (now[server] === state) return Date.now() - at
      if (Date.now() - at > ms) throw new Error(`haproxy: ${server} not ${state} within ${ms} ms (${JSON.stringify(now)})`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    for (const f of frontends) for (const s of f.servers) await waitFor(s.name, 'UP')
  } catch (err) {
    await stop()
    throw err
  }
  return {
    url: (name) => `http://127.0.0.1:${frontends.find((f) => f.name === name)!.port}`,
    status,
    waitFor,
    version,
    stop
  }
}
