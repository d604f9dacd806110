// Benchmarks side by side in real Chromium: steadysocket, its peers and the native WebSocket.
//
//   node bench/run.mjs            full run (about 6 minutes on a 2-core machine)
//   node bench/run.mjs --quick    fewer rounds, shorter transfers, per-library scenarios run in
//                                 parallel (about 90 s); figures are rougher
//   --only=cost,chaos             a subset of: size queue send cost throughput overhead burst large
//                                 offline reconnect chaos leak (results then go to
//                                 bench/results/partial.*)
//
// SteadySocket with `resume: true` (RESUME, against resumable() from dist/server.js) runs in the
// throughput and chaos scenarios next to the plain one, and alone in `overhead` (bytes on the wire).
//
// Chromium is spawned directly and driven over a DevTools pipe at the browser level only (create
// and close targets): no page is attached to, so no DevTools agent instruments the WebSockets
// being measured (Playwright enables Network tracking on every page, which made native send()
// about 2x and receive about 2.3x slower here). Pages fetch their job and post results over HTTP.
// Only 127.0.0.1 is used; every loop and wait is bounded.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { launch } from './lib/chromium.mjs'
import { LIBS, RESUME } from './lib/libs.mjs'
import { queueBench } from './lib/queue-bench.mjs'
import { sendBench } from './lib/send-bench.mjs'
import { renderChart } from './lib/chart.mjs'
import { analyse, renderMarkdown } from './lib/report.mjs'
import { freePort, pageBundle, startServer } from './lib/server.mjs'
import { measureSizes } from './lib/size.mjs'
import { seeded } from './lib/stats.mjs'

const argv = process.argv.slice(2)
const quick = argv.includes('--quick')
const onlyArg = argv.find((a) => a.startsWith('--only='))
const ALL = [
  'size',
  'queue',
  'send',
  'cost',
  'throughput',
  'overhead',
  'burst',
  'large',
  'offline',
  'reconnect',
  'chaos',
  'leak',
]
const only = onlyArg ? onlyArg.slice(7).split(',') : ALL
for (const o of only) if (!ALL.includes(o)) throw new Error(`unknown scenario ${o}`)

const MiB = 1 << 20
const CONFIG = quick
  ? {
      cost: { rounds: 8, batch: 1000, dispatchRounds: 6, dispatchN: 10000, warm: 1 },
      throughput: { rounds: 1, n: 10_000 },
      overhead: { n: 2000 },
      burst: { rounds: 3, n: 100_000, chunks: 1024 },
      large: { rounds: 1, total: 8 * MiB, chunk: 64 * 1024, rate: 32 * MiB },
      offline: { rounds: 1, n: 10_000, preMs: 300, downMs: 300, parallel: true },
      reconnect: { fastTrials: 3, defaultRounds: 1, capMs: 7000 },
      chaos: { rounds: 1, n: 4000, perTick: 20, tickMs: 10, seed: 8, parallel: true },
      leak: { cycles: 100, warm: 10, parallel: true },
      queue: { n: 1_000_000, rounds: 3, capMs: 1000, small: false },
      send: { rounds: 15, batch: 2000 },
    }
  : {
      cost: { rounds: 30, batch: 2000, dispatchRounds: 30, dispatchN: 20000, warm: 3 },
      throughput: { rounds: 2, n: 100_000 },
      overhead: { n: 10_000 },
      burst: { rounds: 5, n: 100_000, chunks: 1024 },
      large: { rounds: 2, total: 64 * MiB, chunk: 64 * 1024, rate: 32 * MiB },
      offline: { rounds: 2, n: 10_000, preMs: 300, downMs: 500, parallel: false },
      reconnect: { fastTrials: 10, defaultRounds: 3, capMs: 7000 },
      chaos: { rounds: 2, n: 6000, perTick: 20, tickMs: 10, seed: 8, parallel: false },
      leak: { cycles: 200, warm: 10, parallel: false },
      queue: { n: 1_000_000, rounds: 5, capMs: 5000 },
      send: { rounds: 60, batch: 2000 },
    }

