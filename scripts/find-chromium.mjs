// Finds a Chromium for the browser tests and the benchmarks, in this order: $CHROMIUM_PATH, then
// a system install, then the binary shipped inside the npm package @sparticuz/chromium (a
// devDependency, so `npm install` is enough on a machine with no browser). Never downloads.
//
//   node scripts/find-chromium.mjs   prints the browser found, or one line saying how to get one
//                                    (exit 1); with SKIP_BROWSER=1 it looks for nothing.
import { execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Where a system Chromium or Chrome usually is (Debian/Ubuntu/Fedora/Arch, Google's packages, macOS). */
export const SYSTEM_CHROMIUMS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome-stable',
  '/usr/bin/google-chrome',
  '/opt/google/chrome/chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
]

export const PACKAGE = '@sparticuz/chromium'

const HOW_TO_FIX =
  'set CHROMIUM_PATH=/path/to/chromium, apt-get install chromium, or npm install ' +
  `(it brings ${PACKAGE}); SKIP_BROWSER=1 skips the browser tests`

/** Thrown when no Chromium runs; its message is one line that says how to fix it. */
export class ChromiumNotFoundError extends Error {
  constructor(message) {
    super(message)
    this.name = 'ChromiumNotFoundError'
  }
}

/**
 * The first Chromium that runs (`--version` answers), as `{ path, version, source, env }`:
 * `source` is `'CHROMIUM_PATH'`, `'system'` or `'@sparticuz/chromium'`, and `env` holds the
 * variables to add to the browser's environment. A `CHROMIUM_PATH` that does not run is an error,
 * not a reason to look elsewhere. The options replace the real candidates (for tests).
 */
export async function findChromium({
  env = process.env,
  system = SYSTEM_CHROMIUMS,
  packaged = unpackPackaged,
  probe = probeVersion,
} = {}) {
  const tried = []
  const attempt = async (path, source, variants) => {
    for (const extra of variants) {
      const result = await probe(path, extra)
      if (result.version) return { path, version: result.version, source, env: extra }
      tried.push(`${path}: ${result.reason}`)
    }
    return null
  }

  if (env.CHROMIUM_PATH) {
    const found = await attempt(env.CHROMIUM_PATH, 'CHROMIUM_PATH', [{}])
    if (found) return found
    throw new ChromiumNotFoundError(
      `CHROMIUM_PATH=${env.CHROMIUM_PATH} does not run (${tried.join('; ')}): ` +
        `point it at a Chromium or unset it`,
    )
  }
  for (const path of system) {
    if (!existsSync(path)) continue
    const found = await attempt(path, 'system', [{}])
    if (found) return found
  }
  if (tried.length === 0) tried.push(`none of ${system.length} system paths exists`)

  let unpacked = null
  try {
    unpacked = await packaged()
  } catch (error) {
    tried.push(`${PACKAGE}: ${oneLine(error)}`)
  }
  if (unpacked) {
    // On a system with the libraries it links (Debian's chromium pulls them in) the binary runs
    // as it is; elsewhere it needs the NSS libraries the package ships for Amazon Linux.
    const found = await attempt(unpacked.path, PACKAGE, [
      unpacked.env,
      ...(unpacked.fallbackEnv ? [{ ...unpacked.env, ...unpacked.fallbackEnv }] : []),
    ])
    if (found) return found
  }
  throw new ChromiumNotFoundError(`No Chromium runs (${tried.join('; ')}): ${HOW_TO_FIX}`)
}

let cached = null

/** `findChromium()` once per process. */
export function chromiumOnce() {
  cached ??= findChromium()
  return cached
}

/** One line for logs: "Chromium 153.0.8010.0 from @sparticuz/chromium (/tmp/…/chromium)". */
export function describeChromium(found) {
  const from = found.source === 'system' ? 'the system' : found.source
  const extra = Object.keys(found.env)
  return `${found.version} from ${from} (${found.path}${extra.length ? ` with ${extra.join(', ')} set` : ''})`
}

/** Runs `path --version` with `extraEnv` added; `{ version }` or `{ reason }`, never throws. */
export function probeVersion(path, extraEnv = {}) {
  return new Promise((resolve) => {
    execFile(
      path,
      ['--version'],
      // Generous: a loaded 2-core machine can take seconds to start a 200 MB binary.
      { env: { ...process.env, ...extraEnv }, timeout: 30_000, windowsHide: true },
      (error, stdout, stderr) => {
        const version = /\b(?:Chromium|Google Chrome|HeadlessChrome)\b[^\n]*?\d+(?:\.\d+)+/.exec(
          String(stdout),
        )?.[0]
        if (!error && version) return resolve({ version })
        const said = lastLine(stderr) || lastLine(stdout)
        const why = error ? (error.code ?? error.signal ?? 'failed') : 'no version printed'
        resolve({ reason: said ? `${why}: ${said}` : String(why) })
      },
    )
  })
}

/**
 * Unpacks @sparticuz/chromium's binary, fonts and (for systems without NSS) its Amazon Linux
 * libraries into a directory of our own in the temp dir, once: a child process does it with
 * TMPDIR pointed at a fresh staging dir, which is then renamed into place, so a concurrent or
 * interrupted run never sees half a binary (the package itself writes straight to /tmp/chromium).
 */
export async function unpackPackaged() {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`ships a linux-x64 binary only (this is ${process.platform}-${process.arch})`)
  }
  let root
  try {
    root = packageRoot()
  } catch {
    throw new Error('not installed (run npm install)')
  }
  const { version } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'))
  const uid = process.getuid?.() ?? 'user'
  const dir = join(tmpdir(), `steadysocket-chromium-${version}-${uid}`)
  if (!existsSync(join(dir, 'chromium'))) {
    const staging = await mkdtemp(join(tmpdir(), `steadysocket-chromium-unpacking-`))
    try {
      await runUnpacker(staging)
      await writeFile(join(staging, 'fonts.conf'), fontsConf(dir))
      await rename(staging, dir)
    } catch (error) {
      await rm(staging, { recursive: true, force: true })
      // Another process finished first: use its copy.
      if (!existsSync(join(dir, 'chromium'))) throw error
    }
  }
  return {
    path: join(dir, 'chromium'),
    // Fontconfig with no configuration renders no text at all; the system's fonts come first.
    env: existsSync('/etc/fonts/fonts.conf') ? {} : { FONTCONFIG_PATH: dir },
    fallbackEnv: {
      LD_LIBRARY_PATH: [join(dir, 'al2023', 'lib'), process.env.LD_LIBRARY_PATH]
        .filter(Boolean)
        .join(':'),
    },
  }
}

