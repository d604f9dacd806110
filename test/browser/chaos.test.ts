// Chaos soak in real Chromium: the server misbehaves at random (terminate, close with a code,
// refuse, stop reading, go half-open) while the page sends numbered messages at a steady rate
// with occasional bursts. At the end every number is accounted for: delivered exactly once and in
// order, reported in a `drop` event, or lost in flight (bytes Chromium had already handed to TCP
// when the server killed the connection) — and every such loss is explained from the logs.
//
// SOAK_MS sets the duration (default 8000; `npm run test:soak` runs 60000), SOAK_SEED replays a
// run's fault schedule and send pattern (timing on a real network stack still varies), and
// SOAK_FAULTS (e.g. `terminate,close,refuse`) narrows the faults to those whose names start with
// one of the words, to isolate a failure.
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { startFaultServer, waitFor } from '../support/fault-server.mjs'
import type { ConnectionLog, FaultServer } from '../support/fault-server.mjs'
import { assertBundleBuilt, describeBrowser, launchChromium, openBundlePage } from './chromium'
import type { Browser } from './chromium'

const SOAK_MS = envInt('SOAK_MS', 8000)
const SEED = envInt('SOAK_SEED', Math.floor(Math.random() * 2 ** 31))
const KiB = 1024
const MiB = 1024 * KiB

/** What the page does: the SDK's configuration and the traffic it generates. */
const PAGE = {
  // Small, non-zero backoff: Chromium throttles a page that fails many connects in a row.
  reconnect: { initialDelay: 25, maxDelay: 400, factor: 2, jitter: 0.5, minUptime: 1000 },
  // A throttled connect can take a while in Chromium; abandon it after 3 s.
  connectTimeout: 3000,
  // Pings are echoed by the server, so an echoed ping is the pong; a silent server answers
  // nothing and is detected within interval + timeout.
  heartbeat: { interval: 250, timeout: 250 },
  // Low marks so bursts meet backpressure and Chromium's own buffer holds data when a connection
  // dies (what recoverUnsent is for); a queue big enough for most outages, small enough that a
  // long one overflows now and then (every overflow is a `drop` event, counted below).
  backpressure: { highWaterMark: 256 * KiB, lowWaterMark: 64 * KiB },
  queue: { maxBytes: 8 * MiB },
  tickMs: 20,
  steadySize: 128,
  burstChance: 1 / 100,
  burstMin: 100,
  burstMax: 400,
  burstSize: 16 * KiB,
  maxMessages: 400_000,
}

type FaultType =
  | 'terminate'
  | 'close 1001'
  | 'close 1011'
  | 'close 1012'
  | 'close 4000'
  | 'refuse'
  | 'pauseReading'
  | 'silent'

/** Relative weights of the faults the server picks from. */
const ALL_FAULTS: [FaultType, number][] = [
  ['terminate', 4],
  ['close 1001', 1],
  ['close 1011', 1],
  ['close 1012', 1],
  ['close 4000', 1],
  ['refuse', 2],
  ['pauseReading', 3],
  ['silent', 2],
]
const FAULTS = ALL_FAULTS.filter(
  ([type]) =>
    !process.env.SOAK_FAULTS ||
    process.env.SOAK_FAULTS.split(',').some((w) => w.trim() !== '' && type.startsWith(w.trim())),
)
if (FAULTS.length === 0) throw new Error(`SOAK_FAULTS matches no fault: ${process.env.SOAK_FAULTS}`)

