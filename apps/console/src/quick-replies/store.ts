import { Prisma, type PrismaClient } from '@kefu/db'

type Row = Prisma.QuickReplyGetPayload<object>

/** shared: every agent of one mini program sees it, administrators manage it; personal: one agent's own. */
export interface QuickReply {
  id: string
  scope: 'shared' | 'personal'
  /** The mini program of a shared one. */
  appId?: string
  /** The agent a personal one belongs to. */
  owner?: string
  shortcut: string
  text: string
  createdBy: string
  updatedAt: number
}

export class DuplicateShortcut extends Error {
  override name = 'DuplicateShortcut'
}

function item (row: Row): QuickReply {
  return {
    id: row.id.toString(),
    scope: row.scope === 'app' ? 'shared' : 'personal',
    ...(row.scope === 'app' ? { appId: row.scopeId } : { owner: row.scopeId }),
    shortcut: row.shortcut,
    text: row.text,
    createdBy: row.createdBy,
    updatedAt: row.updatedAt.getTime()
  }
}

function isUniqueViolation (err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002'
}

export class QuickReplyStore {
  readonly #prisma: PrismaClient

  constructor (prisma: PrismaClient) {
    this.#prisma = prisma
  }

  /** The shared quick replies of `appIds` and the agent's own, by shortcut. */
  async list (appIds: string[], username: string): Promise<QuickReply[]> {
    const rows = await this.#prisma.quickReply.findMany({
      where: { OR: [{ scope: 'app', scopeId: { in: appIds } }, { scope: 'agent', scopeId: username }] },
      orderBy: [{ shortcut: 'asc' }, { id: 'asc' }],
      take: 1000
    })
    return rows.map(item)
  }

  async get (id: string): Promise<QuickReply | null> {
    const row = await this.#prisma.quickReply.findUnique({ where: { id: BigInt(id) } })
    return row === null ? null : item(row)
  }

  async create (owner: { appId: string } | { username: string }, data: { shortcut: string, text: string }, by: string): Promise<QuickReply> {
    const scope = 'appId' in owner ? { scope: 'app', scopeId: owner.appId } : { scope: 'agent', scopeId: owner.username }
    try {
      return item(await this.#prisma.quickReply.create({ data: { ...scope, ...data, createdBy: by } }))
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateShortcut(data.shortcut)
      throw err
    }
  }

  async update (id: string, data: { shortcut: string, text: string }): Promise<QuickReply> {
    try {
      return item(await this.#prisma.quickReply.update({ where: { id: BigInt(id) }, data }))
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateShortcut(data.shortcut)
      throw err
    }
  }

  async delete (id: string): Promise<void> {
    await this.#prisma.quickReply.deleteMany({ where: { id: BigInt(id) } })
  }
}
