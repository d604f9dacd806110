// The proof of resumable sessions in real Chromium: the built UMD bundle in a page talks to a
// `resumable()` server in this process through the fault proxy. Each side sends 2,000 numbered
// messages at a steady rate while the proxy cuts the connection 20 times (mostly TCP resets, some
// black holes that cut later) at moments drawn from a seeded PRNG. Afterwards each side must have
// received exactly 1..2,000 in order, in one session that every reconnect resumed. Then: text
// and every binary kind both ways through cuts (binaryType 'arraybuffer' and 'blob'), and bursts
// that fill Chromium's own buffer before a reset or a reconnect() (no recovery doubling a replay).
//
// Every cut lands on an established connection (after its welcome): Chromium throttles new
// WebSocket connections after failed handshakes, and a cut in the middle of one would count as
// such a failure. RESUME_SEED replays the cut schedule.
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { startFaultServer, waitFor, type FaultServer } from '../support/fault-server.mjs'
import {
  mulberry32,
  seedFrom,
  sleep,
  startProxy,
  startResumable,
  stopAll,
  type Session,
} from '../node/resume-kit'
import { assertBundleBuilt, describeBrowser, launchChromium, openBundlePage } from './chromium'
import type { Browser } from './chromium'

const SEED = seedFrom('RESUME_SEED')
const MESSAGES = 2000
const CUTS = 20
const MAX_BYTES = 65536
const SIZE = 100
const TICK_MS = 5
const PER_TICK = 3
const BUDGET_MS = 50_000

/** What the page reports: what it received, in order, and its session events. */
type PageState = {
  sent: number
  numbers: number[]
  bad: string[]
  broken: boolean
  sessions: { id: string; resumed: boolean; unconfirmed: number }[]
  errors: string[]
  status: string
}
type ProofWindow = {
  proof: {
    start(url: string, config: typeof PAGE): void
    state(): PageState
    close(): void
  }
}

const PAGE = {
  maxBytes: MAX_BYTES,
  messages: MESSAGES,
  size: SIZE,
  tickMs: TICK_MS,
  perTick: PER_TICK,
  // Small but not zero: Chromium throttles a page whose connections keep failing.
  reconnect: { initialDelay: 25, maxDelay: 400, minUptime: 1000 },
  connectTimeout: 3000,
}

