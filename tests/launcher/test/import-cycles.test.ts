// No module of an app or package imports itself back, directly or through others. Type-only imports count: a loop of
// types still ties two modules into one (each app's app.ts and config.ts once read each other's exports), and a value
// loop makes what a module sees at start depend on which of the two was imported first.
import t from 'tap'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import ts from 'typescript'
import { ROOT } from './helper.js'

/** The relative specifiers a module imports or re-exports, statically or with import(), values and types alike. */
export function specifiers (file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, file.endsWith('.ts') ? ts.ScriptKind.TS : ts.ScriptKind.JS)
  const found: string[] = []
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text)
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] !== undefined && ts.isStringLiteralLike(node.arguments[0])) {
      found.push(node.arguments[0].text)
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push(node.argument.literal.text)
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found.filter((s) => s.startsWith('.'))
}

/** The file a relative specifier names: `./x.js` is x.ts in TypeScript sources (NodeNext), the .js file itself in browser code. */
function resolve (from: string, specifier: string, exists: (file: string) => boolean): string | undefined {
  const target = path.resolve(path.dirname(from), specifier)
  const candidates = from.endsWith('.ts') ? [target.replace(/\.js$/, '.ts'), path.join(target, 'index.ts'), target] : [target]
  return candidates.find(exists)
}

/** Every source module under a workspace's src: TypeScript, and the console's browser modules. Generated code is not ours. */
function sources (dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts') && !f.split(path.sep).includes('generated'))
    .map((f) => path.join(dir, f))
}

/** Which of these modules each one imports. */
export function importGraph (files: string[], read: (file: string) => string, exists: (file: string) => boolean): Map<string, string[]> {
  return new Map(files.map((f) => [f, specifiers(f, read(f)).map((s) => resolve(f, s, exists)).filter((r): r is string => r !== undefined)]))
}

/** The import loops of a graph: each strongly connected group of two or more modules (or one importing itself). */
export function loops (edges: Map<string, string[]>): string[][] {
  // Tarjan's algorithm; recursion is deep enough for a workspace's few hundred modules.
  let next = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const groups: string[][] = []
  const connect = (v: string): void => {
    index.set(v, next)
    low.set(v, next++)
    stack.push(v)
    onStack.add(v)
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = []
      let w: string
      do {
        w = stack.pop()!
        onStack.delete(w)
        group.push(w)
      } while (w !== v)
      if (group.length > 1 || (edges.get(v) ?? []).includes(v)) groups.push(group.sort())
    }
  }
  for (const v of edges.keys()) if (!index.has(v)) connect(v)
  return groups
}

t.test('the check finds a loop, of types too, and none once the types have a module of their own', async (t) => {
  const texts: Record<string, string> = {
    '/x/app.ts': "import { loadConfig } from './config.js'\nexport type { Options } from './options.js'\nexport default function app () {}",
    '/x/config.ts': "import type { Options } from './app.js'\nexport function loadConfig (): Options { return { a: '' } }",
    '/x/options.ts': 'export interface Options { a: string }',
    '/x/server.ts': "import app from './app.js'\nconst page = await import('./page.js')",
    '/x/page.ts': "import { loadConfig } from './config.js'"
  }
  const graph = (): Map<string, string[]> => importGraph(Object.keys(texts), (f) => texts[f]!, (f) => f in texts)
  t.same(specifiers('/x/config.ts', texts['/x/config.ts']!), ['./app.js'], 'a type-only import is an import')
  t.same(graph().get('/x/server.ts'), ['/x/app.ts', '/x/page.ts'], 'import() too')
  t.same(loops(graph()), [['/x/app.ts', '/x/config.ts']])
  texts['/x/config.ts'] = "import type { Options } from './options.js'\nexport function loadConfig (): Options { return { a: '' } }"
  t.same(loops(graph()), [])
  texts['/x/options.ts'] = "import type { Options as O } from './options.js'\nexport interface Options { a: string }"
  t.same(loops(graph()), [['/x/options.ts']], 'a module importing itself')
})

const workspaces = ['apps', 'packages'].flatMap((group) => readdirSync(path.join(ROOT, group)).map((name) => path.join(group, name)))
  .filter((w) => existsSync(path.join(ROOT, w, 'src')))

for (const workspace of workspaces) {
  t.test(`${workspace}: no import loops`, async (t) => {
    const files = sources(path.join(ROOT, workspace, 'src'))
    t.ok(files.length > 0, `${files.length} modules`)
    const found = loops(importGraph(files, (f) => readFileSync(f, 'utf8'), existsSync)).map((group) => group.map((f) => path.relative(path.join(ROOT, workspace), f)))
    t.same(found, [], found.map((g) => g.join(' ↔ ')).join('; ') || 'none')
  })
}
