// send() micro-benchmark, in Node: the SDK's own cost per call over a no-op WebSocket, without a
// browser's native send() (which costs more than the wrapper and swings with load). The no-op
// socket adds each frame's size to bufferedAmount, as Chromium does, and "transmits" everything
// between batches, so the recovery log grows and trims as it would in a tight loop. Each case
// runs in its own worker thread (its own JIT state), interleaved round by round.
import { isMainThread, parentPort, workerData } from 'node:worker_threads'
import { bundleForNode, inWorker } from './node-worker.mjs'

/** The cases: what is sent, to which socket state, with which options. */
export const SEND_CASES = [
  // The floor: the no-op socket's own send(), called directly.
  { name: 'no-op socket alone', kind: 'text', direct: true },
  { name: 'text 64 B, open', kind: 'text' },
  { name: 'binary 64 B, open', kind: 'binary' },
  {
    name: 'binary 64 B, open, recoverUnsent: false',
    kind: 'binary',
    options: { recoverUnsent: false },
  },
  // 2000 × 64 KiB is past the 1 MiB high-water mark: no mark, so that every one is written.
  {
    name: 'binary 64 KiB, open',
    kind: 'binary',
    size: 65536,
    options: { backpressure: { highWaterMark: Infinity } },
  },
  {
    name: 'binary 64 KiB, open, recoverUnsent: false',
    kind: 'binary',
    size: 65536,
    options: { recoverUnsent: false, backpressure: { highWaterMark: Infinity } },
  },
  { name: 'text 64 B, queued (not open)', kind: 'text', queued: true },
  { name: 'binary 64 B, queued (not open)', kind: 'binary', queued: true },
]

if (!isMainThread) {
  const { module, spec, rounds, batch } = workerData
  const { SteadySocket } = await import(module)
  const size = spec.size ?? 64
  class NoopSocket {
    constructor(url) {
      this.url = url
      this.readyState = 0
      this.bufferedAmount = 0
      this.protocol = ''
      this.extensions = ''
      this.binaryType = 'blob'
      this.onopen = this.onclose = this.onerror = this.onmessage = null
    }
    send(data) {
      this.bufferedAmount += typeof data === 'string' ? data.length : data.byteLength
    }
    close() {
      this.readyState = 3
    }
  }
  let last = null
  const WS = function (url) {
    return (last = new NoopSocket(url))
  }
  const message =
    spec.kind === 'text'
      ? JSON.parse(JSON.stringify('x'.repeat(size)))
      : new Uint8Array(size).fill(7)
  const out = []
  for (let r = -3; r < rounds; r++) {
    let send
    let socket = null
    let ws
    if (spec.direct) {
      ws = new NoopSocket('ws://bench')
      ws.readyState = 1
      send = (m) => ws.send(m)
    } else {
      socket = new SteadySocket('ws://bench', {
        WebSocket: WS,
        watchNetwork: false,
        autoConnect: !spec.queued,
        ...spec.options,
      })
      ws = last
      if (!spec.queued) {
        ws.readyState = 1
        ws.onopen({})
      }
      send = (m) => socket.send(m)
    }
    const t0 = performance.now()
    for (let i = 0; i < batch; i++) send(message)
    const ns = ((performance.now() - t0) * 1e6) / batch
    if (ws) ws.bufferedAmount = 0
    socket?.dispose()
    if (r >= 0) out.push(ns)
  }
  parentPort.postMessage(out)
}

function runWorker(module, spec, rounds, batch) {
  return inWorker(
    import.meta.url,
    { module, spec, rounds, batch },
    60_000,
    () => new Error(`send bench "${spec.name}" took over 60 s`),
  )
}

/**
 * Runs every case; returns `{ name → ns per send() in each round }`. `module`: an already built
 * bundle to measure instead of src/ (to compare two versions under the same load).
 */
export async function sendBench({ rounds = 15, batch = 2000, module } = {}) {
  module ??= await bundleForNode('src/index.ts', 'steadysocket-node.mjs', 'neutral')
  const results = Object.fromEntries(SEND_CASES.map((c) => [c.name, []]))
  // Several short workers per case, interleaved, so a burst of load elsewhere hits every case.
  const chunks = 3
  for (let k = 0; k < chunks; k++) {
    for (const spec of SEND_CASES) {
      results[spec.name].push(...(await runWorker(module, spec, Math.ceil(rounds / chunks), batch)))
    }
  }
  return results
}
