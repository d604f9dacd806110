// Browser side: the scenarios a page runs. The page fetches its job, runs it, and posts the result
// back over HTTP; `rpc()` lets a scenario wait on the orchestrator (server up, faults started…).
// Every wait is bounded.
import { connect, LIBS, RESUME } from './adapters.mjs'

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const MSG = 'x'.repeat(64)
const seqMessage = (i) => String(i).padStart(8, '0') + 'x'.repeat(56)
const wsBase = `ws://${location.host}`
const job = location.pathname.split('/')[2]

async function rpc(name, data) {
  const res = await fetch(`/rpc/${job}/${name}`, {
    method: 'POST',
    body: JSON.stringify(data ?? null),
  })
  if (!res.ok) throw new Error(`rpc ${name}: ${res.status} ${await res.text()}`)
  return res.json()
}

function withTimeout(promise, ms, what) {
  let timer
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

/** Polls `check` every ms until true (→ true) or `ms` passed (→ false). */
async function waitFor(check, ms) {
  const end = performance.now() + ms
  while (!check()) {
    if (performance.now() > end) return false
    await sleep(1)
  }
  return true
}

async function openLib(lib, url, mode, hooks = {}, ms = 5000) {
  let resolve
  const first = new Promise((r) => (resolve = r))
  const c = connect(lib, url, mode, {
    ...hooks,
    onOpen: () => {
      resolve()
      hooks.onOpen?.()
    },
  })
  await withTimeout(first, ms, `${lib} open`)
  return c
}

async function closeLib(c) {
  c.close()
  await sleep(10)
}

async function gcAll() {
  for (let i = 0; i < 4; i++) {
    globalThis.gc?.()
    await sleep(20)
  }
}

const heap = () => performance.memory?.usedJSHeapSize ?? NaN
const rotate = (xs, r) => xs.map((_, i) => xs[(i + r) % xs.length])

let sink = null

// The cost scenario also times the native socket with an addEventListener listener instead of
// the onmessage attribute (Chromium dispatches to the attribute handler a little more slowly):
// the spread of the baseline itself.
const COST_LIBS = [...LIBS, 'native-listener']

/** Time per send() in a tight loop, and per dispatched frame, for every library side by side. */
async function cost({ rounds, batch, dispatchRounds, dispatchN, warm }) {
  const conns = {}
  for (const lib of COST_LIBS) {
    conns[lib] = await openLib(lib, `${wsBase}/sink`, 'defaults', { onMessage: (d) => (sink = d) })
  }
  const idle = (c) => waitFor(() => c.native.bufferedAmount === 0, 5000)
  const timeSend = async (c, message = MSG) => {
    await idle(c)
    const send = c.send
    const t0 = performance.now()
    for (let i = 0; i < batch; i++) send(message)
    return ((performance.now() - t0) * 1e6) / batch
  }
  // Binary: one 64-byte Uint8Array sent again and again. SteadySocket copies it into its recovery
  // log (recoverUnsent, on by default); the native send() copies it too.
  const BIN = new Uint8Array(64).fill(7)
  const BIN_LIBS = ['native', 'steadysocket']
  // A synthetic frame dispatched on the real native socket runs exactly the listeners the
  // library attached there, down to the user's callback, without the network's jitter. One
  // event object per batch: constructing a MessageEvent from JS costs more than dispatching it,
  // and for real frames the browser builds its own natively.
  const timeDispatch = (c) => {
    const ws = c.native
    const event = new MessageEvent('message', { data: MSG })
    const t0 = performance.now()
    for (let i = 0; i < dispatchN; i++) ws.dispatchEvent(event)
    return ((performance.now() - t0) * 1e6) / dispatchN
  }
  const send = Object.fromEntries(COST_LIBS.map((l) => [l, []]))
  const dispatch = Object.fromEntries(COST_LIBS.map((l) => [l, []]))
  const phases = { opened: performance.now() }
  for (let w = 0; w < warm; w++) for (const lib of COST_LIBS) await timeSend(conns[lib])
  for (let r = 0; r < rounds; r++) {
    for (const lib of rotate(COST_LIBS, r)) send[lib].push(await timeSend(conns[lib]))
  }
  const sendBinary = Object.fromEntries(BIN_LIBS.map((l) => [l, []]))
  for (let w = 0; w < warm; w++) for (const lib of BIN_LIBS) await timeSend(conns[lib], BIN)
  for (let r = 0; r < rounds; r++) {
    for (const lib of rotate(BIN_LIBS, r)) sendBinary[lib].push(await timeSend(conns[lib], BIN))
  }
  phases.sent = performance.now()
  for (let w = 0; w < warm; w++) for (const lib of COST_LIBS) timeDispatch(conns[lib])
  for (let r = 0; r < dispatchRounds; r++) {
    for (const lib of rotate(COST_LIBS, r)) dispatch[lib].push(timeDispatch(conns[lib]))
    await sleep(0)
  }
  phases.dispatched = performance.now()
  for (const lib of COST_LIBS) conns[lib].close()
  await sleep(50)
  return { send, sendBinary, dispatch, phases, isolated: crossOriginIsolated, sink: typeof sink }
}

/**
 * `naive`: the loop never awaits, as code written for the native socket does; SteadySocket then
 * holds what passes the high-water mark in its queue and writes it as the buffer drains.
 */
async function sendThroughput(lib, n, naive = false, message = MSG) {
  let done
  const got = new Promise((r) => (done = r))
  const c = await openLib(lib, `${wsBase}/count?n=${n}`, 'defaults', {
    onMessage: (d) => d === 'done' && done(),
  })
  const t0 = performance.now()
  // SteadySocket bounds its memory: past the high-water mark send() queues, and the caller
  // waits for 'drain' (its documented way to stream). The others take everything at once.
  for (let i = 0; i < n; i++) {
    if (c.send(message) === 'queued' && c.drained && !naive)
      await withTimeout(c.drained(), 30_000, 'drain')
  }
  const loop = performance.now() - t0
  const queued = c.pending?.() ?? 0
  await withTimeout(got, 60_000, `${lib} send throughput`)
  const ms = performance.now() - t0
  await closeLib(c)
  return { ms, loop, queued, rate: (n / ms) * 1000 }
}

/** `path`: '/blast' (pre-encoded frames), or for RESUME '/blast' through resumable() and
 * '/blast-raw' (pre-encoded resumable frames, as /blast). */
async function receiveThroughput(lib, n, path = '/blast') {
  let count = 0
  let done
  const got = new Promise((r) => (done = r))
  const c = await openLib(lib, `${wsBase}${path}`, 'defaults', {
    onMessage: () => ++count === n && done(),
  })
  const t0 = performance.now()
  c.send(`go:${n}`)
  await withTimeout(got, 30_000, `${lib} receive throughput`)
  const ms = performance.now() - t0
  await closeLib(c)
  return { ms, rate: (n / ms) * 1000 }
}

/**
 * Every library, and SteadySocket with `resume` (RESUME) in the same rotation. RESUME's receive
 * is measured as the others' (pre-encoded frames from a minimal peer, /r/blast-raw), and also
 * from the real resumable() server (`receiveServer`), which numbers and writes each message,
 * against the plain SteadySocket fed by a server that ws.send()s each message (/blast-send).
 */
async function throughput({ rounds, n, resume = true, only = LIBS }) {
  const libs = resume ? [...only, RESUME] : only
  const send = Object.fromEntries(libs.map((l) => [l, []]))
  const receive = Object.fromEntries(libs.map((l) => [l, []]))
  const receiveServer = { steadysocket: [], [RESUME]: [] }
  for (const lib of libs) await sendThroughput(lib, n / 10) // warm-up
  if (resume) await receiveThroughput(RESUME, n / 10, '/blast-raw')
  for (let r = 0; r < rounds; r++) {
    for (const lib of rotate(libs, r)) {
      send[lib].push(await sendThroughput(lib, n))
      if (lib === RESUME) {
        receive[lib].push(await receiveThroughput(lib, n, '/blast-raw'))
        receiveServer[lib].push(await receiveThroughput(lib, n, '/blast'))
      } else receive[lib].push(await receiveThroughput(lib, n))
      // The plain counterpart of RESUME's receive from resumable(): ws.send() per message.
      if (lib === 'steadysocket' && resume)
        receiveServer[lib].push(await receiveThroughput(lib, n, '/blast-send'))
    }
  }
  return { send, receive, ...(resume ? { receiveServer } : {}) }
}

/** One send or receive throughput run of one library (bench/profile-resume.mjs times its CPU). */
async function throughputOne({ lib, direction, n, path }) {
  await rpc('ready')
  return direction === 'send' ? sendThroughput(lib, n) : receiveThroughput(lib, n, path)
}

/**
 * The wire cost of `resume`: plain SteadySocket and RESUME each send `n` 64-byte messages (text,
 * then binary on a new connection), then receive `n`; the server counts what it read and the
 * kernel's byte counts at each step (the orchestrator's `snap`).
 */
async function overhead({ n, kinds = ['text', 'binary'] }) {
  const out = {}
  for (const kind of kinds) {
    const message = kind === 'text' ? MSG : new Uint8Array(64).fill(7)
    for (const lib of ['steadysocket', RESUME]) {
      const id = `bytes-${lib}-${kind}`
      let received = 0
      const c = await openLib(lib, `${wsBase}/bytes?id=${id}`, 'defaults', {
        onMessage: () => received++,
      })
      await sleep(300) // the welcome's exchange is over
      const s0 = await rpc('snap', { id, messagesIn: 0 })
      for (let i = 0; i < n; i++) {
        if (c.send(message) === 'queued') await withTimeout(c.drained(), 30_000, 'drain')
      }
      const s1 = await rpc('snap', { id, messagesIn: n })
      c.send(kind === 'text' ? `go:${n}` : `go-bin:${n}`)
      if (!(await waitFor(() => received >= n, 30_000))) throw new Error(`${lib}: receive`)
      await sleep(300) // the last acknowledgement (due within 100 ms)
      const s2 = await rpc('snap', { id, messagesIn: n })
      await closeLib(c)
      out[`${lib}|${kind}`] = { s0, s1, s2, n }
    }
  }
  return out
}

/**
 * SteadySocket with default options driven as code written for the native socket drives it: a
 * loop that never awaits 'drain'. Messages: `n` × 64 bytes; bytes: `chunks` × 64 KiB, where bytes,
 * not messages, are the limit, so a queue that refilled the native buffer late would show.
 */
async function burst({ rounds, n, chunks }) {
  const libs = ['native', 'steadysocket']
  const chunk = new Uint8Array(64 * 1024).fill(7)
  const messages = { native: [], steadysocket: [] }
  const bytes = { native: [], steadysocket: [] }
  for (const lib of libs) await sendThroughput(lib, n / 10, true) // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const lib of rotate(libs, r)) messages[lib].push(await sendThroughput(lib, n, true))
    for (const lib of rotate(libs, r))
      bytes[lib].push(await sendThroughput(lib, chunks, true, chunk))
  }
  return { messages, bytes }
}

