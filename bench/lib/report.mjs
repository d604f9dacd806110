// Turns the raw measurements into the figures (median, min, max over repetitions; ratios to
// native within the same round) and renders them as Markdown.
import { LIBS, RESUME } from './libs.mjs'
import { median, ratios, summary } from './stats.mjs'

const PEERS = LIBS.filter((l) => l !== 'native')
const MiB = 1 << 20
const ok = (runs) => (runs ?? []).filter((x) => x && !x.error)
const map = (libs, fn) => Object.fromEntries(libs.map((l) => [l, fn(l)]))
const pick = (runs, f) => ok(runs).map(f)

export function analyse(raw) {
  const out = {
    date: raw.date,
    quick: raw.quick,
    durationS: raw.durationS,
    machine: raw.machine,
    chromium: raw.chromium ?? null,
    config: raw.config,
    libraries: LIBS,
  }
  if (raw.size) out.size = raw.size
  if (raw.queue) {
    out.queue = raw.queue.map((q) => {
      // A capped run: extrapolate from the rate at which it was dequeuing. Each shift moves the
      // whole remainder, so draining n costs about n/2 times the first shifts' cost.
      const estimate =
        q.timedOut && q.dequeued > 0 ? ((q.capMs / q.dequeued) * q.n) / 2 / 1000 : null
      return {
        pattern: q.pattern,
        depth: q.depth,
        kind: q.kind,
        n: q.n,
        nsPerItem: q.nsPerItem ? summary(q.nsPerItem) : null,
        totalMs: q.nsPerItem ? (median(q.nsPerItem) * q.n) / 1e6 : null,
        timedOut: Boolean(q.timedOut),
        capMs: q.capMs ?? null,
        dequeuedBeforeCap: q.dequeued ?? null,
        estimatedTotalS: estimate,
      }
    })
  }
  if (raw.send) {
    out.send = Object.fromEntries(Object.entries(raw.send).map(([name, ns]) => [name, summary(ns)]))
  }
  if (raw.cost) {
    const c = raw.cost
    const libs = Object.keys(c.send)
    out.cost = {
      perSendNs: map(libs, (l) => summary(c.send[l])),
      perSendRatio: map(libs, (l) => summary(ratios(c.send[l], c.send.native))),
      perDispatchNs: map(libs, (l) => summary(c.dispatch[l])),
      perDispatchRatio: map(libs, (l) => summary(ratios(c.dispatch[l], c.dispatch.native))),
      crossOriginIsolated: c.isolated,
      ...(c.sendBinary
        ? {
            perBinarySendNs: map(Object.keys(c.sendBinary), (l) => summary(c.sendBinary[l])),
            perBinarySendRatio: summary(ratios(c.sendBinary.steadysocket, c.sendBinary.native)),
          }
        : {}),
      raw: { send: c.send, sendBinary: c.sendBinary, dispatch: c.dispatch },
    }
  }
  if (raw.throughput) {
    const t = raw.throughput
    const side = (s) =>
      map(LIBS, (l) => ({
        msgPerS: summary(s[l].map((x) => x.rate)),
        ratio: summary(
          ratios(
            s[l].map((x) => x.rate),
            s.native.map((x) => x.rate),
          ),
        ),
        ms: summary(s[l].map((x) => x.ms)),
      }))
    out.throughput = { n: raw.config.throughput.n, send: side(t.send), receive: side(t.receive) }
  }
  if (raw.burst) {
    const { messages, bytes } = raw.burst
    // 64 KiB chunks: 16 of them make a MiB.
    const rate = (runs, unit) => runs.map((x) => (unit === 'msg' ? x.rate : x.rate / 16))
    const side = (runs, unit) => ({
      native: summary(rate(runs.native, unit)),
      steadysocket: summary(rate(runs.steadysocket, unit)),
      ratio: summary(ratios(rate(runs.steadysocket, unit), rate(runs.native, unit))),
    })
    out.burst = {
      messages: {
        ...side(messages, 'msg'),
        queuedAfterLoop: summary(messages.steadysocket.map((x) => x.queued)),
        loopMs: summary(messages.steadysocket.map((x) => x.loop)),
      },
      bytes: side(bytes, 'MiB'),
    }
  }
  if (raw.large) {
    out.large = map(LIBS, (l) => {
      const runs = ok(raw.large[l])
      return {
        ms: summary(runs.map((x) => x.ms)),
        rendererMiB: summary(runs.map((x) => x.memory.renderer / MiB)),
        networkMiB: summary(runs.map((x) => x.memory.network / MiB)),
        totalMiB: summary(runs.map((x) => x.memory.total / MiB)),
        jsHeapMiB: summary(runs.map((x) => x.heapPeak / MiB)),
        bufferedMiB: summary(runs.map((x) => x.bufferedPeak / MiB)),
        errors: raw.large[l].filter((x) => x?.error).map((x) => x.error),
      }
    })
  }
  if (raw.offline) {
    out.offline = map(LIBS, (l) => {
      const runs = ok(raw.offline[l])
      return {
        arrived: summary(runs.map((x) => x.arrived)),
        of: raw.config.offline.n,
        allInOrder: runs.every((x) => x.inOrder),
        duplicates: summary(runs.map((x) => x.duplicates)),
        connectMs: summary(runs.map((x) => x.connectMs ?? NaN)),
        flushMs: summary(runs.map((x) => x.flushMs ?? NaN)),
        threw: summary(runs.map((x) => x.counts.threw)),
        dropped: summary(runs.map((x) => x.counts.dropped + x.counts.dropEvents)),
        runs: runs.map(({ counts, arrived, inOrder, connectMs, flushMs, sendMs }) => ({
          counts,
          arrived,
          inOrder,
          connectMs,
          flushMs,
          sendMs,
        })),
        errors: raw.offline[l].filter((x) => x?.error).map((x) => x.error),
      }
    })
  }
  if (raw.reconnectFast || raw.reconnectDefaults) {
    const lat = (runs) => {
      const all = (runs ?? []).flatMap((x) => (Array.isArray(x) ? x : []))
      return {
        ms: summary(all.filter((x) => x !== null)),
        trials: all.length,
        never: all.filter((x) => x === null).length,
      }
    }
    out.reconnect = {
      fast: raw.reconnectFast ? map(PEERS, (l) => lat(raw.reconnectFast[l])) : null,
      defaults: raw.reconnectDefaults ? map(PEERS, (l) => lat(raw.reconnectDefaults[l])) : null,
      capMs: raw.config.reconnect.capMs,
    }
  }
  if (raw.chaos) {
    out.chaos = {
      n: raw.config.chaos.n,
      seed: raw.config.chaos.seed,
      schedule: raw.chaosSchedule,
      libs: map(raw.chaos[RESUME] ? [...LIBS, RESUME] : LIBS, (l) => {
        const runs = ok(raw.chaos[l])
        const s = (f) => summary(pick(runs, f))
        return {
          delivered: s((x) => x.delivered),
          reported: s((x) => x.reported),
          lost: s((x) => x.lost),
          duplicates: s((x) => x.duplicates),
          outOfOrder: s((x) => x.outOfOrder),
          connections: s((x) => x.connections),
          runs,
          errors: raw.chaos[l].filter((x) => x?.error).map((x) => x.error),
        }
      }),
    }
  }
  const resume = analyseResume(raw, out)
  if (resume) out.resume = resume
  if (raw.leak) {
    out.leak = map(LIBS, (l) => {
      const x = ok(raw.leak[l])[0]
      if (!x) return { error: raw.leak[l][0]?.error ?? 'no result' }
      return {
        cycles: x.cycles,
        completed: x.completed,
        msPerCycle: x.ms / Math.max(1, x.cycles),
        heapGrowthKiB: (x.heap1 - x.heap0) / 1024,
        heapAfterCloseKiB: (x.heap2 - x.heap0) / 1024,
        liveAfterClose: x.liveAfterClose,
        connectsAfterClose: x.connectsAfterClose,
        connections: x.connections,
      }
    })
  }
  return out
}