describeBrowser('chaos soak in Chromium', () => {
  let browser: Browser
  let server: FaultServer
  let page: Page

  beforeAll(async () => {
    assertBundleBuilt()
    browser = await launchChromium()
    server = await startFaultServer()
    page = await openBundlePage(browser, server, HARNESS)
  })

  afterAll(async () => {
    await page?.close()
    await browser?.close()
    await server?.close()
  })

  it(
    `accounts for every message through ${SOAK_MS} ms of random server faults`,
    async () => {
      console.log(
        `chaos: seed ${SEED} (SOAK_SEED=${SEED} replays it), ${SOAK_MS} ms, faults: ` +
          FAULTS.map(([t]) => t).join(', '),
      )
      const rng = mulberry32(SEED)
      const watch = watchServer(server)
      await page.evaluate(
        ({ url, config, seed }) =>
          (window as unknown as ChaosWindow).chaos.start(url, config, seed),
        { url: `${server.url}/echo`, config: PAGE, seed: SEED },
      )
      await page.evaluate(() =>
        (window as unknown as ChaosWindow).chaos.socket.opened({ timeout: 5000 }),
      )

      // ---- the soak: a fault every 100–500 ms, drawn from the seeded PRNG ----
      const faults: FaultRecord[] = []
      const started = Date.now()
      const deadline = started + SOAK_MS
      for (let i = 0; i < Math.ceil(SOAK_MS / 100) + 1 && Date.now() < deadline; i++) {
        await sleep(100 + Math.floor(rng() * 400))
        if (Date.now() >= deadline) break
        faults.push(inject(server, pick(rng), rng, Date.now() - started))
      }

      // ---- the server becomes stable; the page stops sending and flushes ----
      server.reset()
      const end = await page.evaluate(() => (window as unknown as ChaosWindow).chaos.finish(30_000))
      expect(end.flushError, 'flush() after the server became stable').toBe('')
      // Abandoned connections finish their closing handshake once the server reads again; wait
      // until only the current one is left and the server has read everything.
      await waitFor(
        async () => {
          const before = server.receivedCount
          await sleep(200)
          return server.liveConnections === 1 && server.receivedCount === before
        },
        { timeout: 20_000, interval: 0, message: 'the server never settled after the soak' },
      )
      watch.stop()

      // ---- close(): final; nothing reaches the server again ----
      await page.evaluate(() => (window as unknown as ChaosWindow).chaos.socket.close())
      await waitFor(() => server.liveConnections === 0, { timeout: 5000 })
      const connectionsAtClose = server.totalConnections
      await sleep(1000)
      expect(server.totalConnections, 'connections after close()').toBe(connectionsAtClose)
      const report = await page.evaluate(() => (window as unknown as ChaosWindow).chaos.report())
      expect(report.status).toBe('closed')

      // ---- accounting ----
      const a = account(report, server.connections, faults, watch.overlaps)
      printTable(a, report, faults, server)
      for (const line of [...a.anomalies, ...a.unexplainedLosses])
        console.log(`chaos: ANOMALY ${line}`)

      // Every number: delivered, dropped (with a drop event), or lost in flight — exactly one.
      expect.soft(a.unaccounted, 'numbers neither delivered, dropped nor lost').toEqual([])
      expect.soft(a.deliveredAndDropped, 'numbers both delivered and reported dropped').toEqual([])
      expect.soft(a.droppedWithoutEvent, "'dropped' results without a drop event").toEqual([])
      expect.soft(a.droppedTwice, 'numbers in more than one drop event').toEqual([])
      expect.soft(report.queueLength, 'left in the queue after flush()').toBe(0)
      // No duplicates, and the numbers over all connections, in connection order, only increase.
      expect.soft(a.duplicates, 'numbers the server received more than once').toEqual([])
      expect.soft(a.orderBreaks, 'places where a number is not above the one before it').toEqual([])
      expect
        .soft(a.notPrefix, 'connections whose log is not a prefix of what was written to them')
        .toEqual([])
      // Every loss is bytes handed to TCP on a connection the server killed, or a frame Chromium
      // discarded after the server's close frame; never one the SDK wrote into a dead socket
      // and forgot, nor one still in Chromium's buffer that was not re-sent.
      expect
        .soft(a.unexplainedLosses, 'losses neither a terminate nor a close frame explains')
        .toEqual([])
      // One live (CONNECTING or OPEN) native socket at a time, as seen in the page; any overlap
      // the server saw is a socket the page had already closed whose closing handshake the
      // non-reading server had not completed.
      expect.soft(report.maxLive, 'most live native sockets in the page').toBe(1)
      expect.soft(a.unexplainedOverlaps, 'server-side overlaps not explained').toEqual([])
      if (watch.overlaps.length === 0) expect(server.maxConcurrent).toBe(1)
      // The soak did something.
      expect(a.delivered).toBeGreaterThan(0)
      expect(report.opens).toBeGreaterThan(1)
      expect(browser.errors).toEqual([])
    },
    SOAK_MS + 120_000,
  )

  // The soak's former duplicates, reduced to one deterministic case. A heartbeat timeout gives
  // up on a socket whose peer is only slow; close() does not discard what Chromium buffers: it
  // transmits it ahead of the close frame once the server reads again. So the SDK decides what
  // to re-send at that socket's close event, holding the next connection's queue until then.
  it('delivers once what it re-queued from a socket the heartbeat gave up on', async () => {
    const size = 16 * KiB
    const count = 1000
    const repro = await openBundlePage(browser, server, '')
    try {
      const before = server.totalConnections
      await repro.evaluate(
        ({ url }) => {
          const w = window as unknown as ReproWindow
          w.closes = []
          w.socket = new w.SteadySocket(url, {
            heartbeat: { interval: 200, timeout: 200, isPong: (raw: unknown) => raw === 'ping' },
            // Every message is written straight into Chromium's buffer.
            backpressure: { highWaterMark: 64 * 1024 * 1024, lowWaterMark: 16 * 1024 * 1024 },
            queue: { maxBytes: 64 * 1024 * 1024 },
            reconnect: { initialDelay: 100, maxDelay: 100, jitter: 'none' },
          })
          w.socket.on('close', (e: { code: number; reason: string }) =>
            w.closes.push({ ...e, queueLength: w.socket.queueLength }),
          )
          return w.socket.opened({ timeout: 5000 })
        },
        { url: `${server.url}/echo` },
      )
      server.pauseReading()
      await repro.evaluate(
        ({ count, size }) => {
          const w = window as unknown as ReproWindow
          for (let n = 0; n < count; n++)
            w.socket.send('m' + String(n).padStart(7, '0') + ':' + 'x'.repeat(size - 9))
        },
        { count, size },
      )
      // Pings go unanswered: the heartbeat gives up on the socket and re-queues its tail.
      const closed = await waitFor(
        () => repro.evaluate(() => (window as unknown as ReproWindow).closes[0]),
        { timeout: 5000 },
      )
      expect(closed).toMatchObject({ code: 1006, reason: 'heartbeat timeout' })
      // Nothing is re-queued yet: what to re-send is decided at the abandoned socket's close event.
      // The server was only slow: it reads again, and the page flushes on the new connection.
      server.resumeReading()
      await repro.evaluate(() =>
        (window as unknown as ReproWindow).socket.flush({ timeout: 20_000 }),
      )
      const mine = () => server.connections.filter((c) => c.id > before)
      await waitFor(() => mine().length >= 2 && !mine()[0]!.open, { timeout: 10_000 })
      const [first, second] = mine().map((c) =>
        c.received.map((m) => numberOf(String(m))).filter((n) => n >= 0),
      )
      const twice = second!.filter((n) => first!.includes(n))
      const which = twice.length > 0 ? `${twice[0]}…${twice.at(-1)}` : 'none'
      console.log(
        `heartbeat give-up: ${closed.queueLength} messages queued at the close event; the abandoned connection ` +
          `delivered ${first!.length}, the next ${second!.length}; ${twice.length} delivered twice ` +
          `(${which})`,
      )
      expect(twice.length, `messages delivered on both connections (${which})`).toBe(0)
      expect(new Set([...first!, ...second!]).size).toBe(count)
      expect(browser.errors).toEqual([])
    } finally {
      await repro.evaluate(() => (window as unknown as ReproWindow).socket?.dispose())
      await repro.close()
      server.reset()
    }
  })
})

