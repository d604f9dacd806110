// The proof of resumable sessions in Node: a `resume` client and a `resumable()` server talk
// through the fault proxy, each sending 10,000 numbered messages at a steady rate, while the proxy
// cuts the connection 50 times at moments drawn from a seeded PRNG (a TCP reset, or a black hole
// that forwards nothing and cuts later). Afterwards each side must have received exactly 1..10,000
// in order, in one session that every reconnect resumed, and neither side's unacknowledged bytes
// may ever have passed `maxBytes`.
//
// RESUME_SEED replays a run's cut schedule (where the cuts land in the traffic; the network's
// timing still varies). The figures of each run are printed.
import { afterEach, expect, test } from 'vitest'
import { waitFor } from '../support/fault-server.mjs'
import {
  client,
  clientUnacked,
  mulberry32,
  seedFrom,
  sleep,
  startProxy,
  startResumable,
  stopAll,
  type Session,
} from './resume-kit'

const SEED = seedFrom('RESUME_SEED')
const MESSAGES = 10_000
const CUTS = 50
const MAX_BYTES = 65536
/** Payload bytes of every message: big enough that a black hole fills `maxBytes` on both sides. */
const SIZE = 200
/**
 * Each side sends RATE messages a second by the wall clock, on a TICK_MS timer that catches up
 * (at most MAX_PER_TICK at once) when a loaded machine runs it late.
 */
const RATE = 1000
const TICK_MS = 5
const MAX_PER_TICK = 50
/** How many of the MESSAGES should have been sent `ms` after the start. */
const due = (ms: number) => Math.min(MESSAGES, Math.floor((ms * RATE) / 1000))
/** The whole proof, cuts and final delivery included, must end within this. */
const BUDGET_MS = 60_000

afterEach(stopAll)

