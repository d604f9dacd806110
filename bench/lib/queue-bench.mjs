// Queue micro-benchmark, in Node: steadysocket's ring-buffer Queue (src/queue.ts, bundled by
// esbuild) against a plain array with push()/shift(). Each measurement runs in a worker thread
// that is terminated when it overruns its time cap: Array#shift is O(n) once the array's backing
// store no longer fits V8's regular heap pages, so draining a million-element array takes minutes.
import { isMainThread, parentPort, workerData } from 'node:worker_threads'
import { bundleForNode, inWorker } from './node-worker.mjs'

if (!isMainThread) {
  const { kind, pattern, n, depth, rounds, queueModule, counter } = workerData
  const progress = new Int32Array(counter)
  const { Queue } = await import(queueModule)
  const items = Array.from({ length: n + depth }, (_, i) => ({ bytes: 64, i }))
  const make = () => (kind === 'queue' ? new Queue() : [])
  const out = []
  let check = 0
  // One untimed round first (JIT warm-up), unless the run is a single capped one.
  for (let r = rounds > 1 ? -1 : 0; r < rounds; r++) {
    const q = make()
    const t0 = performance.now()
    if (pattern === 'fill-drain') {
      for (let i = 0; i < n; i++) q.push(items[i])
      for (let i = 0; i < n; i++) {
        check += q.shift().bytes
        if ((i & 1023) === 0) Atomics.store(progress, 0, i)
      }
    } else {
      // Steady state: `depth` items waiting, then n × (enqueue one, dequeue one).
      for (let i = 0; i < depth; i++) q.push(items[i])
      for (let i = 0; i < n; i++) {
        q.push(items[depth + i])
        check += q.shift().bytes
        if ((i & 1023) === 0) Atomics.store(progress, 0, i)
      }
    }
    if (r >= 0) out.push(((performance.now() - t0) * 1e6) / n)
  }
  parentPort.postMessage({ nsPerItem: out, check })
}

function runWorker(data, capMs, queueModule) {
  const counter = new SharedArrayBuffer(4)
  return inWorker(import.meta.url, { ...data, queueModule, counter }, capMs, () => ({
    nsPerItem: null,
    timedOut: true,
    capMs,
    dequeued: Atomics.load(new Int32Array(counter), 0),
  }))
}

/** Runs the micro-benchmark; `capMs` bounds each array run. */
export async function queueBench({ n = 1_000_000, rounds = 5, capMs = 10_000, small = true } = {}) {
  const queueModule = await bundleForNode('src/queue.ts', 'queue.mjs')
  const results = []
  // A million items in and out, the same at 100 000 (where the array still finishes), and a
  // steady state of 1000 waiting items with a million enqueue/dequeue pairs.
  const runs = [
    ['fill-drain', n, 0],
    ...(small ? [['fill-drain', n / 10, 0]] : []),
    ['steady', n, 1000],
  ]
  for (const [pattern, count, depth] of runs) {
    for (const kind of ['queue', 'array']) {
      // Interleaving happens across rounds inside one worker; the array fill-drain gets one round
      // and a cap, since it is quadratic.
      const slow = kind === 'array' && pattern === 'fill-drain' && count > 20_000
      const r = await runWorker(
        { kind, pattern, n: count, depth, rounds: slow ? 1 : rounds },
        slow ? capMs : 60_000,
        queueModule,
      )
      results.push({ pattern, depth, kind, n: count, ...r })
    }
  }
  return results
}