// ---- faults ----

type FaultRecord = {
  type: FaultType
  at: number
  ms: number
  /** Server connections live when it was injected. */
  live: number[]
  /** The server was not reading (paused or silent) when it was injected. */
  notReading: boolean
}

function pick(rng: () => number): FaultType {
  const total = FAULTS.reduce((sum, [, w]) => sum + w, 0)
  let r = rng() * total
  for (const [type, w] of FAULTS) {
    r -= w
    if (r < 0) return type
  }
  return FAULTS[0]![0]
}

function inject(server: FaultServer, type: FaultType, rng: () => number, at: number): FaultRecord {
  const live = server.connections.filter((c) => c.open).map((c) => c.id)
  const notReading = server.paused || server.isSilent
  let ms = 0
  switch (type) {
    case 'terminate':
      server.terminate()
      break
    case 'close 1001':
    case 'close 1011':
    case 'close 1012':
    case 'close 4000':
      server.closeAll(Number(type.slice(6)), 'chaos')
      break
    case 'refuse':
      // Short windows: a long run of refused connects makes Chromium throttle the page.
      ms = 200 + Math.floor(rng() * 600)
      server.refuse(ms)
      break
    case 'pauseReading':
      ms = 200 + Math.floor(rng() * 1300)
      server.pauseReading(ms)
      break
    case 'silent':
      ms = 500 + Math.floor(rng() * 1000)
      server.silent(ms)
      break
  }
  return { type, at, ms, live, notReading }
}

type Overlap = { at: number; ids: number[]; notReading: boolean }