test(
  `${MESSAGES} messages each way arrive exactly once and in order through ${CUTS} cuts`,
  async () => {
    console.log(`resume proof: seed ${SEED} (RESUME_SEED=${SEED} replays the cut schedule)`)
    const started = Date.now()
    const deadline = started + BUDGET_MS
    const rng = mulberry32(SEED)
    // Where the cuts land: after a number of messages delivered (both ways together), so that all
    // of them hit live traffic however fast this machine is; a fifth of them may also land before
    // the connection's welcome, in the middle of the hello/welcome exchange.
    const plan = Array.from({ length: CUTS }, () => Math.floor(300 + rng() * (2 * MESSAGES - 800)))
      .sort((a, b) => a - b)
      .map((at) => ({
        at,
        kind: rng() < 0.6 ? ('reset' as const) : ('blackhole' as const),
        ms: 100 + Math.floor(rng() * 300),
        anywhere: rng() < 0.2,
      }))

    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    const timers: NodeJS.Timeout[] = []
    try {
      const server = await startResumable({ window: 120_000, maxBytes: MAX_BYTES })
      const proxy = await startProxy(server.port)
      const toServer = new Ledger('c')
      const toClient = new Ledger('s')
      const clientBound = new Bound()
      const serverBound = new Bound()
      let serverFalse = 0
      let serverSent = 0

      server.server.on('session', (session: Session) => {
        if (server.sessions.length > 1) return // a second session is a failure, asserted below
        let blocked = false
        session.on('drain', () => (blocked = false))
        session.on('message', (data) => {
          toServer.receive(data)
          serverBound.sample(session.bufferedBytes)
        })
        // send() keeps a message even when it returns false (as a Node stream's write() does):
        // the sender stops until 'drain'.
        const tick = setInterval(() => {
          const target = due(Date.now() - started)
          for (let i = 0; i < MAX_PER_TICK && !blocked && serverSent < target; i++) {
            const ok = session.send(payload('s', ++serverSent))
            serverBound.sample(session.bufferedBytes)
            if (!ok) {
              blocked = true
              serverFalse += 1
            }
          }
          if (serverSent >= MESSAGES) clearInterval(tick)
        }, TICK_MS)
        timers.push(tick)
      })

      const socket = client<string, string>(proxy.url, {
        resume: { maxBytes: MAX_BYTES },
        reconnect: { initialDelay: 10, maxDelay: 200 },
      })
      const sessions: { id: string; resumed: boolean; unconfirmed: string[] }[] = []
      let errors = 0
      socket.on('session', (e) => sessions.push(e))
      socket.on('error', () => (errors += 1))
      socket.on('message', (data) => {
        toClient.receive(data)
        clientBound.sample(clientUnacked(socket))
      })
      let clientSent = 0
      const tick = setInterval(() => {
        const target = due(Date.now() - started)
        for (let i = 0; i < MAX_PER_TICK && clientSent < target; i++) {
          socket.send(payload('c', ++clientSent))
          clientBound.sample(clientUnacked(socket))
        }
        if (clientSent >= MESSAGES) clearInterval(tick)
      }, TICK_MS)
      timers.push(tick)

      // ---- the cuts ----
      let done = 0
      let welcomedCuts = 0
      let sessionsAtLastCut = 0
      const log: string[] = []
      for (let i = 0; done < CUTS && i < BUDGET_MS && Date.now() < deadline; i++) {
        await sleep(2)
        if (toServer.broken || toClient.broken) break // asserted below, with what arrived
        const cut = plan[done]!
        const progress = toServer.numbers.length + toClient.numbers.length
        if (progress < cut.at || proxy.live === 0) continue
        // Most cuts wait for this connection's welcome, so that each of them ends a connection
        // that carried the session.
        const welcomed = sessions.length > sessionsAtLastCut
        if (!cut.anywhere && !welcomed) continue
        const n = cut.kind === 'reset' ? proxy.reset() : proxy.blackhole(cut.ms)
        if (n === 0) continue
        done += 1
        if (welcomed) welcomedCuts += 1
        sessionsAtLastCut = sessions.length
        log.push(`${cut.kind}${cut.kind === 'blackhole' ? ` ${cut.ms} ms` : ''} at ${progress}`)
      }

      // ---- everything arrives ----
      // Ends early when a wrong message arrived; a timeout shows in the checks below. A cut may
      // land after the last message arrived: the client must still come back and resume.
      await waitFor(
        () =>
          (toServer.numbers.length >= MESSAGES &&
            toClient.numbers.length >= MESSAGES &&
            sessions.length >= welcomedCuts + 1) ||
          toServer.broken ||
          toClient.broken,
        { timeout: Math.max(1000, deadline - Date.now()), interval: 20 },
      ).catch(() => {})
      const duration = Date.now() - started
      // A little longer, so that a duplicate delivered late is seen too.
      await sleep(200)
      const stats = proxy.stats
      console.log(
        `resume proof: ${duration} ms, ${stats.cuts} cuts (${stats.resets} resets, ` +
          `${stats.blackholes} black holes, ${welcomedCuts} after the welcome), ` +
          `${stats.accepted - 1} reconnects, ${sessions.length} session events, ${errors} errors; ` +
          `${MESSAGES} messages each way of ${SIZE} bytes; max unacknowledged bytes: client ` +
          `${clientBound.max}, server ${serverBound.max} (bound ${MAX_BYTES}); server send() ` +
          `returned false ${serverFalse} times; proxy bytes up ${stats.bytesUp}, down ` +
          `${stats.bytesDown}, dropped ${stats.bytesDropped}`,
      )

      // Exactly 1..MESSAGES, in order, each with its own payload, both ways.
      expect(toServer.bad, 'client → server: wrong payloads').toEqual([])
      expect(toClient.bad, 'server → client: wrong payloads').toEqual([])
      const sent = `the client sent ${clientSent}, the server ${serverSent}`
      expect(deviation(toServer.numbers, MESSAGES), `client → server (${sent})`).toBeUndefined()
      expect(deviation(toClient.numbers, MESSAGES), `server → client (${sent})`).toBeUndefined()
      expect(done, `cuts made before the budget ran out (${log.slice(-3).join(', ')})`).toBe(CUTS)

      // One session, resumed by every reconnect.
      expect(server.sessions.length, 'sessions the server emitted').toBe(1)
      const id = server.sessions[0]!.id
      expect(sessions[0]).toEqual({ id, resumed: false, unconfirmed: [] })
      expect(
        sessions.slice(1).filter((s) => !s.resumed || s.id !== id || s.unconfirmed.length > 0),
        'session events after the first that did not resume the one session',
      ).toEqual([])
      expect(sessions.length).toBeGreaterThanOrEqual(welcomedCuts + 1)
      expect(stats.cuts).toBe(CUTS)
      expect(stats.resets + stats.blackholes).toBe(CUTS)

      // Bounded buffers: sampled on every send and every message, never past maxBytes (every
      // message is far smaller than the bound, so the one-message excess of PROTOCOL.md section 7
      // never applies). The bound must also have been reached, or this check proves nothing.
      expect(clientBound.missing, 'client samples without a byte count').toBe(0)
      expect(clientBound.max).toBeLessThanOrEqual(MAX_BYTES)
      expect(serverBound.max).toBeLessThanOrEqual(MAX_BYTES)
      expect(clientBound.max, 'the client reached its bound').toBeGreaterThan(MAX_BYTES - 2 * SIZE)
      expect(serverBound.max, 'the server reached its bound').toBeGreaterThan(MAX_BYTES - 2 * SIZE)
      expect(serverFalse).toBeGreaterThan(0)

      // close() ends the session on the server.
      socket.close()
      await waitFor(() => server.ends.get(id), { timeout: 5000, message: 'no end after close()' })
      expect(server.ends.get(id)).toBe('closed')
      expect(unhandled).toEqual([])
    } finally {
      for (const t of timers) clearInterval(t)
      process.off('unhandledRejection', onUnhandled)
    }
  },
  BUDGET_MS + 30_000,
)

