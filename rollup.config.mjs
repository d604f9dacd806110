import typescript from '@rollup/plugin-typescript'
import terser from '@rollup/plugin-terser'
import { nodeResolve } from '@rollup/plugin-node-resolve'
import { dts } from 'rollup-plugin-dts'

// Every package entry: later entries (react, vue, svelte, testing, tabs) are added here and share
// the core through rollup's chunking instead of each bundling their own copy of the class.
const entries = {
  index: 'src/index.ts',
  testing: 'src/testing/index.ts',
  react: 'src/react.ts',
  vue: 'src/vue.ts',
  svelte: 'src/svelte.ts',
  tabs: 'src/tabs.ts',
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
const external = (id) => /^(react|vue|svelte)(\/|$)/.test(id)
// The chunk with the class is named after socket.ts: left to itself, rollup names it after the
// index entry when no external import keeps that entry a separate facade (since mitt went).
const chunkName = (ext) => (chunk) =>
  `chunks/${chunk.moduleIds.some((id) => id.endsWith('/src/socket.ts')) ? 'socket' : '[name]'}-[hash].${ext}`

export default [
  {
    input: entries,
    external,
    plugins: [ts()],
    output: [
      {
        dir: 'dist',
        format: 'es',
        entryFileNames: '[name].js',
        chunkFileNames: chunkName('js'),
        sourcemap: true,
      },
      {
        dir: 'dist',
        format: 'cjs',
        entryFileNames: '[name].cjs',
        chunkFileNames: chunkName('cjs'),
        sourcemap: true,
        exports: 'named',
      },
    ],
  },
  {
    input: entries,
    external,
    plugins: [dts({ tsconfig: './tsconfig.build.json' })],
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
    // Script-tag build: the global is the class itself.
    input: 'src/umd.ts',
    plugins: [nodeResolve(), ts(), production()],
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
    plugins: [nodeResolve(), ts(), production()],
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