/** Polls the server's connection log every 5 ms and records every moment two were open. */
function watchServer(server: FaultServer) {
  const overlaps: Overlap[] = []
  const started = Date.now()
  let lastKey = ''
  const timer = setInterval(() => {
    const ids = server.connections.filter((c) => c.open).map((c) => c.id)
    const key = ids.join(',')
    if (ids.length > 1 && key !== lastKey) {
      overlaps.push({ at: Date.now() - started, ids, notReading: server.paused || server.isSilent })
    }
    lastKey = key
  }, 5)
  return { overlaps, stop: () => clearInterval(timer) }
}

// ---- accounting ----

type Accounting = ReturnType<typeof account>

function account(
  report: PageReport,
  connections: ConnectionLog[],
  faults: FaultRecord[],
  overlaps: Overlap[],
) {
  const anomalies: string[] = []
  const total = report.results.length
  const results = { sent: 0, queued: 0, dropped: 0 }
  for (const r of report.results) results[RESULTS[r]!] += 1

  // Drops, by reason and by number.
  const dropReason = new Map<number, string>()
  const dropsByReason: Record<string, number> = {}
  const droppedTwice: number[] = []
  for (const drop of report.drops) {
    dropsByReason[drop.reason] = (dropsByReason[drop.reason] ?? 0) + drop.numbers.length
    for (const n of drop.numbers) {
      if (dropReason.has(n)) droppedTwice.push(n)
      dropReason.set(n, drop.reason)
    }
  }
  const droppedWithoutEvent = report.results.flatMap((r, n) =>
    RESULTS[r] === 'dropped' && !dropReason.has(n) ? [n] : [],
  )

  // What the server read, per connection: the hello names the page's native socket.
  const times = new Map<number, number>()
  const serverConn = new Map<number, ConnectionLog>() // native id -> server connection
  const order: number[] = []
  const orderBreaks: string[] = []
  for (const c of connections) {
    const numbers: number[] = []
    c.received.forEach((m, i) => {
      const text = String(m)
      if (text.startsWith('hello:')) {
        if (i !== 0) anomalies.push(`connection ${c.id}: hello at position ${i}, not first`)
        serverConn.set(Number(text.slice(6)), c)
      } else if (text !== 'ping') {
        const n = numberOf(text)
        if (n < 0) anomalies.push(`connection ${c.id}: unexpected frame ${text.slice(0, 20)}`)
        else numbers.push(n)
      }
    })
    for (const n of numbers) {
      times.set(n, (times.get(n) ?? 0) + 1)
      const prev = order.at(-1)
      if (prev !== undefined && n <= prev)
        orderBreaks.push(`${prev} then ${n} (connection ${c.id})`)
      order.push(n)
    }
  }
  const duplicates = [...times].filter(([, k]) => k > 1).map(([n]) => n)
  for (const n of duplicates.slice(0, 5)) anomalies.push(describeNumber(n, report, connections))
  // How the first socket that carried each duplicate ended: the cause of the second copy.
  const duplicateCauses: Record<string, number> = {}
  for (const n of duplicates) {
    const first = report.natives.find((s) => s.written.includes(n))
    const cause = !first
      ? 'never written'
      : first.closeCalled >= 0
        ? `re-sent after the SDK gave up on a socket (${first.killedBy || 'no error'})`
        : `re-sent after close event ${first.closeCode}`
    duplicateCauses[cause] = (duplicateCauses[cause] ?? 0) + 1
  }
  const deliveredAndDropped = [...dropReason.keys()].filter((n) => times.has(n))

  // What the page wrote to each native socket, and whether the server's log is a prefix of it.
  const lastWrite = new Map<number, PageNative>()
  const notPrefix: string[] = []
  for (const s of report.natives) {
    for (const n of s.written) lastWrite.set(n, s)
    const c = serverConn.get(s.id)
    if (!c) continue
    const got = c.received.map((m) => numberOf(String(m))).filter((n) => n >= 0)
    const k = got.findIndex((n, i) => s.written[i] !== n)
    if (k >= 0) notPrefix.push(`native ${s.id} / connection ${c.id}: differs at ${k}`)
  }

  // Losses: numbers neither delivered nor dropped. Each must have been written to a socket whose
  // server connection a terminate killed, after the prefix the server had read, while OPEN.
  const lost: number[] = []
  const unexplainedLosses: string[] = []
  const lostBy: Record<string, number> = {}
  const lostOn = new Map<number, number>() // server connection -> lost count
  const unaccounted: number[] = []
  for (let n = 0; n < total; n++) {
    if (times.has(n) || dropReason.has(n)) continue
    const s = lastWrite.get(n)
    if (!s) {
      unaccounted.push(n)
      continue
    }
    lost.push(n)
    const c = serverConn.get(s.id)
    const why = explainLoss(n, s, c, faults)
    if (typeof why === 'string')
      unexplainedLosses.push(`${n} lost: ${why}; ${describeNumber(n, report, connections)}`)
    else lostBy[why.cause] = (lostBy[why.cause] ?? 0) + 1
    if (c) lostOn.set(c.id, (lostOn.get(c.id) ?? 0) + 1)
  }

  // Server-side overlaps: the older connections must be sockets the page had already closed.
  const nativeOf = new Map<number, PageNative>()
  for (const s of report.natives) {
    const c = serverConn.get(s.id)
    if (c) nativeOf.set(c.id, s)
  }
  const unexplainedOverlaps: string[] = []
  for (const o of overlaps) {
    const newest = Math.max(...o.ids)
    const newer = nativeOf.get(newest)
    for (const id of o.ids) {
      if (id === newest) continue
      const older = nativeOf.get(id)
      if (older) {
        // Closed in the page first: by the SDK, or by the server (whose end lingers until it
        // reads the page's close echo, which a server that stopped reading never does).
        const before = (t: number) => t >= 0 && (!newer || t <= newer.created)
        const closedFirst = before(older.closeCalled) || before(older.closedAt)
        if (!closedFirst)
          unexplainedOverlaps.push(
            `connection ${id} (native ${older.id}: created ${older.created}, opened ` +
              `${older.opened}, close() ${older.closeCalled}, close event ${older.closedAt} ` +
              `code ${older.closeCode}) open with ${newest} (native ${newer?.id}: created ` +
              `${newer?.created})`,
          )
      } else if (!o.notReading) {
        unexplainedOverlaps.push(
          `connection ${id} (never read) open with ${newest}, server reading`,
        )
      }
    }
  }

  return {
    total,
    results,
    dropsByReason,
    dropped: dropReason.size,
    droppedWithoutEvent,
    droppedTwice,
    delivered: times.size,
    duplicates,
    duplicateCauses,
    deliveredAndDropped,
    orderBreaks: orderBreaks.slice(0, 20),
    notPrefix,
    lost,
    lostBy,
    lostOn,
    unexplainedLosses: unexplainedLosses.slice(0, 20),
    unaccounted: unaccounted.slice(0, 20),
    unexplainedOverlaps,
    overlaps: overlaps.length,
    recovered: report.natives.reduce((sum, s) => sum + s.rewritten, 0),
    anomalies,
  }
}

