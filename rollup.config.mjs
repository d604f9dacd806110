import typescript from '@rollup/plugin-typescript'
import terser from '@rollup/plugin-terser'
import { nodeResolve } from '@rollup/plugin-node-resolve'
import { dts } from 'rollup-plugin-dts'
import MagicString from 'magic-string'
import { readFileSync, readdirSync } from 'node:fs'

// Every package entry: later entries (react, vue, svelte, testing, tabs) are added here and share
// the core through rollup's chunking instead of each bundling their own copy of the class.
const entries = {
  index: 'src/index.ts',
  testing: 'src/testing/index.ts',
  react: 'src/react.ts',
  vue: 'src/vue.ts',
  svelte: 'src/svelte.ts',
  tabs: 'src/tabs.ts',
  // Node only (node:crypto, ws types): never imported by the browser entries or the UMD builds.
  server: 'src/server/index.ts',
}

const ts = () =>
  typescript({
    tsconfig: './tsconfig.build.json',
    declaration: false,
    sourceMap: true,
    noEmitOnError: true,
  })
// `[Symbol.dispose]` is declared on the class: bring its lib into the consumer's program, so a
// project compiled with an older `lib` setting still type-checks the declarations.
const banner = '/// <reference lib="esnext.disposable" />'
// Script-tag files are production builds: no bundler will replace process.env.NODE_ENV there, so
// it is replaced here and the minifier drops the development-only messages (see src/options.ts).
const production = () => ({
  name: 'production',
  transform: (code) =>
    code.includes('process.env.NODE_ENV')
      ? { code: code.replaceAll('process.env.NODE_ENV', '"production"'), map: null }
      : null,
})
// Internal members shared between classes (`protected _phase`, marked @internal) cannot be
// `#private`, so minifiers keep their names: they are renamed to two characters here, with one
// table for every build and entry (sorted names, so the same name always gets the same short
// one). Only names declared as protected/private members in src/ are touched.
const internalNames = (() => {
  const names = new Set()
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = `${dir}/${e.name}`
      if (e.isDirectory()) walk(path)
      else if (path.endsWith('.ts'))
        for (const m of readFileSync(path, 'utf8').matchAll(
          /\b(?:protected|private)\s+(?:readonly\s+|abstract\s+)*(_[a-zA-Z]\w*)|^\s+(?:readonly\s+)?(_[a-zA-Z]\w*)\??(?=\s*[(:=!<])/gm,
        ))
          names.add(m[1] ?? m[2])
    }
  }
  walk('src')
  const short = (i) => `_${i.toString(36)}`
  return new Map([...names].sort().map((name, i) => [name, short(i)]))
})()
const mangle = () => ({
  name: 'internal-names',
  transform(code, id) {
    if (!id.includes('/src/')) return null
    const s = new MagicString(code)
    for (const m of code.matchAll(/\b_[a-zA-Z]\w*\b/g)) {
      const to = internalNames.get(m[0])
      if (to) s.overwrite(m.index, m.index + m[0].length, to)
    }
    return s.hasChanged() ? { code: s.toString(), map: s.generateMap({ hires: true }) } : null
  },
})
const external = (id) =>
  id === 'mitt' || /^(react|vue|svelte|ws)(\/|$)/.test(id) || id.startsWith('node:')

export default [
  {
    input: entries,
    external,
    plugins: [ts(), mangle()],
    output: [
      {
        dir: 'dist',
        format: 'es',
        entryFileNames: '[name].js',
        chunkFileNames: 'chunks/[name]-[hash].js',
        sourcemap: true,
      },
      {
        dir: 'dist',
        format: 'cjs',
        entryFileNames: '[name].cjs',
        chunkFileNames: 'chunks/[name]-[hash].cjs',
        sourcemap: true,
        exports: 'named',
      },
    ],
  },
  {
    input: entries,
    external,
    plugins: [dts({ tsconfig: './tsconfig.build.json', compilerOptions: { stripInternal: true } })],
    output: [
      {
        dir: 'dist',
        format: 'es',
        entryFileNames: '[name].d.ts',
        chunkFileNames: 'chunks/[name]-[hash].d.ts',
        banner,
      },
      {
        dir: 'dist',
        format: 'es',
        entryFileNames: '[name].d.cts',
        chunkFileNames: 'chunks/[name]-[hash].d.cts',
        banner,
      },
    ],
  },
  {
    // Script-tag build: mitt is bundled in, the global is the class itself.
    input: 'src/umd.ts',
    plugins: [nodeResolve(), ts(), mangle(), production()],
    output: [
      {
        file: 'dist/steadysocket.umd.js',
        format: 'umd',
        name: 'SteadySocket',
        exports: 'default',
        sourcemap: true,
      },
      {
        file: 'dist/steadysocket.umd.min.js',
        format: 'umd',
        name: 'SteadySocket',
        exports: 'default',
        sourcemap: true,
        plugins: [terser({ compress: { passes: 2 }, mangle: { properties: false } })],
      },
    ],
  },
  {
    // Script-tag build of steadysocket/tabs (self-contained): the global `TabSocket` is the class.
    input: 'src/tabs/umd.ts',
    plugins: [nodeResolve(), ts(), mangle(), production()],
    output: {
      file: 'dist/steadysocket-tabs.umd.min.js',
      format: 'umd',
      name: 'TabSocket',
      exports: 'default',
      sourcemap: true,
      plugins: [terser({ compress: { passes: 2 }, mangle: { properties: false } })],
    },
  },
]