describeBrowser('resumable sessions in Chromium', () => {
  let browser: Browser
  let pageServer: FaultServer
  let page: Page

  beforeAll(async () => {
    assertBundleBuilt()
    browser = await launchChromium()
    pageServer = await startFaultServer({ echo: false })
    page = await openBundlePage(browser, pageServer, HARNESS)
  })

  afterAll(async () => {
    await page?.close()
    await browser?.close()
    await pageServer?.close()
    await stopAll()
  })

  it(`${MESSAGES} messages each way arrive exactly once and in order through ${CUTS} cuts`, async () => {
    console.log(`resume (Chromium): seed ${SEED} (RESUME_SEED=${SEED} replays the cut schedule)`)
    const started = Date.now()
    const deadline = started + BUDGET_MS
    const rng = mulberry32(SEED)
    const plan = Array.from({ length: CUTS }, () => Math.floor(200 + rng() * (2 * MESSAGES - 500)))
      .sort((a, b) => a - b)
      .map((at) => ({
        at,
        kind: rng() < 0.8 ? ('reset' as const) : ('blackhole' as const),
        ms: 100 + Math.floor(rng() * 200),
      }))

    const server = await startResumable({ window: 120_000, maxBytes: MAX_BYTES })
    const proxy = await startProxy(server.port)
    const toServer: number[] = []
    const badAtServer: string[] = []
    let serverSent = 0
    let serverBroken = false
    let tick: NodeJS.Timeout | undefined
    server.server.on('session', (session: Session) => {
      if (server.sessions.length > 1) return // a second session is a failure, asserted below
      let blocked = false
      session.on('drain', () => (blocked = false))
      session.on('message', (data) => {
        const n = typeof data === 'string' ? Number(/^c(\d+):/.exec(data)?.[1]) : NaN
        if (data !== payload('c', n, SIZE)) {
          if (badAtServer.length < 10) badAtServer.push(String(data).slice(0, 40))
          serverBroken = true
        } else {
          if (n !== toServer.length + 1) serverBroken = true
          toServer.push(n)
        }
      })
      // send() keeps the message when it returns false; the sender waits for 'drain'.
      tick = setInterval(() => {
        for (let i = 0; i < PER_TICK && !blocked && serverSent < MESSAGES; i++) {
          if (!session.send(payload('s', ++serverSent, SIZE))) blocked = true
        }
        if (serverSent >= MESSAGES) clearInterval(tick)
      }, TICK_MS)
    })

    const state = () => page.evaluate(() => (window as unknown as ProofWindow).proof.state())
    try {
      await page.evaluate(
        ({ url, config }) => (window as unknown as ProofWindow).proof.start(url, config),
        { url: proxy.url, config: PAGE },
      )

      // ---- the cuts, each on a connection that has been welcomed ----
      let done = 0
      let sessionsAtLastCut = 0
      let last: PageState | undefined
      for (let i = 0; done < CUTS && i < BUDGET_MS / 10 && Date.now() < deadline; i++) {
        await sleep(10)
        last = await state()
        if (last.broken || serverBroken) break // asserted below, with what arrived
        const cut = plan[done]!
        if (last.numbers.length + toServer.length < cut.at || proxy.live === 0) continue
        if (last.sessions.length <= sessionsAtLastCut) continue
        const n = cut.kind === 'reset' ? proxy.reset() : proxy.blackhole(cut.ms)
        if (n === 0) continue
        done += 1
        sessionsAtLastCut = last.sessions.length
      }

      // ---- everything arrives ----
      await waitFor(
        async () => {
          last = await state()
          // A cut may land after the last message arrived: the page must still resume.
          return (
            (last.numbers.length >= MESSAGES &&
              toServer.length >= MESSAGES &&
              last.sessions.length >= done + 1) ||
            last.broken ||
            serverBroken
          )
        },
        { timeout: Math.max(1000, deadline - Date.now()), interval: 50 },
      ).catch(() => {})
      const duration = Date.now() - started
      await sleep(200) // a late duplicate would show too
      const end = await state()
      const stats = proxy.stats
      console.log(
        `resume (Chromium): ${duration} ms, ${stats.cuts} cuts (${stats.resets} resets, ` +
          `${stats.blackholes} black holes), ${stats.accepted - 1} reconnects, ` +
          `${end.sessions.length} session events, ${end.errors.length} errors; ` +
          `${MESSAGES} messages each way of ${SIZE} bytes; proxy bytes up ${stats.bytesUp}, ` +
          `down ${stats.bytesDown}`,
      )

      const sent = `the page sent ${end.sent}, the server ${serverSent}`
      expect(badAtServer, 'page → server: wrong payloads').toEqual([])
      expect(end.bad, 'server → page: wrong payloads').toEqual([])
      expect(deviation(toServer, MESSAGES), `page → server (${sent})`).toBeUndefined()
      expect(deviation(end.numbers, MESSAGES), `server → page (${sent})`).toBeUndefined()
      expect(done, 'cuts made before the budget ran out').toBe(CUTS)
      expect(stats.cuts).toBe(CUTS)

      expect(server.sessions.length, 'sessions the server emitted').toBe(1)
      const id = server.sessions[0]!.id
      expect(end.sessions[0]).toEqual({ id, resumed: false, unconfirmed: 0 })
      expect(
        end.sessions.slice(1).filter((s) => !s.resumed || s.id !== id || s.unconfirmed > 0),
        'session events after the first that did not resume the one session',
      ).toEqual([])
      expect(end.sessions.length).toBeGreaterThanOrEqual(CUTS + 1)
      expect(browser.errors).toEqual([])

      // close() in the page ends the session on the server.
      await page.evaluate(() => (window as unknown as ProofWindow).proof.close())
      await waitFor(() => server.ends.get(id), { timeout: 5000, message: 'no end after close()' })
      expect(server.ends.get(id)).toBe('closed')
    } finally {
      clearInterval(tick)
    }
  })

  for (const binaryType of ['arraybuffer', 'blob'] as const) {
    it(`text stays text and binary stays binary both ways through cuts (binaryType '${binaryType}')`, async () => {
      const ROUNDS = 6
      const server = await startResumable()
      const proxy = await startProxy(server.port)
      const serverGot: Tagged[] = []
      server.server.on('session', (session: Session) => {
        session.on('message', (data) => {
          serverGot.push(
            typeof data === 'string' ? ['text', data] : ['binary', [...(data as Buffer)]],
          )
          session.send(data)
        })
      })
      const mixed = (fn: string, arg?: unknown) =>
        page.evaluate(
          ([fn, arg]) =>
            (window as unknown as { mixed: Record<string, (a: unknown) => unknown> }).mixed[fn!]!(
              arg,
            ),
          [fn, arg] as const,
        )
      const state = () => mixed('state') as Promise<{ got: Tagged[]; sessions: number }>
      await mixed('start', { url: proxy.url, binaryType })
      try {
        await waitFor(async () => (await state()).sessions === 1, { timeout: 10_000 })
        for (let round = 0; round < ROUNDS; round++) {
          await mixed('send', round)
          proxy.reset() // with those frames in flight, both ways
          await waitFor(async () => (await state()).sessions === round + 2, { timeout: 10_000 })
        }
        const expected = Array.from({ length: ROUNDS }, (_, round) => sent(round)).flat()
        await waitFor(async () => (await state()).got.length >= expected.length, {
          timeout: 10_000,
        }).catch(() => {})
        await sleep(100)
        // What the server saw: text as text, every binary kind (view, ArrayBuffer, Blob) as bytes.
        expect(serverGot).toEqual(expected)
        // What came back: text as text, binary as the page's binaryType.
        const back = binaryType === 'blob' ? 'blob' : 'binary'
        expect((await state()).got).toEqual(
          expected.map(([kind, v]) => (kind === 'text' ? [kind, v] : [back, v])),
        )
        expect(browser.errors).toEqual([])
      } finally {
        await mixed('close')
      }
    })
  }

  it('bursts that fill the native buffer, each ended by a reset or by reconnect(): the server gets each message exactly once', async () => {
    const ROUNDS = 6
    const PER_ROUND = 150
    const BIG = 8192
    const server = await startResumable({ maxBytes: 1 << 20 })
    const proxy = await startProxy(server.port)
    const got: number[] = []
    const bad: string[] = []
    server.server.on('session', (session: Session) => {
      session.on('message', (data) => {
        const n = typeof data === 'string' ? Number(/^c(\d+):/.exec(data)?.[1]) : NaN
        if (data === payload('c', n, BIG)) got.push(n)
        else if (bad.length < 5) bad.push(String(data).slice(0, 30))
      })
    })
    type Burst = { burst: Record<string, (a?: unknown) => unknown> }
    const call = (fn: string, arg?: unknown) =>
      page.evaluate(([fn, arg]) => (window as unknown as Burst).burst[fn!]!(arg), [
        fn,
        arg,
      ] as const)
    await call('start', { url: proxy.url, size: BIG })
    try {
      await waitFor(async () => (await call('sessions')) === 1, { timeout: 10_000 })
      const buffered: number[] = []
      for (let round = 0; round < ROUNDS; round++) {
        buffered.push(
          (await call('send', { from: round * PER_ROUND + 1, count: PER_ROUND })) as number,
        )
        if (round % 2 === 0) proxy.reset()
        else await call('reconnect')
        await waitFor(async () => (await call('sessions')) === round + 2, { timeout: 10_000 })
      }
      const total = ROUNDS * PER_ROUND
      await waitFor(() => got.length >= total || bad.length > 0, { timeout: 20_000 }).catch(
        () => {},
      )
      await sleep(200)
      console.log(
        `resume bursts (Chromium): native bufferedAmount after each burst: ${buffered.join(', ')}`,
      )
      expect(bad).toEqual([])
      expect(deviation(got, total)).toBeUndefined()
      expect(server.sessions.length).toBe(1)
      // The native buffer held data when the connection ended, or this proves nothing.
      expect(Math.max(...buffered)).toBeGreaterThan(0)
      expect(browser.errors).toEqual([])
    } finally {
      await call('close')
    }
  })
})