/** Where `n` went: the sockets it was written to, how they ended, the connections that read it. */
function describeNumber(n: number, report: PageReport, connections: ConnectionLog[]): string {
  const writes = report.natives
    .filter((s) => s.written.includes(n) || s.notOpen.includes(n))
    .map((s) => {
      const closed =
        s.closeCalled < 0
          ? 'not closed by the SDK'
          : `closed by the SDK in readyState ${s.closeCalledState} with ${s.closeCalledBuffered} B ` +
            `buffered${s.killedBy ? ` (${s.killedBy})` : ''}`
      const open = s.written.includes(n) ? 'while OPEN' : 'while not OPEN'
      return `native ${s.id} (${open}; ${closed}; close event ${s.closeCode})`
    })
  const reads = connections
    .filter((c) => c.received.some((m) => numberOf(String(m)) === n))
    .map((c) => `connection ${c.id} (${String(c.received[0]).slice(0, 12)}, closed ${c.closeCode})`)
  return `${n}: written to ${writes.join(', ')}; read by ${reads.join(', ')}`
}

/** Why a number never reached the server, when the logs explain it. */
type LossCause = 'terminate, server reading' | 'terminate, server not reading' | 'after close frame'

/**
 * Why `n`, last written to `s`, never reached the server: one of the two losses API.md says no
 * client can recover (bytes handed to TCP when the server killed the connection; frames Chromium
 * discards once the server's close frame has arrived), or a string saying what is wrong.
 */
