// Verifies the package as npm would ship it: every path in `exports` (and main/module/types)
// exists after the build and is inside the packed file list.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
const paths = new Set()
const walk = (v) => {
  if (typeof v === 'string') paths.add(v)
  else if (v && typeof v === 'object') Object.values(v).forEach(walk)
}
walk(pkg.exports)
for (const key of ['main', 'module', 'types', 'unpkg', 'jsdelivr'])
  if (pkg[key]) paths.add(pkg[key])

const packed = JSON.parse(
  execFileSync('npm', ['pack', '--dry-run', '--json'], { encoding: 'utf8' }),
)[0]
const files = new Set(packed.files.map((f) => f.path))
const problems = []
for (const p of paths) {
  const rel = p.replace(/^\.\//, '')
  if (!existsSync(new URL(`../${rel}`, import.meta.url)))
    problems.push(`${p}: missing (run npm run build)`)
  else if (!files.has(rel)) problems.push(`${p}: not in the packed files`)
}
for (const f of files) {
  if (
    !f.startsWith('dist/') &&
    !['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md'].includes(f)
  ) {
    problems.push(`${f}: packed but not meant to ship`)
  }
}
// steadysocket/server is Node only: none of its code may reach a browser entry, a UMD file or a
// chunk they import. The markers must be found in dist/server.js, or this check proves nothing.
const serverMarkers = [
  'node:crypto',
  'randomBytes',
  'ResumableServer',
  'ServerSession',
  'MemoryStore',
]
const read = (rel) => readFileSync(new URL(`../dist/${rel}`, import.meta.url), 'utf8')
if (existsSync(new URL('../dist/server.js', import.meta.url))) {
  const server = read('server.js')
  for (const m of serverMarkers)
    if (!server.includes(m))
      problems.push(`dist/server.js: marker ${m} not found (update the list)`)
  const browser = ['', 'chunks/']
    .flatMap((dir) => readdirSync(new URL(`../dist/${dir}`, import.meta.url)).map((f) => dir + f))
    .filter((f) => /\.c?js$/.test(f) && !/^server\.c?js$/.test(f))
  for (const f of browser) {
    const code = read(f)
    for (const m of serverMarkers)
      if (code.includes(m)) problems.push(`dist/${f}: contains server code (${m})`)
    if (
      /^import [^;]*from ['"](ws|node:[\w/]+)['"]|require\(['"](ws|node:[\w/]+)['"]\)/m.test(code)
    )
      problems.push(`dist/${f}: imports ws or a Node built-in`)
  }
}
if (problems.length) {
  console.error(`check-package: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`)
  process.exit(1)
}
console.log(
  `check-package: ${paths.size} entry paths present; ${files.size} files, ${(packed.size / 1024).toFixed(1)} KiB packed`,
)