/** 64 MiB in 64 KiB chunks to a slow reader; the orchestrator samples process memory. */
async function large({ lib, total, chunk, rate }) {
  let done
  const got = new Promise((r) => (done = r))
  const c = await openLib(lib, `${wsBase}/slow?total=${total}&rate=${rate}`, 'defaults', {
    onMessage: (d) => d === 'done' && done(),
  })
  const data = new Uint8Array(chunk).fill(7) // one buffer, sent again and again
  await gcAll()
  const heap0 = heap()
  let heapPeak = heap0
  let bufferedPeak = 0
  const sample = () => {
    heapPeak = Math.max(heapPeak, heap())
    const queued = lib === 'steadysocket' ? c.lib.queuedBytes : (c.pending?.() ?? 0) * chunk
    bufferedPeak = Math.max(bufferedPeak, c.native.bufferedAmount + queued)
  }
  const timer = setInterval(sample, 10)
  await rpc('ready')
  const t0 = performance.now()
  for (let i = 0; i < total / chunk; i++) {
    if (c.send(data) === 'queued' && c.drained) {
      sample()
      await withTimeout(c.drained(), 60_000, 'drain')
    }
  }
  sample()
  const loop = performance.now() - t0
  await withTimeout(got, 120_000, `${lib} large transfer`)
  const ms = performance.now() - t0
  clearInterval(timer)
  sample()
  const memory = await rpc('finished')
  await closeLib(c)
  return { ms, loop, heapPeak: heapPeak - heap0, bufferedPeak, ...memory }
}