function explainLoss(
  n: number,
  s: PageNative,
  c: ConnectionLog | undefined,
  faults: FaultRecord[],
): { cause: LossCause } | string {
  if (s.notOpen.includes(n))
    return `written to native ${s.id} while not OPEN and never re-sent (the SDK forgot it)`
  // The bytes Chromium still held when the SDK let go of the socket (at its own close() call,
  // or at the close event) are the ones recoverUnsent re-sends; anything older had left the
  // page. `n` is in that tail when fewer than `held` bytes were written after it.
  // A socket the SDK gave up on while OPEN (heartbeat, handshake) keeps transmitting while it
  // closes, so the SDK re-sends what it still holds at its close event (or at a bound, which
  // can only re-send more): what it held then is what counts. So does one given up on while
  // CLOSING because the server's close frame had arrived (Chromium goes on flushing what it held
  // before that frame: 229 520 B at the give-up, 98 520 B at the close event, seed 1386423205);
  // what it flushed meanwhile went to TCP after the close frame, the loss explained below.
  const abandoned =
    s.killedBy !== '' &&
    (s.closeCalledState === 1 || s.closeCalledState === 2) &&
    s.closeBuffered >= 0
  const held = abandoned
    ? s.closeBuffered
    : s.closeCalled >= 0
      ? s.closeCalledBuffered
      : s.closeBuffered
  if (held < 0) return `native ${s.id} never closed`
  const i = s.writes.lastIndexOf(n)
  let after = 0
  for (let k = i + 1; k < s.writes.length; k++) after += s.bytes[k]!
  if (after < held)
    return `was still in Chromium's buffer (${held} B) when native ${s.id} was let go, and was not re-sent`
  if (c) {
    const read = c.received.map((m) => numberOf(String(m))).filter((k) => k >= 0)
    if (s.written.indexOf(n) < read.length)
      return `connection ${c.id}: ${n} is inside the prefix the server read`
  }
  // The faults that hit this connection while it was live (by the server's log when it read
  // the hello; otherwise the server read nothing from it, so it was not reading).
  const hits = faults.filter((f) => (c ? f.live.includes(c.id) : f.notReading && f.live.length > 0))
  // Chromium answered the server's close frame and dropped later writes without counting them
  // in bufferedAmount (net::WebSocketChannel::SendFrame returns early in a closing state).
  if (hits.some((f) => f.type.startsWith('close ') && Number(f.type.slice(6)) === s.closeCode))
    return { cause: 'after close frame' }
  const kill = hits.find((f) => f.type === 'terminate')
  if (kill && s.closeCode === 1006 && (!c || c.closeCode === 1006))
    return {
      cause: kill.notReading ? 'terminate, server not reading' : 'terminate, server reading',
    }
  return (
    `native ${s.id} (close ${s.closeCode}) / connection ${c?.id ?? '?'} ` +
    `(close ${c?.closeCode ?? '?'}): no terminate or close frame explains it`
  )
}

function printTable(a: Accounting, report: PageReport, faults: FaultRecord[], server: FaultServer) {
  const byType: Record<string, number> = {}
  for (const f of faults) byType[f.type] = (byType[f.type] ?? 0) + 1
  const rows: [string, string | number][] = [
    ['seed', SEED],
    ['duration (ms)', SOAK_MS],
    ['messages sent (numbers)', a.total],
    [
      '  send() → sent / queued / dropped',
      `${a.results.sent} / ${a.results.queued} / ${a.results.dropped}`,
    ],
    ['  in bursts', report.burstMessages],
    ['delivered (exactly once)', a.delivered - a.duplicates.length],
    ['duplicates', a.duplicates.length],
    ...Object.entries(a.duplicateCauses).map(([c, k]): [string, number] => [`  ${c}`, k]),
    ['dropped (drop events)', a.dropped],
    ...Object.entries(a.dropsByReason).map(([r, k]): [string, number] => [`  dropped: ${r}`, k]),
    ['lost in flight (explained)', a.lost.length - a.unexplainedLosses.length],
    ...Object.entries(a.lostBy).map(([c, k]): [string, number] => [`  ${c}`, k]),
    ['  connections that lost any', [...a.lostOn].map(([id, k]) => `#${id}:${k}`).join(' ') || '-'],
    ['lost, unexplained', a.unexplainedLosses.length],
    ['re-sent after recovery (writes)', a.recovered],
    ['opens (1 + reconnects)', report.opens],
    ['reconnects', report.opens - 1],
    ['native sockets created', report.natives.length],
    ['retries scheduled', report.reconnecting],
    ['closes by code', fmt(report.closes)],
    ['errors by name', fmt(report.errors)],
    ['heartbeat timeouts', report.errors.HeartbeatTimeoutError ?? 0],
    ['max live native sockets (page)', report.maxLive],
    ['max concurrent (server)', server.maxConcurrent],
    [
      '  overlaps seen / unexplained',
      `${a.overlaps} / ${a.unexplainedOverlaps.length} (older: closed in the page first, server not reading)`,
    ],
    ['server connections', server.totalConnections],
    ['faults injected', faults.length],
    ...Object.entries(byType).map(([t, k]): [string, number] => [`  ${t}`, k]),
  ]
  const width = Math.max(...rows.map(([k]) => k.length))
  console.log(
    ['chaos accounting:', ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)].join('\n'),
  )
}