const started = performance.now()
// Other work on the machine skews every figure: the load average is recorded with them.
const loadStart = loadavg()[0].toFixed(2)
const elapsed = () => ((performance.now() - started) / 1000).toFixed(1)
const log = (...a) => console.error(`[${elapsed()} s]`, ...a)
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const rotate = (xs, r) => xs.map((_, i) => xs[(i + r) % xs.length])

// The whole run is bounded: a wedged browser or page cannot hold it forever.
// (The resume rows added about 40 s to a full run and 20 s to --quick; a loaded machine adds more.)
const watchdog = setTimeout(
  () => {
    console.error(`bench: still running after ${quick ? 180 : 600} s, giving up`)
    process.exit(2)
  },
  (quick ? 180 : 600) * 1000,
)
watchdog.unref()

const DIST = new URL('../dist/index.js', import.meta.url)
if (!existsSync(DIST)) throw new Error('dist/index.js is missing: run npm run build first')

const raw = { quick, config: CONFIG }

/** Resolves when `check()` is true, polling every 20 ms, or after `ms` (→ false). */
async function until(check, ms) {
  const end = performance.now() + ms
  while (!check()) {
    if (performance.now() > end) return false
    await sleep(20)
  }
  return true
}

// ---------------------------------------------------------------- Node-side measurements first
if (only.includes('size')) {
  log('size: esbuild + gzip/brotli')
  raw.size = await measureSizes()
}
if (only.includes('queue')) {
  log('queue: ring buffer vs Array#shift (Node)')
  raw.queue = await queueBench(CONFIG.queue)
}
if (only.includes('send')) {
  log('send: time per send() over a no-op socket, by kind of message (Node)')
  raw.send = await sendBench(CONFIG.send)
}