/** Message `n` from `side`: its number, then filler up to SIZE bytes. */
function payload(side: string, n: number): string {
  const head = `${side}${n}:`
  return head + String.fromCharCode(97 + (n % 26)).repeat(SIZE - head.length)
}

/** What one direction delivered: the numbers in order of arrival, and payloads that are wrong. */
class Ledger {
  numbers: number[] = []
  bad: string[] = []
  /** A wrong payload or a number out of sequence arrived: the run has failed already. */
  broken = false
  constructor(readonly side: string) {}
  receive(data: unknown): void {
    const n = typeof data === 'string' ? Number(/^[cs](\d+):/.exec(data)?.[1]) : NaN
    if (typeof data !== 'string' || data !== payload(this.side, n)) {
      if (this.bad.length < 10) {
        this.bad.push(`after #${this.numbers.length}: ${String(data).slice(0, 40)}`)
      }
      this.broken = true
      return
    }
    if (n !== this.numbers.length + 1) this.broken = true
    this.numbers.push(n)
  }
}

/** The highest of the byte counts sampled; `missing` counts samples that were not numbers. */
class Bound {
  max = 0
  missing = 0
  sample(bytes: number | undefined): void {
    if (bytes === undefined) this.missing += 1
    else if (bytes > this.max) this.max = bytes
  }
}

/** Where `numbers` first differs from 1..count (a gap, a duplicate, a reordering), or undefined. */
function deviation(numbers: number[], count: number): string | undefined {
  for (let i = 0; i < numbers.length; i++) {
    if (numbers[i] !== i + 1) {
      return `at arrival ${i + 1}: got #${numbers[i]} (around: ${numbers.slice(Math.max(0, i - 3), i + 4).join(', ')})`
    }
  }
  return numbers.length === count ? undefined : `${numbers.length} arrived, ${count} expected`
}