/** Sends while the server is down; the orchestrator brings it up and watches the flush. */
async function offline({ lib, url, n, preMs }) {
  const counts = { sent: 0, queued: 0, dropped: 0, threw: 0, other: 0, dropEvents: 0 }
  const c = connect(lib, url, 'steady', { onDrop: (m) => (counts.dropEvents += m.length) })
  await sleep(preMs)
  const t0 = performance.now()
  for (let i = 0; i < n; i++) {
    try {
      const r = c.send(seqMessage(i))
      if (r === 'sent' || r === 'queued' || r === 'dropped') counts[r]++
      else counts.other++
    } catch {
      counts.threw++
    }
  }
  const sendMs = performance.now() - t0
  const pendingBefore = c.pending?.() ?? null
  await rpc('sent')
  const pendingAfter = c.pending?.() ?? null
  c.close()
  await sleep(50)
  return { counts, sendMs, pendingBefore, pendingAfter, opens: c.opens }
}

/** Server-side terminate, then wait for the next open; the server times kill → reconnect. */
async function reconnect({ lib, mode, trials, capMs, tag }) {
  const out = []
  for (let t = 0; t < trials; t++) {
    const id = `${tag}-${t}`
    const c = await openLib(lib, `${wsBase}/rec?id=${id}`, mode)
    const t0 = performance.now()
    c.send('kill')
    const reopened = await waitFor(() => c.opens >= 2, capMs)
    out.push({ id, reopened, clientMs: performance.now() - t0 })
    await closeLib(c)
    await sleep(20)
  }
  return out
}