const browserScenarios = only.filter((o) => o !== 'size' && o !== 'queue' && o !== 'send')
if (browserScenarios.length > 0) {
  const server = await startServer({ bundle: await pageBundle() })
  const browser = await launch()
  raw.chromium = await browser.version()
  log(`${raw.chromium}, server on ${server.origin}`)

  /** Runs a job in a new tab (`isolated`: its own browser context, so its own renderer). */
  const runJob = async (scenario, params, { handlers, isolated = true, timeoutMs } = {}) => {
    const { url, result } = server.job(scenario, params, handlers, timeoutMs)
    const close = await browser.newPage(url, { isolated })
    try {
      return await result
    } finally {
      await close()
    }
  }
  /** Runs `fn(lib, round)` for every library, sequentially (rotating the order) or all at once. */
  const perLib = async (libs, rounds, parallel, fn) => {
    const out = Object.fromEntries(libs.map((l) => [l, []]))
    for (let r = 0; r < rounds; r++) {
      const order = rotate(libs, r)
      if (parallel) {
        const got = await Promise.all(
          order.map((lib) => fn(lib, r).catch((e) => ({ error: e.message }))),
        )
        order.forEach((lib, i) => out[lib].push(got[i]))
      } else {
        for (const lib of order)
          out[lib].push(await fn(lib, r).catch((e) => ({ error: e.message })))
      }
    }
    return out
  }
  const rec = (id) => server.routes.record(id)

  try {
    // ------------------------------------------------------------ per-send / per-dispatch cost
    if (only.includes('cost')) {
      log('cost: time per send() and per dispatched frame, all libraries in one tab')
      raw.cost = await runJob('cost', CONFIG.cost, { timeoutMs: 120_000 })
    }

    // ------------------------------------------------------------ end-to-end throughput
    if (only.includes('throughput')) {
      log(`throughput: ${CONFIG.throughput.n} × 64 B each way, all libraries in one tab`)
      raw.throughput = await runJob('throughput', CONFIG.throughput, { timeoutMs: 240_000 })
    }

    // ------------------------------------------------------------ bytes on the wire of resume
    if (only.includes('overhead')) {
      log(
        `overhead: ${CONFIG.overhead.n} × 64 B each way, text and binary, with and without resume`,
      )
      raw.overhead = await runJob('overhead', CONFIG.overhead, {
        timeoutMs: 120_000,
        handlers: {
          // Once the server has `messagesIn` messages, and its last acknowledgement went out.
          snap: async ({ id, messagesIn }) => {
            await until(() => server.routes.bytes(id).messagesIn >= messagesIn, 20_000)
            await sleep(300)
            return server.routes.bytes(id)
          },
        },
      })
    }

    // ------------------------------------------------------------ naive bursts
    if (only.includes('burst')) {
      const c = CONFIG.burst
      log(
        `burst: ${c.n} × 64 B and ${c.chunks} × 64 KiB in loops that never await, native and steadysocket`,
      )
      raw.burst = await runJob('burst', c, { timeoutMs: 240_000 })
    }

    // ------------------------------------------------------------ large transfer, slow reader
    if (only.includes('large')) {
      const c = CONFIG.large
      log(
        `large: ${c.total / MiB} MiB in ${c.chunk / 1024} KiB chunks to a ${c.rate / MiB} MiB/s reader`,
      )
      raw.large = await perLib(LIBS, c.rounds, false, async (lib) => {
        let sampler
        return runJob(
          'large',
          { lib, total: c.total, chunk: c.chunk, rate: c.rate },
          {
            timeoutMs: 120_000,
            handlers: {
              ready: () => ((sampler = browser.sampleMemory(20)), null),
              finished: () => ({ memory: sampler.stop() }),
            },
          },
        )
      })
    }

    // ------------------------------------------------------------ offline queue
    if (only.includes('offline')) {
      const c = CONFIG.offline
      log(`offline: ${c.n} sends while the server is down, then it comes up`)
      raw.offline = await perLib(LIBS, c.rounds, c.parallel, async (lib, round) => {
        const port = await freePort()
        const id = `offline-${lib}-${round}`
        let stop = null
        let upAt = 0
        const result = await runJob(
          'offline',
          { lib, url: `ws://127.0.0.1:${port}/rec?id=${id}`, n: c.n, preMs: c.preMs },
          {
            timeoutMs: 60_000,
            handlers: {
              sent: async () => {
                await sleep(c.downMs)
                stop = await server.listenAlso(port)
                upAt = performance.now()
                const got = rec(id)
                // The native socket never reconnects: nothing will arrive.
                const connectCap = lib === 'native' ? 500 : 8000
                await until(
                  () =>
                    got.seqs.length >= c.n ||
                    (got.connects.length > 0 &&
                      performance.now() - Math.max(got.lastAt, got.connects[0]) > 1000) ||
                    (got.connects.length === 0 && performance.now() - upAt > connectCap),
                  15_000,
                )
                return null
              },
            },
          },
        )
        server.routes.fault(id, 'terminate')
        await stop?.()
        const got = rec(id)
        return {
          ...result,
          ...tally(got.seqs, c.n),
          connectMs: got.connects[0] ? got.connects[0] - upAt : null,
          flushMs: got.lastAt && got.connects[0] ? got.lastAt - got.connects[0] : null,
        }
      })
    }

    // ------------------------------------------------------------ reconnect latency
    let defaultsDone = null
    let startDefaults = null
    if (only.includes('reconnect')) {
      const c = CONFIG.reconnect
      const peers = LIBS.filter((l) => l !== 'native')
      const latency = (ids) =>
        ids.map(({ id, reopened }) => {
          const r = rec(id)
          const kill = r.kills[0]
          const next = r.connects.find((t) => t > kill)
          return reopened && next !== undefined ? next - kill : null
        })
      log(`reconnect: fastest settings, ${c.fastTrials} trials per library (own tab each)`)
      raw.reconnectFast = await perLib(peers, 1, false, async (lib) =>
        latency(
          await runJob('reconnect', {
            lib,
            mode: 'fast',
            trials: c.fastTrials,
            capMs: 3000,
            tag: `fast-${lib}`,
          }),
        ),
      )
      // Mostly idle waiting on the libraries' timers (up to 5 s for reconnecting-websocket), so
      // it runs in the background of scenarios that count rather than time: chaos and leak in
      // --quick, leak in a full run.
      startDefaults = () => {
        log(
          `reconnect: defaults, ${c.defaultRounds} round(s), libraries side by side (own tab each)`,
        )
        return perLib(peers, c.defaultRounds, true, async (lib, r) =>
          latency(
            await runJob('reconnect', {
              lib,
              mode: 'defaults',
              trials: 1,
              capMs: c.capMs,
              tag: `def-${lib}-${r}`,
            }),
          ),
        ).then((x) => (raw.reconnectDefaults = x))
      }
      const overlaps = (quick ? ['chaos', 'leak'] : ['leak']).filter((o) => only.includes(o))
      if (overlaps.length === 0) await (defaultsDone = startDefaults())
      else if (quick) defaultsDone = startDefaults() // else: started with the leak scenario
    }

    // ------------------------------------------------------------ chaos delivery
    if (only.includes('chaos')) {
      const c = CONFIG.chaos
      const windowMs = (c.n / c.perTick) * c.tickMs
      const schedule = chaosSchedule(c.seed, windowMs)
      raw.chaosSchedule = schedule
      log(
        `chaos: ${c.n} sends over ~${windowMs} ms, faults ${schedule.map((f) => `${f.kind}@${f.at}`).join(' ')}`,
      )
      raw.chaos = await perLib([...LIBS, RESUME], c.rounds, c.parallel, async (lib, round) => {
        const id = `chaos-${lib}-${round}`
        let startAt = 0
        const timers = []
        const result = await runJob(
          'chaos',
          { lib, id, n: c.n, perTick: c.perTick, tickMs: c.tickMs },
          {
            timeoutMs: 60_000,
            handlers: {
              start: () => {
                startAt = performance.now()
                for (const f of schedule) {
                  timers.push(setTimeout(() => server.routes.fault(id, f.kind, f.ms), f.at))
                }
                return null
              },
              sent: async () => {
                const end = schedule.at(-1).at + schedule.at(-1).ms
                const r = rec(id)
                const sentAt = performance.now()
                await until(
                  () =>
                    performance.now() - startAt > end + 100 &&
                    (new Set(r.seqs).size >= c.n ||
                      performance.now() - Math.max(r.lastAt, sentAt) > 600),
                  4000,
                )
                return null
              },
            },
          },
        )
        timers.forEach(clearTimeout)
        const r = rec(id)
        const reported = new Set(result.reported)
        const delivered = new Set(r.seqs)
        let lost = 0
        let reportedNotDelivered = 0
        const gaps = [] // runs of silently lost sequence numbers, [first, last]
        for (let i = 0; i < c.n; i++) {
          if (delivered.has(i)) continue
          if (reported.has(i)) reportedNotDelivered++
          else {
            lost++
            const g = gaps.at(-1)
            if (g && g[1] === i - 1) g[1] = i
            else gaps.push([i, i])
          }
        }
        const { duplicates, outOfOrder } = tally(r.seqs, c.n)
        return {
          delivered: delivered.size,
          reported: reportedNotDelivered,
          lost,
          duplicates,
          outOfOrder,
          threw: result.threw,
          pending: result.pending,
          connections: r.connects.length,
          sendMs: result.sendMs,
          gaps: gaps.slice(0, 20),
          ranges: r.ranges.slice(0, 20),
          faults: r.faults.map((f) => ({ ...f, at: Math.round(f.at - startAt) })),
        }
      })
    }

    // ------------------------------------------------------------ leaks
    if (only.includes('leak')) {
      if (startDefaults && !defaultsDone) defaultsDone = startDefaults()
      const c = CONFIG.leak
      log(`leak: ${c.cycles} drop/reconnect cycles per library (own tab each), forced GC`)
      raw.leak = await perLib(LIBS, 1, c.parallel, async (lib) => {
        const id = `leak-${lib}`
        return runJob(
          'leak',
          { lib, id, cycles: c.cycles, warm: c.warm, capMs: 40_000 },
          {
            timeoutMs: 90_000,
            handlers: {
              closed: async () => {
                const at = performance.now()
                await sleep(1000)
                const r = rec(id)
                return {
                  liveAfterClose: r.live.size,
                  connectsAfterClose: r.connects.filter((t) => t > at).length,
                  connections: r.connects.length,
                }
              },
            },
          },
        )
      })
    }
    await defaultsDone
  } finally {
    await browser.close()
    server.close()
  }
}