// ---- the page ----

const RESULTS = ['sent', 'queued', 'dropped'] as const

interface PageNative {
  id: number
  created: number
  opened: number
  /** When the SDK called close() on it (-1: never), its readyState and bufferedAmount then. */
  closeCalled: number
  closeCalledState: number
  closeCalledBuffered: number
  /** When its close event came, code and bufferedAmount then (-1: none yet). */
  closedAt: number
  closeCode: number
  closeBuffered: number
  /** The error the SDK emitted right after closing it ('' when it did not close it). */
  killedBy: string
  /** Every write in order: the number (-1 for hello and pings) and its bytes. */
  writes: number[]
  bytes: number[]
  /** Numbers written while OPEN, in order. */
  written: number[]
  /** Numbers written while not OPEN (CLOSING after the server's close frame): never transmitted. */
  notOpen: number[]
  /** Writes of numbers that an earlier native socket had already been given. */
  rewritten: number
}

interface PageReport {
  status: string
  queueLength: number
  results: number[]
  burstMessages: number
  drops: { reason: string; numbers: number[] }[]
  natives: PageNative[]
  maxLive: number
  opens: number
  reconnecting: number
  closes: Record<string, number>
  errors: Record<string, number>
}

interface Chaos {
  socket: {
    opened(o: { timeout: number }): Promise<void>
    close(): void
  }
  start(url: string, config: typeof PAGE, seed: number): void
  finish(timeout: number): Promise<{ flushError: string }>
  report(): PageReport
}

interface ChaosWindow {
  chaos: Chaos
}

interface ReproSocket {
  queueLength: number
  on(type: 'close', fn: (e: { code: number; reason: string }) => void): void
  send(data: string): string
  opened(o: { timeout: number }): Promise<void>
  flush(o: { timeout: number }): Promise<void>
  dispose(): void
}

interface ReproWindow {
  SteadySocket: new (url: string, options: object) => ReproSocket
  socket: ReproSocket
  closes: { code: number; reason: string; queueLength: number }[]
}