/**
 * SteadySocket with `resume` against the plain one: throughput ratios within each round, the
 * bytes on the wire per message, and the chaos figures side by side. Null when none was measured.
 */
function analyseResume(raw, out) {
  const t = raw.throughput
  const res = {}
  if (t?.send?.[RESUME]) {
    const rates = (runs) => runs.map((x) => x.rate)
    const side = (runs, plain) => ({
      plain: summary(rates(plain)),
      resume: summary(rates(runs)),
      ratio: summary(ratios(rates(runs), rates(plain))),
    })
    res.throughput = {
      n: raw.config.throughput.n,
      send: side(t.send[RESUME], t.send.steadysocket),
      receive: side(t.receive[RESUME], t.receive.steadysocket),
      receiveServer: t.receiveServer?.steadysocket?.length
        ? side(t.receiveServer[RESUME], t.receiveServer.steadysocket)
        : null,
    }
  }
  if (raw.overhead) {
    const d = (a, b, k) => b[k] - a[k]
    res.overhead = {}
    for (const kind of ['text', 'binary']) {
      const p = raw.overhead[`steadysocket|${kind}`]
      const r = raw.overhead[`${RESUME}|${kind}`]
      if (!p || !r) continue
      const n = r.n
      // Both directions of each phase: a message's own bytes, and what travels back for it.
      const wire = (x, a, b) => (d(x[a], x[b], 'tcpRead') + d(x[a], x[b], 'tcpWritten')) / x.n
      res.overhead[kind] = {
        n,
        // Once per connection: the hello and the welcome (and 2 bytes of the upgrade's /r/ path).
        perConnection: {
          clientToServer: r.s0.tcpRead - p.s0.tcpRead,
          serverToClient: r.s0.tcpWritten - p.s0.tcpWritten,
        },
        send: {
          plainWire: wire(p, 's0', 's1'),
          resumeWire: wire(r, 's0', 's1'),
          // Payload bytes the server read past the messages' own (the `:` of text).
          headerBytes: (d(r.s0, r.s1, 'payloadIn') - d(r.s0, r.s1, 'messageBytesIn')) / n,
          // The server's acknowledgements, frames included, per message.
          ackWire: d(r.s0, r.s1, 'tcpWritten') / n,
        },
        receive: {
          plainWire: wire(p, 's1', 's2'),
          resumeWire: wire(r, 's1', 's2'),
          // The server writes the same frames plus the header: the difference is the header.
          headerBytes: (d(r.s1, r.s2, 'tcpWritten') - d(p.s1, p.s2, 'tcpWritten')) / n,
          // The client's acknowledgements (frames included; less the one 'go' frame) per message.
          ackWire: (d(r.s1, r.s2, 'tcpRead') - d(p.s1, p.s2, 'tcpRead') - 1) / n,
          ackFrames: d(r.s1, r.s2, 'framesIn') - 1,
          ackPayload: (d(r.s1, r.s2, 'payloadIn') - d(p.s1, p.s2, 'payloadIn') - 1) / n,
        },
      }
    }
  }
  if (out.chaos?.libs?.[RESUME]) {
    res.chaos = { plain: out.chaos.libs.steadysocket, resume: out.chaos.libs[RESUME] }
  }
  return Object.keys(res).length ? res : null
}