/** Arrivals in order: how many unique, duplicated, out of order, and whether 0..k-1 came in order. */
function tally(seqs, n) {
  const seen = new Set()
  let duplicates = 0
  let outOfOrder = 0
  for (let i = 0; i < seqs.length; i++) {
    if (seen.has(seqs[i])) duplicates++
    seen.add(seqs[i])
    if (i > 0 && seqs[i] < seqs[i - 1]) outOfOrder++
  }
  return {
    arrived: seen.size,
    duplicates,
    outOfOrder,
    inOrder: outOfOrder === 0 && duplicates === 0,
    of: n,
  }
}

/**
 * The fault schedule: each kind once, in a seeded order, at a seeded time inside its own slot of
 * the send window (so faults never overlap), outages and stalls of seeded length. The stall gets
 * a double slot: it must last long enough for unread data to back up into the browser's own
 * buffer (past the kernel's and Node's), which is where recovery of unsent messages matters.
 */
function chaosSchedule(seed, windowMs) {
  const rnd = seeded(seed)
  const kinds = ['terminate', 'close-1001', 'close-1011', 'outage', 'stall-terminate']
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1))
    ;[kinds[i], kinds[j]] = [kinds[j], kinds[i]]
  }
  const weight = (k) => (k === 'stall-terminate' ? 2 : 1)
  const from = 0.08 * windowMs
  const unit = (0.85 * windowMs - from) / kinds.reduce((a, k) => a + weight(k), 0)
  let at = from
  return kinds.map((kind) => {
    const slot = unit * weight(kind)
    const f = {
      at: Math.round(at + rnd() * slot * 0.2),
      kind,
      ms:
        kind === 'outage'
          ? Math.round(slot * (0.25 + rnd() * 0.3))
          : kind === 'stall-terminate'
            ? Math.round(slot * (0.5 + rnd() * 0.2))
            : 0,
    }
    at += slot
    return f
  })
}

// ---------------------------------------------------------------- results
raw.durationS = Number(elapsed())
raw.machine = {
  cpus: cpus().length,
  cpu: cpus()[0]?.model,
  node: process.version,
  load: { start: loadStart, end: loadavg()[0].toFixed(2) },
}
raw.date = new Date().toISOString().slice(0, 10)
const results = analyse(raw)
// Only a full run of everything writes the committed files; --quick and --only go to tmp/.
const full = !quick && only.length === ALL.length
const dir = new URL(full ? 'results/' : 'results/tmp/', import.meta.url)
mkdirSync(dir, { recursive: true })
const base = full ? 'latest' : quick && !onlyArg ? 'quick' : 'partial'
writeFileSync(new URL(`${base}.json`, dir), JSON.stringify(results, null, 2) + '\n')
const md = renderMarkdown(results)
writeFileSync(new URL(`${base}.md`, dir), md)
writeFileSync(new URL(full ? 'chart.svg' : `${base}.svg`, dir), renderChart(results))
console.log(md)
log(
  `done: bench/${full ? 'results' : 'results/tmp'}/${base}.json, ${base}.md, ${full ? 'chart' : base}.svg`,
)