/** Message `n` from `side`: its number, then filler up to `size` bytes (the page has a copy). */
function payload(side: string, n: number, size: number): string {
  const head = `${side}${n}:`
  return head + String.fromCharCode(97 + (n % 26)).repeat(size - head.length)
}

/** Where `numbers` first differs from 1..count, or undefined. */
function deviation(numbers: number[], count: number): string | undefined {
  for (let i = 0; i < numbers.length; i++) {
    if (numbers[i] !== i + 1) {
      const around = numbers.slice(Math.max(0, i - 3), i + 4).join(', ')
      return `at arrival ${i + 1}: got #${numbers[i]} (around: ${around})`
    }
  }
  return numbers.length === count ? undefined : `${numbers.length} arrived, ${count} expected`
}

type Tagged = [string, string | number[]]

/** What the page sends in a round, as the server should see it (same as the page's `send`). */
function sent(round: number): Tagged[] {
  return [
    ['text', `:${round}{`],
    ['binary', [round, 0x3a, 255]],
    ['binary', [0x7b, round]],
    ['binary', [0x3a, 0x78, round]],
    ['text', ''],
  ]
}

// The page's side, as a classic script next to the UMD bundle (global SteadySocket).
const HARNESS = `
(() => {
  const payload = ${payload.toString()}
  const st = { sent: 0, numbers: [], bad: [], broken: false, sessions: [], errors: [], status: '' }
  let socket = null
  let timer = 0
  window.proof = {
    start(url, config) {
      socket = new SteadySocket(url, {
        resume: { maxBytes: config.maxBytes },
        reconnect: config.reconnect,
        connectTimeout: config.connectTimeout,
      })
      socket.on('session', (e) =>
        st.sessions.push({ id: e.id, resumed: e.resumed, unconfirmed: e.unconfirmed.length }))
      socket.on('error', (e) => st.errors.push(String(e && e.message)))
      socket.on('message', (data) => {
        const m = typeof data === 'string' ? /^s(\\d+):/.exec(data) : null
        const n = m ? Number(m[1]) : NaN
        if (data !== payload('s', n, config.size)) {
          if (st.bad.length < 10) st.bad.push(String(data).slice(0, 40))
          st.broken = true
          return
        }
        if (n !== st.numbers.length + 1) st.broken = true
        st.numbers.push(n)
      })
      timer = setInterval(() => {
        for (let i = 0; i < config.perTick && st.sent < config.messages; i++) {
          socket.send(payload('c', ++st.sent, config.size))
        }
        if (st.sent >= config.messages) clearInterval(timer)
      }, config.tickMs)
    },
    state() {
      st.status = socket ? socket.status : ''
      return st
    },
    close() {
      clearInterval(timer)
      socket.close()
    },
  }

  // Text, a Uint8Array, an ArrayBuffer and a Blob each round; what comes back, tagged in order.
  let mixed = null
  const tag = (d) =>
    typeof d === 'string'
      ? ['text', d]
      : d instanceof Blob
        ? d.arrayBuffer().then((b) => ['blob', Array.from(new Uint8Array(b))])
        : ['binary', Array.from(new Uint8Array(d))]
  // Bursts of big numbered messages; send() answers the native bufferedAmount right after.
  let burst = null
  window.burst = {
    start({ url, size }) {
      const socket = new SteadySocket(url, {
        resume: { maxBytes: 1 << 20 },
        reconnect: { initialDelay: 25, maxDelay: 400 },
      })
      burst = { socket, size, sessions: 0 }
      socket.on('session', () => burst.sessions++)
    },
    send({ from, count }) {
      for (let n = from; n < from + count; n++) burst.socket.send(payload('c', n, burst.size))
      return burst.socket.bufferedAmount - burst.socket.queuedBytes
    },
    reconnect() {
      burst.socket.reconnect()
    },
    sessions() {
      return burst.sessions
    },
    close() {
      burst.socket.close()
    },
  }

  window.mixed = {
    start({ url, binaryType }) {
      const socket = new SteadySocket(url, {
        resume: true,
        binaryType,
        reconnect: { initialDelay: 25, maxDelay: 400 },
      })
      mixed = { socket, got: [], sessions: 0 }
      socket.on('session', () => mixed.sessions++)
      socket.on('message', (d) => mixed.got.push(tag(d)))
    },
    send(round) {
      const s = mixed.socket
      s.send(':' + round + '{')
      s.send(new Uint8Array([round, 0x3a, 255]))
      s.send(new Uint8Array([0x7b, round]).buffer)
      s.send(new Blob([':x', new Uint8Array([round])]))
      s.send('')
    },
    async state() {
      return { got: await Promise.all(mixed.got), sessions: mixed.sessions }
    },
    close() {
      mixed.socket.close()
    },
  }
})()
`