/** Numbered sends at a steady pace while the server runs its fault schedule. */
async function chaos({ lib, id, n, perTick, tickMs }) {
  const reported = new Set()
  let threw = 0
  const c = await openLib(lib, `${wsBase}/rec?id=${id}`, 'steady', {
    onDrop: (ms) => ms.forEach((m) => reported.add(Number.parseInt(m.slice(0, 8), 10))),
  })
  await rpc('start')
  const t0 = performance.now()
  for (let i = 0; i < n;) {
    for (let k = 0; k < perTick && i < n; k++, i++) {
      try {
        if (c.send(seqMessage(i)) === 'dropped') reported.add(i)
      } catch {
        reported.add(i)
        threw++
      }
    }
    await sleep(tickMs)
  }
  const sendMs = performance.now() - t0
  await rpc('sent')
  const pending = c.pending?.() ?? 0
  c.close()
  await sleep(50)
  return { reported: [...reported], threw, pending, opens: c.opens, sendMs }
}

/** Drop/reconnect cycles (the server terminates on 'kill'), heap before and after, forced GC. */
async function leak({ lib, id, cycles, warm, capMs }) {
  let target = warm
  const c = connect(lib, `${wsBase}/rec?id=${id}`, lib === 'native' ? 'manual' : 'fast', {
    onOpen: () => c.opens < target && c.send('kill'),
  })
  if (!(await waitFor(() => c.opens >= warm, capMs))) throw new Error(`${lib}: no warm-up cycles`)
  await sleep(20)
  await gcAll()
  const heap0 = heap()
  target = warm + cycles
  const t0 = performance.now()
  c.send('kill')
  const completed = await waitFor(() => c.opens >= target, capMs)
  const ms = performance.now() - t0
  await sleep(20)
  await gcAll()
  const heap1 = heap()
  c.close()
  await sleep(200)
  await gcAll()
  const heap2 = heap()
  const server = await rpc('closed')
  return { heap0, heap1, heap2, cycles: c.opens - warm, completed, ms, ...server }
}

const SCENARIOS = {
  cost,
  throughput,
  throughputOne,
  overhead,
  burst,
  large,
  offline,
  reconnect,
  chaos,
  leak,
}

async function main() {
  let result
  try {
    const spec = await (await fetch(`/job/${job}`)).json()
    result = await SCENARIOS[spec.scenario](spec.params)
  } catch (error) {
    result = { error: String(error?.stack ?? error) }
  }
  await fetch(`/result/${job}`, { method: 'POST', body: JSON.stringify(result) })
}

main()