function runUnpacker(staging) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--unpack-here'], {
      env: { ...process.env, TMPDIR: staging, TMP: staging, TEMP: staging },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('exit', (code) => {
      if (code === 0) resolve()
      else reject(new Error(`unpacking failed (${lastLine(stderr) || `exit ${code}`})`))
    })
  })
}

// In the child: the package's own executablePath() unpacks the binary, fonts and SwiftShader into
// tmpdir(); its Amazon Linux libraries are unpacked only on Lambda, so ask for them explicitly.
async function unpackHere() {
  const { default: Chromium, inflate } = await import(PACKAGE)
  const bin = join(packageRoot(), 'bin')
  await Chromium.executablePath(bin)
  await inflate(join(bin, 'al2023.tar.br'))
}

// Its exports map hides package.json; the entry point is build/index.js.
function packageRoot() {
  return join(dirname(createRequire(import.meta.url).resolve(PACKAGE)), '..')
}

function fontsConf(dir) {
  return [
    '<?xml version="1.0"?>',
    '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
    '<fontconfig>',
    `  <dir>${join(dir, 'fonts')}</dir>`,
    `  <cachedir>${join(dir, 'fonts-cache')}</cachedir>`,
    '</fontconfig>',
    '',
  ].join('\n')
}

function lastLine(text) {
  return String(text ?? '')
    .trim()
    .split('\n')
    .pop()
    .trim()
    .slice(0, 200)
}

function oneLine(error) {
  return lastLine(error instanceof Error ? error.message : String(error))
}

async function main() {
  if (process.argv[2] === '--unpack-here') return unpackHere()
  if (process.env.SKIP_BROWSER === '1') {
    if (process.env.REQUIRE_BROWSER === '1') {
      console.error(
        'chromium: REQUIRE_BROWSER=1 and SKIP_BROWSER=1 contradict each other: unset one',
      )
      process.exitCode = 1
    } else
      console.log('chromium: not looked for (SKIP_BROWSER=1): the browser tests will be skipped')
    return
  }
  try {
    console.log(`chromium: ${describeChromium(await findChromium())}`)
  } catch (error) {
    console.error(error instanceof ChromiumNotFoundError ? error.message : oneLine(error))
    process.exitCode = 1
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main()
