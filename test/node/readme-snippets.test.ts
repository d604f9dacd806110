// Every TypeScript snippet in the README (```ts and ```tsx blocks, and the script of the Vue
// example) type-checks against the built package, resolved through its own exports map as a user's
// project resolves it. Snippets are fragments: the names they use without defining (a `socket`, a
// `url`, the message types) get a declaration from CONTEXT below, and nothing else.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import ts from 'typescript'
import { describe, expect, test } from 'vitest'
import { TOOL_TIMEOUT } from './timeouts'

const root = join(import.meta.dirname, '../..')

/** Declarations for names the README's fragments take from their surroundings. */
const CONTEXT: Record<string, string> = {
  SteadySocket: `import { SteadySocket } from 'steadysocket'`,
  json: `import { json } from 'steadysocket'`,
  ServerMsg: `type ServerMsg =
  | { type: 'price'; symbol: string; price: number }
  | { type: 'auth-ok' }
  | { type: 'auth-failed'; reason: string }`,
  ClientMsg: `type ClientMsg = { type: 'subscribe'; symbol: string } | { type: 'auth'; token: string }`,
  socket: `declare const socket: import('steadysocket').SteadySocket<string | ArrayBuffer, string | ArrayBuffer>`,
  url: `declare const url: string`,
  auth: `declare const auth: { freshToken(): Promise<string> }`,
  getToken: `declare function getToken(): string`,
  chunks: `declare const chunks: ArrayBuffer[]`,
  wss: `declare const wss: import('ws').WebSocketServer`,
  render: `declare function render(message: ServerMsg): void`,
}

type Snippet = { line: number; lang: string; code: string }

function snippets(): Snippet[] {
  const lines = readFileSync(join(root, 'README.md'), 'utf8').split('\n')
  const out: Snippet[] = []
  for (let i = 0; i < lines.length; i++) {
    const lang = /^```(ts|tsx|vue)$/.exec(lines[i]!)?.[1]
    if (!lang) continue
    const start = i + 1
    while (i + 1 < lines.length && lines[i + 1] !== '```') i++
    let code = lines.slice(start, i + 1).join('\n')
    if (lang === 'vue')
      code = /<script setup lang="ts">\n([\s\S]*?)<\/script>/.exec(code)?.[1] ?? ''
    out.push({ line: start, lang, code })
  }
  return out
}

/** The snippet as a module, preceded by the context for each name it uses and does not define. */
function withContext(code: string): string {
  const defines = (name: string) =>
    new RegExp(`(const|let|type|function|class)\\s+${name}\\b|import[^\\n]*\\b${name}\\b`).test(
      code,
    )
  const needed = new Set<string>()
  const add = (name: string) => {
    if (needed.has(name) || defines(name)) return
    needed.add(name)
    // A context declaration may itself use another context name (render uses ServerMsg).
    for (const other of Object.keys(CONTEXT))
      if (other !== name && new RegExp(`\\b${other}\\b`).test(CONTEXT[name]!)) add(other)
  }
  for (const name of Object.keys(CONTEXT)) if (new RegExp(`\\b${name}\\b`).test(code)) add(name)
  return [...needed].map((n) => CONTEXT[n]).join('\n') + '\n' + code + '\nexport {}\n'
}

function typeErrors(files: Map<string, string>): string[] {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.esnext.disposable.d.ts'],
    jsx: ts.JsxEmit.ReactJSX,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
  }
  const host = ts.createCompilerHost(options)
  const getSourceFile = host.getSourceFile.bind(host)
  host.getSourceFile = (name, version) => {
    const text = files.get(name)
    return text === undefined
      ? getSourceFile(name, version)
      : ts.createSourceFile(name, text, version)
  }
  const fileExists = host.fileExists.bind(host)
  host.fileExists = (name) => files.has(name) || fileExists(name)
  const readFile = host.readFile.bind(host)
  host.readFile = (name) => files.get(name) ?? readFile(name)
  const program = ts.createProgram([...files.keys()], options, host)
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file
      ? `${d.file.fileName.slice(root.length + 1)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}`
      : ''
    return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`
  })
}

describe('README snippets', { timeout: TOOL_TIMEOUT }, () => {
  const found = snippets()

  test('there are snippets to check, the Vue one included', () => {
    expect(found.length).toBeGreaterThanOrEqual(12)
    expect(found.some((s) => s.lang === 'vue' && s.code.includes('useSteadySocket'))).toBe(true)
  })

  test('every snippet type-checks against the built package', () => {
    // Virtual files next to package.json, so 'steadysocket' resolves through its exports map to
    // dist/ and the other imports to node_modules, as in a user's project.
    const files = new Map(
      found.map((s) => [
        join(root, `readme-line-${s.line}.${s.lang === 'tsx' ? 'tsx' : 'ts'}`),
        withContext(s.code),
      ]),
    )
    expect(typeErrors(files)).toEqual([])
  })

  test('a wrong snippet is caught (the check can fail)', () => {
    const file = join(root, 'readme-line-0.ts')
    const code = withContext(`socket.send(42)\nsocket.on('opened', () => {})`)
    expect(typeErrors(new Map([[file, code]]))).toHaveLength(2)
  })
})
