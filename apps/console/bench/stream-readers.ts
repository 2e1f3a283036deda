// The bench's team of agents: their live streams opened and read to the end by a process of their own
// (stream-readers.mjs), with plain node:http. Their browsers run on other machines in production; read in the
// bench's process through fetch and web streams, they shared the event loop and the CPU figure of the consoles
// being measured.
import { fork } from 'node:child_process'
import { once } from 'node:events'

export interface StreamReaders {
  /** Opens a stream at `url` (GET, `headers`); resolves once it answered 200, rejects on anything else. */
  open: (url: string, headers: Record<string, string>) => Promise<void>
  /** The events and bytes read so far on every stream, and the readers' process's CPU time (µs). */
  count: () => Promise<{ events: number, bytes: number, cpuUs: number }>
  close: () => Promise<void>
}

interface Answer { op: string, id: number, status?: number, error?: string, total?: number, bytes?: number, cpu?: number }

export function startStreamReaders (): StreamReaders {
  const child = fork(new URL('./stream-readers.mjs', import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const waiting = new Map<number, (m: Answer) => void>()
  child.on('message', (m: Answer) => { waiting.get(m.id)?.(m) })
  let next = 0
  async function ask (message: Record<string, unknown>): Promise<Answer> {
    const id = next++
    const answer = await new Promise<Answer>((resolve) => {
      waiting.set(id, resolve)
      child.send({ ...message, id })
    })
    waiting.delete(id)
    return answer
  }
  return {
    async open (url, headers) {
      const answer = await ask({ op: 'open', url, headers })
      if (answer.status !== 200) throw new Error(`events: ${answer.status ?? 0} ${answer.error ?? ''}`)
    },
    async count () {
      const answer = await ask({ op: 'count' })
      return { events: answer.total ?? 0, bytes: answer.bytes ?? 0, cpuUs: answer.cpu ?? 0 }
    },
    async close () {
      if (child.exitCode !== null || !child.connected) return
      const exited = once(child, 'exit')
      child.send({ op: 'close' })
      await exited
    }
  }
}