// ---------------------------------------------------------------- Markdown

const num = (x, d = 0) =>
  x === null || x === undefined || Number.isNaN(x)
    ? '–'
    : x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d })
/** "median (min–max)" */
const range = (s, d = 0, unit = '') =>
  !s || s.median === null
    ? '–'
    : s.n > 1 && s.min !== s.max
      ? `${num(s.median, d)}${unit} (${num(s.min, d)}–${num(s.max, d)})`
      : `${num(s.median, d)}${unit}`
const kb = (b) => num(b / 1024, 2)
const table = (head, rows) =>
  [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n')

/** The one-table comparison (also what the README shows). */
export function summaryTable(r) {
  const head = [
    'library',
    'size, min+gzip',
    'per send() vs native',
    'per message vs native',
    `chaos: delivered / reported / lost of ${num(r.chaos?.n)}`,
    `offline: arrived of ${num(r.config.offline.n)}, in order`,
    'reconnect, fastest / defaults',
    'large transfer: peak memory',
  ]
  const sizeOf = (l) => {
    if (l === 'native') return '0'
    const rows = (r.size ?? []).filter((s) => s.name === l || s.name.startsWith(`${l},`))
    return rows
      .map((s) => `${kb(s.gzip)} KB${s.name === l ? '' : ` (${s.name.slice(l.length + 2)})`}`)
      .join('<br>')
  }
  const rows = LIBS.map((l) => {
    const ch = r.chaos?.libs[l]
    const off = r.offline?.[l]
    const fast = r.reconnect?.fast?.[l]
    const def = r.reconnect?.defaults?.[l]
    const reconnect =
      l === 'native'
        ? 'none'
        : `${range(fast?.ms, 0, ' ms')} / ${def && def.never === def.trials ? 'never' : range(def?.ms, 0, ' ms')}`
    return [
      l === 'steadysocket' ? '**steadysocket**' : l,
      sizeOf(l),
      l === 'native' ? '1' : `${num(r.cost?.perSendRatio[l].median, 2)}×`,
      l === 'native' ? '1' : `${num(r.cost?.perDispatchRatio[l].median, 2)}×`,
      ch
        ? `${num(ch.delivered.median)} / ${num(ch.reported.median)} / ${num(ch.lost.median)}`
        : '–',
      off
        ? `${num(off.arrived.median)}${off.arrived.median > 0 ? (off.allInOrder ? ', yes' : ', **no**') : ''}`
        : '–',
      reconnect,
      r.large ? `${num(r.large[l].rendererMiB.median, 1)} MiB` : '–',
    ]
  })
  return table(head, rows)
}

export function renderMarkdown(r) {
  const out = []
  const c = r.config
  out.push(`# steadysocket benchmarks${r.quick ? ' (quick run: rough figures)' : ''}`)
  out.push('')
  out.push(
    `Measured ${r.date} on ${r.machine.cpus} × ${r.machine.cpu} (load average at start ${r.machine.load?.start ?? '–'}, at end ${r.machine.load?.end ?? '–'}), ` +
      `Node ${r.machine.node}, ${r.chromium ?? 'Chromium'} headless, spawned directly (no DevTools agent on the measured pages), ` +
      `server \`ws\` on 127.0.0.1. Run time ${num(r.durationS)} s. Figures are median (min–max) over the repetitions; ratios are taken round by round against native in the same tab.`,
  )
  out.push('')
  if (r.chaos && r.offline && r.cost) {
    out.push('## Summary')
    out.push('')
    out.push(summaryTable(r))
    out.push('')
  }
  if (r.size) {
    out.push('## 1. Size')
    out.push('')
    out.push(
      'Smallest import that constructs a socket, bundled by esbuild (browser, minified, nothing external), compressed with node:zlib (gzip -9, brotli q11).',
    )
    out.push('')
    out.push(
      table(
        ['entry', 'minified', 'min+gzip', 'min+brotli'],
        r.size.map((s) => [s.name, `${kb(s.min)} KB`, `${kb(s.gzip)} KB`, `${kb(s.brotli)} KB`]),
      ),
    )
    out.push('')
  }
  if (r.cost) {
    out.push('## Wrapper cost: time per send() and per dispatched message')
    out.push('')
    out.push(
      `Tight loop of ${num(c.cost.batch)} send() calls of 64 bytes on an open socket (buffer drained between batches), ${c.cost.rounds} rounds; ` +
        `${num(c.cost.dispatchN)} frames dispatched on the library's real native socket (a synthetic MessageEvent runs exactly the listeners the library attached, down to the user's callback), ${c.cost.dispatchRounds} rounds. ` +
        `Libraries interleaved in one tab, order rotated every round; the ratio is taken within each round. performance.now() at 5 µs resolution (cross-origin isolated page: ${r.cost.crossOriginIsolated}).`,
    )
    out.push('')
    out.push(
      table(
        ['library', 'ns per send()', 'ratio to native', 'ns per message', 'ratio to native'],
        Object.keys(r.cost.perSendNs).map((l) => [
          l === 'native-listener' ? 'native, addEventListener instead of onmessage' : l,
          range(r.cost.perSendNs[l]),
          range(r.cost.perSendRatio[l], 2, '×'),
          range(r.cost.perDispatchNs[l]),
          range(r.cost.perDispatchRatio[l], 2, '×'),
        ]),
      ),
    )
    out.push('')
    const bin = r.cost.perBinarySendNs
    if (bin) {
      out.push(
        `Binary: the same loop with one 64-byte Uint8Array sent again and again, native and steadysocket only. steadysocket copies it into its recovery log (\`recoverUnsent\`, on by default; see the Node table for the copy alone): ` +
          `${range(bin.steadysocket)} ns per send() against ${range(bin.native)} ns native, ${range(r.cost.perBinarySendRatio, 2, '×')} within each round.`,
      )
      out.push('')
    }
  }
  if (r.send) {
    out.push('## send() cost by kind of message (Node, no-op socket)')
    out.push('')
    out.push(
      `The SDK's own time per send() in a tight loop of ${num(c.send.batch)} calls over a WebSocket whose send() only adds to bufferedAmount (as Chromium's does; "transmitted" between batches), so the recovery log grows as in a burst. ${c.send.rounds} rounds per case, each case in three workers of its own, cases interleaved. ` +
        'Binary data is copied when the SDK holds it (queued, or kept in the recovery log, which `recoverUnsent` keeps by default); written straight through without the log it is not: the difference between the two "open" rows of a size is the copy.',
    )
    out.push('')
    out.push(
      table(
        ['case', 'ns per send()'],
        Object.entries(r.send).map(([name, s]) => [name, range(s)]),
      ),
    )
    out.push('')
  }
  if (r.throughput) {
    out.push(`## 2–3. Throughput, end to end`)
    out.push('')
    out.push(
      `${num(r.throughput.n)} messages of 64 bytes. Send: from the first send() until the server has them all (the server answers 'done'); SteadySocket streams with its backpressure (past the 1 MiB high-water mark send() queues and the loop awaits 'drain'), the others take all at once. ` +
        `Receive: the server writes ${num(r.throughput.n)} pre-encoded frames at once; timed until the library's message callback saw the last. ${c.throughput.rounds} rounds, order rotated. ` +
        'Both are capped by Chromium and loopback on this machine and move by about ±20 % between runs for every library, native included.',
    )
    out.push('')
    out.push(
      table(
        ['library', 'send msg/s', 'vs native', 'receive msg/s', 'vs native'],
        LIBS.map((l) => [
          l,
          range(r.throughput.send[l].msgPerS),
          range(r.throughput.send[l].ratio, 2, '×'),
          range(r.throughput.receive[l].msgPerS),
          range(r.throughput.receive[l].ratio, 2, '×'),
        ]),
      ),
    )
    out.push('')
  }
  if (r.resume) out.push(...renderResume(r))
  if (r.burst) {
    const m = r.burst.messages
    const b = r.burst.bytes
    out.push('## Naive bursts: code written for the native socket')
    out.push('')
    out.push(
      `SteadySocket with default options driven as a native socket is: one loop of send() calls that never awaits 'drain', timed until the server has every message; native and steadysocket alternate, ${c.burst.rounds} rounds. ` +
        `Past the high-water mark SteadySocket holds the rest in its queue (${range(m.queuedAfterLoop)} of ${num(c.burst.n)} when the loop ended) and writes it as the native buffer drains; nothing is dropped.`,
    )
    out.push('')
    out.push(
      table(
        ['burst', 'native', 'steadysocket', 'ratio'],
        [
          [
            `${num(c.burst.n)} × 64 B`,
            range(m.native, 0, ' msg/s'),
            range(m.steadysocket, 0, ' msg/s'),
            range(m.ratio, 2, '×'),
          ],
          [
            `${num(c.burst.chunks)} × 64 KiB`,
            range(b.native, 1, ' MiB/s'),
            range(b.steadysocket, 1, ' MiB/s'),
            range(b.ratio, 2, '×'),
          ],
        ],
      ),
    )
    out.push('')
  }
  if (r.large) {
    out.push('## 4. Large transfer to a slow reader')
    out.push('')
    out.push(
      `${num(c.large.total / MiB)} MiB in ${num(c.large.chunk / 1024)} KiB chunks (one buffer, sent again and again) to a server reading at ${num(c.large.rate / MiB)} MiB/s (it pauses the TCP socket when ahead). ` +
        `SteadySocket: send until 'queued', await 'drain'; the others: send everything at once (what they offer). Memory: peak growth of private resident memory of the tab's renderer process (and of the network service), sampled every 20 ms from /proc; also the peak JS heap (performance.memory) and the peak bufferedAmount (plus queue). Own tab (renderer) per run, ${c.large.rounds} round(s).`,
    )
    out.push('')
    out.push(
      table(
        [
          'library',
          'time',
          'renderer memory peak',
          'network service',
          'JS heap peak',
          'bufferedAmount peak',
        ],
        LIBS.map((l) => [
          l,
          range(r.large[l].ms, 0, ' ms'),
          range(r.large[l].rendererMiB, 1, ' MiB'),
          range(r.large[l].networkMiB, 1, ' MiB'),
          range(r.large[l].jsHeapMiB, 1, ' MiB'),
          range(r.large[l].bufferedMiB, 1, ' MiB'),
        ]),
      ),
    )
    out.push('')
  }
  if (r.offline) {
    out.push('## 5. Offline queue')
    out.push('')
    out.push(
      `${num(c.offline.n)} numbered sends while nothing listens on the port (connection refused), then the server comes up ${c.offline.downMs} ms later. Reconnect every 100 ms for all (websocket-ts with its opt-in ArrayQueue buffer). ` +
        `"connect" is server up → first connection; "flush" is first connection → last message at the server. Each library in its own tab (renderer): Chromium throttles new WebSocket connections per renderer after failures, which shapes "connect". ${c.offline.rounds} round(s).`,
    )
    out.push('')
    out.push(
      table(
        ['library', 'arrived', 'in order', 'connect', 'flush', 'send() threw', 'reported dropped'],
        LIBS.map((l) => {
          const o = r.offline[l]
          return [
            l,
            `${range(o.arrived)} of ${num(o.of)}`,
            o.arrived.median > 0 ? (o.allInOrder ? 'yes' : 'no') : '–',
            range(o.connectMs, 0, ' ms'),
            range(o.flushMs, 0, ' ms'),
            range(o.threw),
            range(o.dropped),
          ]
        }),
      ),
    )
    out.push('')
  }
  if (r.reconnect) {
    out.push('## 6. Reconnect latency')
    out.push('')
    out.push(
      `The server terminates the connection (no close frame, the client sees 1006); time from the terminate to the next connection at the server. Fastest setting: steadysocket \`reconnect: { delay: () => 0 }\`, reconnecting-websocket and partysocket \`minReconnectionDelay: 0, maxReconnectionDelay: 0\`, sockette \`timeout: 1\` (0 means 1000), websocket-ts \`ConstantBackoff(0)\` + \`instantReconnect\`; ${c.reconnect.fastTrials} trials each. ` +
        `Defaults: a fresh tab per trial (reconnecting-websocket draws its delay once per page load), libraries side by side, ${c.reconnect.defaultRounds} round(s), given up after ${num(r.reconnect.capMs)} ms.`,
    )
    out.push('')
    out.push(
      table(
        ['library', 'fastest setting', 'defaults'],
        PEERS.map((l) => {
          const f = r.reconnect.fast?.[l]
          const d = r.reconnect.defaults?.[l]
          const show = (x) =>
            !x
              ? '–'
              : x.never === x.trials
                ? 'never (no reconnect by default)'
                : range(x.ms, 0, ' ms') + (x.never ? `, ${x.never} of ${x.trials} never` : '')
          return [l, show(f), show(d)]
        }),
      ),
    )
    out.push('')
  }
  if (r.chaos) {
    out.push('## 7. Chaos delivery')
    out.push('')
    out.push(
      `${num(r.chaos.n)} numbered 64-byte sends, ${c.chaos.perTick} every ${c.chaos.tickMs} ms, while the server runs the same seeded (seed ${r.chaos.seed}) fault schedule for every library: ` +
        r.chaos.schedule
          .map((f) => `${f.kind} at ${f.at} ms${f.ms ? ` for ${f.ms} ms` : ''}`)
          .join(', ') +
        '. Reconnect every 100 ms for all. "Reported" = the library told the caller (a `drop` event, a `\'dropped\'` result, or a throw); "lost" = neither delivered nor reported. ' +
        "The reconnecting libraries lose what no client can get back: bytes already handed to TCP when the connection dies (at these rates the kernel and the server absorb everything a stalled server leaves unread, so the browser's own buffer, from which steadysocket re-sends, stays empty), and frames the browser discards after the server's close frame arrived (Chromium counts none of those in bufferedAmount). Only an application-level acknowledgement covers them. " +
        `Each library in its own tab, ${c.chaos.rounds} round(s).`,
    )
    out.push('')
    out.push(
      table(
        [
          'library',
          'delivered',
          'reported',
          'lost silently',
          'duplicates',
          'out of order',
          'connections',
        ],
        Object.keys(r.chaos.libs).map((l) => {
          const x = r.chaos.libs[l]
          return [
            l === RESUME ? 'steadysocket, `resume: true`' : l,
            range(x.delivered),
            range(x.reported),
            range(x.lost),
            range(x.duplicates),
            range(x.outOfOrder),
            range(x.connections),
          ]
        }),
      ),
    )
    out.push('')
  }
  if (r.leak) {
    out.push('## 8. Leaks')
    out.push('')
    out.push(
      `${c.leak.cycles} drop/reconnect cycles (the server terminates each connection as soon as the client writes to it; fastest reconnect setting; native re-created by hand on close), JS heap after a forced GC (\`--js-flags=--expose-gc\`) before and after; then close() and, a second later, the connections still open at the server and any made after close(). Own tab each.`,
    )
    out.push('')
    out.push(
      table(
        [
          'library',
          'cycles',
          'ms per cycle',
          'heap growth',
          'heap after close()',
          'open at server after close()',
          'connections after close()',
        ],
        LIBS.map((l) => {
          const x = r.leak[l]
          if (x.error) return [l, x.error, '', '', '', '', '']
          return [
            l,
            num(x.cycles),
            num(x.msPerCycle, 1),
            `${num(x.heapGrowthKiB, 0)} KiB`,
            `${num(x.heapAfterCloseKiB, 0)} KiB`,
            num(x.liveAfterClose),
            num(x.connectsAfterClose),
          ]
        }),
      ),
    )
    out.push('')
  }
  if (r.queue) {
    out.push('## 9. Queue micro-benchmark (Node)')
    out.push('')
    out.push(
      "steadysocket's ring-buffer `Queue` (src/queue.ts, bundled with esbuild) against a plain array with push()/shift(), in Node " +
        `${r.machine.node}. fill-drain: n pushes, then n shifts; steady: 1000 waiting, then n × (push, shift). Each run in a worker thread, killed at its time cap.`,
    )
    out.push('')
    out.push(
      table(
        ['pattern', 'n', 'Queue ns/item', 'Queue total', 'Array ns/item', 'Array total'],
        [...new Set(r.queue.map((q) => `${q.pattern}|${q.n}`))].map((key) => {
          const [pattern, n] = key.split('|')
          const q = r.queue.find(
            (x) => x.pattern === pattern && x.n === Number(n) && x.kind === 'queue',
          )
          const a = r.queue.find(
            (x) => x.pattern === pattern && x.n === Number(n) && x.kind === 'array',
          )
          const total = (x) =>
            x.timedOut
              ? `not done after ${num(x.capMs / 1000)} s (${num(x.dequeuedBeforeCap)} dequeued; ≈ ${num(x.estimatedTotalS)} s extrapolated)`
              : `${num(x.totalMs, 1)} ms`
          return [
            pattern,
            num(Number(n)),
            range(q.nsPerItem, 1),
            total(q),
            a.timedOut ? '–' : range(a.nsPerItem, 1),
            total(a),
          ]
        }),
      ),
    )
    out.push('')
  }
  return out.join('\n')
}

/** The `resume` section: SteadySocket with and without resumable sessions, side by side. */
function renderResume(r) {
  const out = []
  const x = r.resume
  out.push('## Resumable sessions: `resume: true` against the plain SteadySocket')
  out.push('')
  out.push(
    'SteadySocket with `resume: true` against `resumable()` from `steadysocket/server` (dist/server.js, defaults: `maxBytes` 1 MiB, acknowledgements after 32 messages, a quarter of `max` or 100 ms), next to the plain SteadySocket on the plain endpoints, in the same run and tab.',
  )
  out.push('')
  const rows = []
  if (x.throughput) {
    const t = x.throughput
    const row = (name, s) => [
      name,
      range(s.plain, 0, ' msg/s'),
      range(s.resume, 0, ' msg/s'),
      range(s.ratio, 2, '×'),
    ]
    rows.push(row(`send ${num(t.n)} × 64 B`, t.send))
    rows.push(row(`receive ${num(t.n)} × 64 B, pre-encoded frames`, t.receive))
    if (t.receiveServer)
      rows.push(
        row(
          `receive ${num(t.n)} × 64 B, one ws.send() per message / from resumable()`,
          t.receiveServer,
        ),
      )
  }
  if (x.chaos) {
    const c = (l) =>
      `${range(l.delivered)} / ${range(l.reported)} / ${range(l.lost)}` +
      (l.duplicates.median ? `, ${range(l.duplicates)} duplicated` : '')
    rows.push([
      `chaos: delivered / reported / lost of ${num(r.chaos.n)}`,
      c(x.chaos.plain),
      c(x.chaos.resume),
      '',
    ])
  }
  out.push(table(['', 'plain', '`resume: true`', 'ratio'], rows))
  out.push('')
  if (x.throughput) {
    out.push(
      'Throughput is measured as in "Throughput, end to end", in the same rotation as the other libraries; the ratio is taken round by round against the plain SteadySocket. ' +
        "Send: the server is `resumable()` (it counts session messages, acknowledges them, answers 'done'). Receive, pre-encoded: a minimal peer answers the `hello` and writes the frames (`:` + 64 bytes) at once, as the plain row's server does, so both rows time the client alone. Receive, one ws.send() per message: the plain socket from a `ws` server that calls `ws.send()` for each message, the resumable one from the real `resumable()` server, which `session.send()`s each (numbers it, keeps it until acknowledged, writes it); the servers' work shares the machine's 2 cores with Chromium.",
    )
    out.push('')
  }
  if (x.overhead && Object.keys(x.overhead).length) {
    const n = Object.values(x.overhead)[0].n
    out.push(
      `Bytes on the wire: ${num(n)} messages of 64 bytes sent, then ${num(n)} received, text and binary, on one connection per case; the server counts the frames and payload it reads and its TCP socket's bytes read and written (frame headers and masks included, the hello and the handshake not: they fall before the first snapshot). ` +
        '"wire per message" is both directions together (a message, and what travels back for it), plain and resumable.',
    )
    out.push('')
    const once = Object.values(x.overhead)[0].perConnection
    out.push(
      `Once per connection, the greeting: ${num(once.clientToServer)} more bytes from the client (the \`hello\`, and 2 bytes of the upgrade request's \`/r/\` path) and ${num(once.serverToClient)} more from the server (the \`welcome\`).`,
    )
    out.push('')
    const b = (v) => `${num(v, 2)} B`
    out.push(
      table(
        [
          'message',
          'wire per message, plain',
          'with resume',
          'overhead',
          'header on the data frame',
          'acknowledgements',
        ],
        Object.entries(x.overhead).flatMap(([kind, o]) => [
          [
            `${kind}, client → server`,
            b(o.send.plainWire),
            b(o.send.resumeWire),
            b(o.send.resumeWire - o.send.plainWire),
            b(o.send.headerBytes),
            `${b(o.send.ackWire)} (server → client)`,
          ],
          [
            `${kind}, server → client`,
            b(o.receive.plainWire),
            b(o.receive.resumeWire),
            b(o.receive.resumeWire - o.receive.plainWire),
            b(o.receive.headerBytes),
            `${b(o.receive.ackWire)} (client → server: ${num(o.receive.ackFrames)} frames, ${b(o.receive.ackPayload)} payload)`,
          ],
        ]),
      ),
    )
    out.push('')
  }
  return out
}
