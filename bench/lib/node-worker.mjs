// What the Node micro-benchmarks share: a src/ entry bundled by esbuild into
// bench/results/tmp/, and a measurement run in a worker thread of its own (its own JIT state)
// that is terminated when it overruns its cap.
import { build } from 'esbuild'
import { mkdirSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'

const ROOT = new URL('../../', import.meta.url)

/** Bundles `entry` (a path from the repository root) as `bench/results/tmp/<name>`; its URL. */
export async function bundleForNode(entry, name, platform = 'node') {
  const tmp = new URL('bench/results/tmp/', ROOT)
  mkdirSync(tmp, { recursive: true })
  const outfile = fileURLToPath(new URL(name, tmp))
  await build({
    entryPoints: [fileURLToPath(new URL(entry, ROOT))],
    bundle: true,
    format: 'esm',
    platform,
    target: 'es2022',
    outfile,
    logLevel: 'silent',
  })
  return pathToFileURL(outfile).href
}

/**
 * Runs the module at `url` (a file URL) in a worker with `workerData`; resolves with its first
 * message. Past `capMs` the worker is terminated and the promise settles with `overrun()`: a
 * value it resolves with, or an Error it rejects with.
 */
export function inWorker(url, workerData, capMs, overrun) {
  const worker = new Worker(fileURLToPath(url), { workerData })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      worker.terminate()
      const result = overrun()
      if (result instanceof Error) reject(result)
      else resolve(result)
    }, capMs)
    worker.once('message', (m) => {
      clearTimeout(timer)
      worker.terminate()
      resolve(m)
    })
    worker.once('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
  })
}