// Plain JS in the page (not transpiled). The native WebSocket is wrapped to see what the SDK
// does with it: how many are live at once, and which numbers were written to which socket.
const HARNESS = `
(() => {
  const Native = window.WebSocket
  const natives = []
  let maxLive = 0
  const now = () => Math.round(performance.now())
  const numberOf = (d) =>
    typeof d === 'string' && d.charCodeAt(0) === 109 && d.charCodeAt(8) === 58 ? Number(d.slice(1, 8)) : -1
  const given = new Set()
  class Tracked extends Native {
    constructor(url, protocols) {
      let live = 1
      for (const n of natives) if (n.ws !== null && n.ws.readyState <= 1) live++
      super(url, protocols)
      const rec = { id: natives.length + 1, ws: this, created: now(), opened: -1, closedAt: -1, closeCalled: -1,
        closeCalledState: -1, closeCalledBuffered: -1, closeCode: -1, closeBuffered: -1, killedBy: '',
        writes: [], bytes: [], written: [], notOpen: [], rewritten: 0 }
      if (live > maxLive) maxLive = live
      // Registered before the SDK's on* handlers, so these run first.
      this.addEventListener('open', () => { rec.opened = now() })
      this.addEventListener('close', (e) => {
        rec.closeCode = e.code
        rec.closedAt = now()
        rec.closeBuffered = this.bufferedAmount
        rec.ws = null
      })
      natives.push(rec)
      this.rec = rec
    }
    send(data) {
      const rec = this.rec
      const n = numberOf(data)
      rec.writes.push(n)
      rec.bytes.push(typeof data === 'string' ? data.length : data.byteLength || data.size || 0)
      if (n >= 0) {
        if (given.has(n)) rec.rewritten++
        given.add(n)
        if (this.readyState === 1) rec.written.push(n)
        else rec.notOpen.push(n)
      }
      super.send(data)
    }
    close(code, reason) {
      const rec = this.rec
      if (rec.closeCalled < 0) {
        rec.closeCalled = now()
        rec.closeCalledState = this.readyState
        rec.closeCalledBuffered = this.bufferedAmount
      }
      if (code === undefined) super.close()
      else super.close(code, reason)
    }
  }
  function mulberry32(a) {
    return () => {
      a |= 0; a = (a + 0x6d2b79f5) | 0
      let t = Math.imul(a ^ (a >>> 15), 1 | a)
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    }
  }
  const chaos = {
    socket: null,
    results: [],
    drops: [],
    opens: 0,
    reconnecting: 0,
    closes: {},
    errors: {},
    burstMessages: 0,
    timer: undefined,
    start(url, c, seed) {
      const rng = mulberry32(seed ^ 0x5bd1e995)
      const socket = new SteadySocket(url, {
        WebSocket: Tracked,
        connectTimeout: c.connectTimeout,
        reconnect: c.reconnect,
        heartbeat: Object.assign({}, c.heartbeat, { message: 'ping', isPong: (raw) => raw === 'ping' }),
        backpressure: c.backpressure,
        queue: c.queue,
        // Names the native socket in the server's log; the SDK logs it as a control frame.
        handshake: (s) => { s.send('hello:' + natives[natives.length - 1].id) },
        random: mulberry32(seed ^ 0x27d4eb2f),
      })
      socket.on('open', () => { this.opens++ })
      socket.on('reconnecting', () => { this.reconnecting++ })
      socket.on('close', (e) => { this.closes[e.code] = (this.closes[e.code] || 0) + 1 })
      socket.on('error', (e) => {
        this.errors[e.name] = (this.errors[e.name] || 0) + 1
        // The SDK closes a socket it gives up on just before it emits the error that says why.
        const cur = natives[natives.length - 1]
        if (cur && cur.closeCalled >= 0 && cur.killedBy === '') cur.killedBy = e.name
      })
      socket.on('drop', (e) => {
        this.drops.push({ reason: e.reason, numbers: e.messages.map(numberOf) })
      })
      this.socket = socket
      const pad = (size) => 'x'.repeat(size)
      const steady = pad(c.steadySize - 9)
      const big = pad(c.burstSize - 9)
      const send = (body) => {
        const n = this.results.length
        const r = socket.send('m' + String(n).padStart(7, '0') + ':' + body)
        this.results.push(r === 'sent' ? 0 : r === 'queued' ? 1 : 2)
      }
      this.timer = setInterval(() => {
        if (this.results.length >= c.maxMessages) return
        send(steady)
        if (rng() < c.burstChance) {
          const k = c.burstMin + Math.floor(rng() * (c.burstMax - c.burstMin))
          for (let i = 0; i < k; i++) send(big)
          this.burstMessages += k
        }
      }, c.tickMs)
    },
    async finish(timeout) {
      clearInterval(this.timer)
      try {
        await this.socket.flush({ timeout })
        return { flushError: '' }
      } catch (e) {
        return { flushError: e.name + ': ' + e.message + ' (status ' + this.socket.status + ')' }
      }
    },
    report() {
      return {
        status: this.socket.status,
        queueLength: this.socket.queueLength,
        results: this.results,
        burstMessages: this.burstMessages,
        drops: this.drops,
        natives: natives.map((n) => ({ id: n.id, created: n.created, opened: n.opened, closedAt: n.closedAt,
          closeCalled: n.closeCalled, closeCalledState: n.closeCalledState,
          closeCalledBuffered: n.closeCalledBuffered, closeCode: n.closeCode,
          closeBuffered: n.closeBuffered, killedBy: n.killedBy, writes: n.writes, bytes: n.bytes,
          written: n.written, notOpen: n.notOpen, rewritten: n.rewritten })),
        maxLive,
        opens: this.opens,
        reconnecting: this.reconnecting,
        closes: this.closes,
        errors: this.errors,
      }
    },
  }
  window.chaos = chaos
})()
`

// ---- helpers ----

/** The number at the head of a message `m0000042:xxx…`, or -1. */
function numberOf(text: string): number {
  return text.charCodeAt(0) === 109 && text.charCodeAt(8) === 58 ? Number(text.slice(1, 8)) : -1
}

function mulberry32(seed: number): () => number {
  let a = seed | 0
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function fmt(counts: Record<string, number>): string {
  return (
    Object.entries(counts)
      .map(([k, v]) => `${k}:${v}`)
      .join(' ') || '-'
  )
}

function envInt(name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`${name} must be a non-negative integer`)
  return value
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
