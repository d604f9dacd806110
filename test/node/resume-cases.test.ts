// Resumable sessions in Node, case by case, with a real `resumable()` server, the `ws` client
// injected and the fault proxy between them where a connection must be cut: a server restart (a
// new session, and `unconfirmed` is exactly what the old server never acknowledged), expiry after
// `window`, the client's close(), text and binary both ways through cuts, the json() codec, and
// both mismatches (a plain client on a resumable server, a resume client on a plain server).
import { afterEach, describe, expect, test } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { SteadySocket, json, type RawData } from '../../src/index'
import { waitFor } from '../support/fault-server.mjs'
import {
  client,
  clientUnacked,
  sleep,
  startProxy,
  startResumable,
  stopAll,
  until,
  type Resumable,
  type Session,
} from './resume-kit'

afterEach(stopAll)

/** Each case takes well under a second when it passes; its waits are bounded by 5 to 10 s. */
const CASE_TIMEOUT = 20_000

type SessionEvent<Out = unknown> = { id: string; resumed: boolean; unconfirmed: Out[] }

/** Every session event of `socket`, in order. */
function sessionsOf<Out>(socket: SteadySocket<unknown, Out>): SessionEvent<Out>[] {
  const list: SessionEvent<Out>[] = []
  socket.on('session', (e) => list.push(e))
  return list
}

/** What each session of `server` received, by session id, in order. */
function inboxes(server: Resumable): Map<string, (string | Buffer)[]> {
  const boxes = new Map<string, (string | Buffer)[]>()
  server.server.on('session', (session: Session) => {
    const box: (string | Buffer)[] = []
    boxes.set(session.id, box)
    session.on('message', (data) => box.push(data))
  })
  return boxes
}

/** Waits until the client's unacknowledged buffer is empty: the server acknowledged everything. */
async function allAcknowledged(socket: SteadySocket<never, never> | object) {
  await waitFor(() => clientUnacked(socket) === 0, {
    timeout: 5000,
    message: `the client's unacknowledged bytes stayed at ${clientUnacked(socket)}`,
  })
}

describe('resumable sessions: server restart and expiry', { timeout: CASE_TIMEOUT }, () => {
  test('after a server restart the next session is new, and unconfirmed is exactly what the old server never acknowledged', async () => {
    const old = await startResumable()
    const oldBoxes = inboxes(old)
    const proxy = await startProxy(old.port)
    const socket = client<string, string>(proxy.url)
    const sessions = sessionsOf(socket)
    await waitFor(() => sessions.length === 1)

    const before = Array.from({ length: 40 }, (_, i) => `before ${i + 1}`)
    for (const m of before) socket.send(m)
    await allAcknowledged(socket)
    // From now on nothing reaches the old server and no acknowledgement comes back: what the
    // client writes now is exactly what the old server never acknowledged.
    expect(proxy.blackhole(30_000)).toBe(1)
    const lost = ['after 1', 'after 2', 'after 3']
    for (const m of lost) expect(socket.send(m)).toBe('sent')

    const fresh = await startResumable()
    const freshBoxes = inboxes(fresh)
    proxy.setTarget(fresh.port)
    await old.stop()
    proxy.reset()
    await waitFor(() => sessions.length === 2, { timeout: 5000, message: 'no second session' })

    expect(fresh.sessions.length).toBe(1)
    const id = fresh.sessions[0]!.id
    expect(sessions[1]).toEqual({ id, resumed: false, unconfirmed: lost })
    expect(id).not.toBe(sessions[0]!.id)
    expect([...oldBoxes.values()]).toEqual([before])
    // Unconfirmed messages are reported, not re-sent: the new session starts empty.
    expect(socket.send('again')).toBe('sent')
    await waitFor(() => freshBoxes.get(id)?.length === 1)
    await sleep(100)
    expect(freshBoxes.get(id)).toEqual(['again'])
  })

  test.each(['a crash', 'server.close()'])(
    'a server restart under traffic (%s): every message is received by the old server, reported unconfirmed, or sent in the new session, and only the received ones may be both',
    async (how) => {
      const TOTAL = 1500
      const old = await startResumable()
      const oldGot: string[] = []
      old.server.on('session', (s: Session) => s.on('message', (d) => oldGot.push(String(d))))
      const proxy = await startProxy(old.port)
      const socket = client<string, string>(proxy.url)
      const sessions = sessionsOf(socket)
      await waitFor(() => sessions.length === 1)
      let sent = 0
      const started = Date.now()
      const tick = setInterval(() => {
        const target = Math.min(TOTAL, Math.floor(Date.now() - started)) // 1,000 a second
        while (sent < target) socket.send(`m${++sent}`)
        if (sent >= TOTAL) clearInterval(tick)
      }, 2)
      try {
        await waitFor(() => sent >= 500)
        const fresh = await startResumable()
        const freshGot: string[] = []
        fresh.server.on('session', (s: Session) => s.on('message', (d) => freshGot.push(String(d))))
        proxy.setTarget(fresh.port)
        const closes: { code: number; reason: string }[] = []
        socket.on('close', (c) => closes.push(c))
        // A crash: the connection dies first, no bye. server.close(): a bye where connected. Then
        // every connection is terminated.
        if (how === 'a crash') proxy.reset()
        await old.stop()
        await until(
          () => sessions.length === 2,
          5000,
          () => `no second session; closes: ${JSON.stringify(closes.slice(0, 3))}`,
        )
        await waitFor(() => sent >= TOTAL, { timeout: 10_000 })
        await waitFor(() => freshGot.at(-1) === `m${TOTAL}`, { timeout: 5000 }).catch(() => {})
        await sleep(200)
        const unconfirmed = sessions[1]!.unconfirmed
        expect(sessions[1]!.resumed).toBe(false)
        const all = Array.from({ length: TOTAL }, (_, i) => `m${i + 1}`)
        const numberOf = (m: string) => Number(m.slice(1))
        // The old server got a prefix; unconfirmed is a run that starts no later than where that
        // prefix ends; the new session got the rest, in order, and nothing of the first two.
        expect(oldGot).toEqual(all.slice(0, oldGot.length))
        const from = unconfirmed.length > 0 ? numberOf(unconfirmed[0]!) : oldGot.length + 1
        expect(from).toBeLessThanOrEqual(oldGot.length + 1)
        expect(unconfirmed).toEqual(all.slice(from - 1, from - 1 + unconfirmed.length))
        const covered = Math.max(oldGot.length, from - 1 + unconfirmed.length)
        expect(freshGot).toEqual(all.slice(covered))
        console.log(
          `restart under traffic (${how}): old server got ${oldGot.length}, unconfirmed ${unconfirmed.length}` +
            ` (from m${from}), new session got ${freshGot.length}`,
        )
      } finally {
        clearInterval(tick)
      }
    },
  )

  test("a session expires `window` ms after its connection is lost; the client's next session is new", async () => {
    const server = await startResumable({ window: 300 })
    const boxes = inboxes(server)
    const proxy = await startProxy(server.port)
    const socket = client<string, string>(proxy.url)
    const sessions = sessionsOf(socket)
    await waitFor(() => sessions.length === 1)
    socket.send('a')
    await allAcknowledged(socket)
    const first = sessions[0]!.id

    proxy.refuse() // keep the client away past the window
    expect(proxy.reset()).toBe(1)
    await waitFor(() => server.ends.get(first), { timeout: 5000, message: 'no end by expiry' })
    expect(server.ends.get(first)).toBe('expired')
    await waitFor(() => socket.status === 'reconnecting')
    // Written nowhere yet: it belongs to whichever session comes next.
    expect(socket.send('while away')).toBe('queued')
    proxy.accept()

    await waitFor(() => sessions.length === 2, { timeout: 5000, message: 'no second session' })
    expect(server.sessions.length).toBe(2)
    const second = server.sessions[1]!.id
    expect(sessions[1]).toEqual({ id: second, resumed: false, unconfirmed: [] })
    expect(second).not.toBe(first)
    await waitFor(() => boxes.get(second)?.length === 1)
    expect(boxes.get(first)).toEqual(['a'])
    expect(boxes.get(second)).toEqual(['while away'])
  })
})

/**
 * Numbered text messages both ways between `socket` and the first session of `server`; `settled()`
 * waits until everything sent arrived and checks that each side got exactly 1..n in order.
 */
function converse(socket: SteadySocket<string, string>, server: Resumable) {
  const toServer: string[] = []
  const toClient: string[] = []
  let clientSent = 0
  let serverSent = 0
  let session: Session | undefined
  server.server.on('session', (s: Session) => {
    session ??= s
    s.on('message', (data) => toServer.push(String(data)))
  })
  socket.on('message', (data) => toClient.push(data))
  const numbered = (side: string, n: number) => Array.from({ length: n }, (_, i) => side + (i + 1))
  return {
    get session() {
      return session
    },
    send(count: number) {
      for (let i = 0; i < count; i++) {
        socket.send('c' + ++clientSent)
        session!.send('s' + ++serverSent)
      }
    },
    async settled() {
      const done = () => toServer.length >= clientSent && toClient.length >= serverSent
      await waitFor(done, { timeout: 10_000 }).catch(() => {
        throw new Error(
          `arrived: ${toServer.length} of ${clientSent} at the server, ` +
            `${toClient.length} of ${serverSent} at the client`,
        )
      })
      await sleep(100) // a late duplicate would show too
      expect(toServer).toEqual(numbered('c', clientSent))
      expect(toClient).toEqual(numbered('s', serverSent))
    },
  }
}

describe('resumable sessions: losses the server has not noticed', { timeout: CASE_TIMEOUT }, () => {
  test('a half-open connection is replaced by the resume (the server still held it): exactly once both ways', async () => {
    const server = await startResumable()
    const proxy = await startProxy(server.port)
    const socket = client<string, string>(proxy.url)
    const sessions = sessionsOf(socket)
    const talk = converse(socket, server)
    await waitFor(() => sessions.length === 1 && talk.session !== undefined)
    const ROUNDS = 6
    for (let round = 0; round < ROUNDS; round++) {
      talk.send(50)
      await sleep(round % 3)
      expect(proxy.halfOpen()).toBe(1)
      // The server has not noticed: what it writes now goes into the dead connection.
      expect(talk.session!.connected).toBe(true)
      talk.send(20)
      await waitFor(() => sessions.length === round + 2, { timeout: 5000 })
    }
    talk.send(10)
    await talk.settled()
    expect(server.sessions.length).toBe(1)
    expect(sessions.slice(1).map((s) => s.resumed)).toEqual(Array(ROUNDS).fill(true))
    expect(proxy.stats.halfOpens).toBe(ROUNDS)
  })

  test('reconnect() resumes the session (no bye): exactly once both ways, with frames in flight', async () => {
    const server = await startResumable()
    const socket = client<string, string>(`ws://127.0.0.1:${server.port}`)
    const sessions = sessionsOf(socket)
    const talk = converse(socket, server)
    await waitFor(() => sessions.length === 1 && talk.session !== undefined)
    const ROUNDS = 5
    for (let round = 0; round < ROUNDS; round++) {
      talk.send(100)
      socket.reconnect()
      talk.send(20)
      await waitFor(() => sessions.length === round + 2, { timeout: 5000 })
    }
    await talk.settled()
    expect(server.sessions.length).toBe(1)
    expect(sessions.slice(1).map((s) => s.resumed)).toEqual(Array(ROUNDS).fill(true))
  })

  test('frames that arrive late on a replaced connection do not count (PROTOCOL.md section 5)', async () => {
    const server = await startResumable()
    const proxy = await startProxy(server.port)
    const socket = client<string, string>(proxy.url)
    const sessions = sessionsOf(socket)
    const talk = converse(socket, server)
    await waitFor(() => sessions.length === 1 && talk.session !== undefined)
    talk.send(20)
    await talk.settled()
    // What the client writes now is held in the proxy, on this connection...
    expect(proxy.holdUp()).toBe(1)
    talk.send(10)
    await waitFor(() => proxy.stats.bytesHeld >= 10 * (6 + 4))
    await sleep(50)
    // ...which the client then loses, unknown to the server, and resumes on a new one.
    expect(proxy.halfOpen()).toBe(1)
    await waitFor(() => sessions.length === 2, { timeout: 5000, message: 'no resume' })
    // The held frames reach the server now, on the connection the resume replaced.
    expect(proxy.release()).toBeGreaterThanOrEqual(10 * (6 + 4))
    await sleep(200)
    talk.send(5)
    await talk.settled()
    expect(sessions[1]!.resumed).toBe(true)
    expect(server.sessions.length).toBe(1)
  })

  test('the heartbeat detects a black hole; the resume replaces the connection the server still holds', async () => {
    const server = await startResumable()
    const proxy = await startProxy(server.port)
    const socket = client<string, string>(proxy.url, { heartbeat: { interval: 100, timeout: 200 } })
    const sessions = sessionsOf(socket)
    const errors: Error[] = []
    socket.on('error', (e) => errors.push(e))
    const talk = converse(socket, server)
    await waitFor(() => sessions.length === 1 && talk.session !== undefined)
    // Idle for several intervals: the protocol's pong answers every ping and is no message.
    await sleep(600)
    expect(errors).toEqual([])
    expect(sessions.length).toBe(1)
    talk.send(50)
    await sleep(1)
    expect(proxy.blackhole(20_000)).toBe(1)
    talk.send(20)
    await waitFor(() => sessions.length === 2, { timeout: 5000, message: 'no resume' })
    // The old connection is still in the black hole: the server learned of the loss from the
    // client's hello, not from TCP.
    expect(proxy.holed).toBe(1)
    expect(errors.map((e) => e.name)).toContain('HeartbeatTimeoutError')
    talk.send(10)
    await talk.settled()
    expect(sessions[1]).toMatchObject({ id: sessions[0]!.id, resumed: true, unconfirmed: [] })
    expect(server.sessions.length).toBe(1)
  })
})

describe('resumable sessions: bounds', { timeout: CASE_TIMEOUT }, () => {
  test('a message larger than maxBytes still goes, alone, both ways and through a cut', async () => {
    const MAX = 1000
    const big = 'B'.repeat(5 * MAX)
    const server = await startResumable({ maxBytes: MAX })
    const proxy = await startProxy(server.port)
    const socket = client<string, string>(proxy.url, { resume: { maxBytes: MAX } })
    const sessions = sessionsOf(socket)
    let session: Session | undefined
    const toServer: string[] = []
    const toClient: string[] = []
    server.server.on('session', (s: Session) => {
      session = s
      s.on('message', (d) => toServer.push(String(d)))
    })
    socket.on('message', (d) => toClient.push(d))
    await waitFor(() => sessions.length === 1 && session !== undefined)
    // Past the bound only when the one message in the buffer is the big one.
    const over: string[] = []
    const check = () => {
      const c = clientUnacked(socket)
      const s = session!.bufferedBytes
      if (c === undefined || (c > MAX && c !== big.length)) over.push(`client ${c}`)
      if (s > MAX && s !== big.length) over.push(`server ${s}`)
    }
    const sampler = setInterval(check, 2)
    try {
      const out = ['x1', big, 'x2', 'x3', big, 'x4']
      for (const [i, m] of out.entries()) {
        socket.send(m)
        session!.send(m)
        check()
        if (i === 2) proxy.blackhole(150)
      }
      await waitFor(() => toServer.length === out.length && toClient.length === out.length, {
        timeout: 5000,
      })
      await sleep(100)
      expect(toServer).toEqual(out)
      expect(toClient).toEqual(out)
      expect(over).toEqual([])
      expect(sessions.length).toBe(2)
      expect(sessions[1]!.resumed).toBe(true)
    } finally {
      clearInterval(sampler)
    }
  })
})

describe('resumable sessions: client backpressure', { timeout: CASE_TIMEOUT }, () => {
  test("past maxBytes unacknowledged, send() returns 'queued' while open, and 'drain' follows the acknowledgements", async () => {
    const MAX = 1000
    const server = await startResumable()
    const proxy = await startProxy(server.port)
    const socket = client<string, string>(proxy.url, { resume: { maxBytes: MAX } })
    const sessions = sessionsOf(socket)
    const got: string[] = []
    server.server.on('session', (s: Session) => s.on('message', (d) => got.push(String(d))))
    let drains = 0
    socket.on('drain', () => (drains += 1))
    await waitFor(() => sessions.length === 1)
    // Nothing the client writes reaches the server, so nothing is acknowledged.
    expect(proxy.holdUp()).toBe(1)
    const out = Array.from({ length: 20 }, (_, i) => `${String(i + 1).padStart(2, '0')}`.repeat(50))
    const results = out.map((m) => {
      const r = socket.send(m)
      return `${r} ${socket.status} ${clientUnacked(socket)}`
    })
    expect(results).toEqual([
      ...out.slice(0, 10).map((_, i) => `sent open ${(i + 1) * 100}`),
      ...out.slice(10).map(() => 'queued open 1000'),
    ])
    expect(drains).toBe(0)
    proxy.release()
    await waitFor(() => got.length === out.length && drains > 0, { timeout: 5000 })
    expect(got).toEqual(out)
    expect(drains).toBe(1)
    expect(sessions.length).toBe(1)
  })
})

describe(
  'resumable sessions: the server notices dead connections',
  { timeout: CASE_TIMEOUT },
  () => {
    test("the server's heartbeat finds a black-holed connection, its window then expires the session; the client's next session reports what was lost", async () => {
      const server = await startResumable({ heartbeat: 100, window: 300 })
      const proxy = await startProxy(server.port)
      const socket = client<string, string>(proxy.url)
      const sessions = sessionsOf(socket)
      await waitFor(() => sessions.length === 1)
      socket.send('a')
      await allAcknowledged(socket)
      const first = sessions[0]!.id
      // A dead path the client does not notice (no client heartbeat): only the server's own pings
      // can find it, and only once found does the window start.
      proxy.refuse()
      expect(proxy.blackhole(30_000)).toBe(1)
      const lost = ['lost 1', 'lost 2']
      for (const m of lost) expect(socket.send(m)).toBe('sent')
      await until(
        () => server.ends.get(first),
        5000,
        () => 'the session never ended: the server did not find the dead connection',
      )
      expect(server.ends.get(first)).toBe('expired')
      proxy.accept()
      proxy.reset()
      await waitFor(() => sessions.length === 2, { timeout: 5000, message: 'no second session' })
      expect(sessions[1]).toEqual({ id: server.sessions[1]!.id, resumed: false, unconfirmed: lost })
    })
  },
)

describe('resumable sessions: close()', { timeout: CASE_TIMEOUT }, () => {
  test("the client's close() ends the session on the server ('closed'); the next connection is a new session", async () => {
    const server = await startResumable()
    const url = `ws://127.0.0.1:${server.port}`
    const socket = client<string, string>(url)
    const sessions = sessionsOf(socket)
    const boxes = inboxes(server)
    await waitFor(() => sessions.length === 1)
    socket.send('x')
    await waitFor(() => boxes.get(sessions[0]!.id)?.length === 1)

    socket.close()
    const first = sessions[0]!.id
    await waitFor(() => server.ends.get(first), { message: 'no end after close()' })
    expect(server.ends.get(first)).toBe('closed')

    // The same socket, opened again, starts afresh (a hello after bye has no sid).
    const closes: { code: number; reason: string }[] = []
    socket.on('close', (c) => closes.push(c))
    socket.open()
    await until(
      () => sessions.length === 2,
      5000,
      () => `no new session after open(); closes: ${JSON.stringify(closes.slice(0, 3))}`,
    )
    expect(sessions[1]).toEqual({ id: server.sessions[1]!.id, resumed: false, unconfirmed: [] })
    // And so does a new socket.
    const other = client<string, string>(url)
    const otherSessions = sessionsOf(other)
    await waitFor(() => otherSessions.length === 1)
    expect(server.sessions.length).toBe(3)
    expect(new Set(server.sessions.map((s) => s.id)).size).toBe(3)
    expect(otherSessions[0]).toEqual({
      id: server.sessions[2]!.id,
      resumed: false,
      unconfirmed: [],
    })
  })
  test("dispose() ends the session like close() ('closed' on the server)", async () => {
    const server = await startResumable()
    const socket = client<string, string>(`ws://127.0.0.1:${server.port}`)
    const sessions = sessionsOf(socket)
    await waitFor(() => sessions.length === 1)
    socket.dispose()
    const id = sessions[0]!.id
    await waitFor(() => server.ends.get(id), { message: 'no end after dispose()' })
    expect(server.ends.get(id)).toBe('closed')
  })

  test("close() while disconnected cannot say bye: the session ends on the server by expiry, not 'closed'", async () => {
    const server = await startResumable({ window: 300 })
    const proxy = await startProxy(server.port)
    const socket = client<string, string>(proxy.url)
    const sessions = sessionsOf(socket)
    await waitFor(() => sessions.length === 1)
    proxy.refuse()
    proxy.reset()
    await waitFor(() => socket.status === 'reconnecting')
    socket.close()
    const id = sessions[0]!.id
    await waitFor(() => server.ends.get(id), { timeout: 5000, message: 'no end' })
    expect(server.ends.get(id)).toBe('expired')
  })

  test("the server's session.close() ends the session ('closed'); the client never resumes it and breaks no rule", async () => {
    const server = await startResumable()
    const socket = client<string, string>(`ws://127.0.0.1:${server.port}`)
    const sessions = sessionsOf(socket)
    const closes: { code: number; reason: string }[] = []
    socket.on('close', (c) => closes.push(c))
    await waitFor(() => sessions.length === 1 && server.sessions.length === 1)
    socket.send('x')
    await allAcknowledged(socket)
    server.sessions[0]!.close()
    expect(server.ends.get(sessions[0]!.id)).toBe('closed')
    // A 1000 from the server is retried by default: the next connection is a new session.
    await until(
      () => sessions.length === 2,
      5000,
      () => `no new session; closes: ${JSON.stringify(closes.slice(0, 3))}`,
    )
    expect(sessions[1]).toEqual({ id: server.sessions[1]!.id, resumed: false, unconfirmed: [] })
    expect(closes.filter((c) => c.code === 4461)).toEqual([])
  })
})

describe('resumable sessions: payloads', { timeout: CASE_TIMEOUT }, () => {
  const encoder = new TextEncoder()
  // Payloads that look like the protocol's own headers and frames, and the empty ones.
  const TEXTS = ['', ':', '::', '42', '1:x', '{"t":"bye"}', '{"t":"ping"}', 'héllo ✓ 𝄞']
  const BINARIES = [
    new Uint8Array([]),
    new Uint8Array([0x3a]),
    encoder.encode('{"t":"bye"}'),
    encoder.encode('12'),
    new Uint8Array([0, 255, 1, 128]),
  ]
  type Tagged = ['text', string] | ['binary', number[]]
  const tag = (data: unknown): Tagged | ['other', string] => {
    if (typeof data === 'string') return ['text', data]
    if (data instanceof ArrayBuffer) return ['binary', [...new Uint8Array(data)]]
    if (Buffer.isBuffer(data)) return ['binary', [...data]]
    return ['other', Object.prototype.toString.call(data)]
  }

  test('text stays text and binary stays binary, both ways, through cuts (Buffer on the server, binaryType on the client)', async () => {
    const server = await startResumable()
    const proxy = await startProxy(server.port)
    const serverGot: unknown[] = []
    server.server.on('session', (session: Session) => {
      session.on('message', (data) => {
        serverGot.push(data)
        session.send(data) // the echo: what arrived goes back as it is
      })
    })
    const socket = client<RawData, RawData>(proxy.url, { binaryType: 'arraybuffer' })
    const sessions = sessionsOf(socket)
    const clientGot: unknown[] = []
    socket.on('message', (data) => clientGot.push(data))
    await waitFor(() => sessions.length === 1)

    const ROUNDS = 6
    const expected: Tagged[] = []
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of TEXTS) {
        socket.send(t)
        expected.push(['text', t])
      }
      for (const b of BINARIES) {
        socket.send(b)
        expected.push(['binary', [...b]])
      }
      // Cut with those frames still in flight, in both directions.
      await sleep(round)
      proxy.reset()
      await waitFor(() => sessions.length === round + 2, { timeout: 5000 })
    }
    await waitFor(() => clientGot.length >= expected.length, {
      timeout: 10_000,
      message: `echoes: ${clientGot.length} of ${expected.length}`,
    })
    await sleep(100)
    expect(serverGot.every((d) => typeof d === 'string' || Buffer.isBuffer(d))).toBe(true)
    expect(serverGot.map(tag)).toEqual(expected)
    expect(clientGot.map(tag)).toEqual(expected)
    expect(sessions.slice(1).every((s) => s.resumed)).toBe(true)
    expect(proxy.stats.cuts).toBe(ROUNDS)
  })

  test("the client's binaryType applies to replayed and resumed messages too ('nodebuffer')", async () => {
    const server = await startResumable()
    const proxy = await startProxy(server.port)
    let session: Session | undefined
    server.server.on('session', (s: Session) => (session = s))
    const socket = client<RawData, RawData>(proxy.url, { binaryType: 'nodebuffer' as BinaryType })
    const sessions = sessionsOf(socket)
    const got: unknown[] = []
    socket.on('message', (data) => got.push(data))
    await waitFor(() => session !== undefined && sessions.length === 1)
    // Written while the connection is black-holed: replayed on the next one.
    proxy.blackhole(200)
    for (let i = 0; i < 5; i++) session!.send(Buffer.from([i]))
    await waitFor(() => got.length === 5, { timeout: 5000 })
    expect(sessions.length).toBe(2)
    expect(got.every((d) => Buffer.isBuffer(d))).toBe(true)
    expect(got.map((d) => [...(d as Buffer)])).toEqual([[0], [1], [2], [3], [4]])
  })

  test('json(): objects round-trip, and the codec applies to the payload only', async () => {
    type Msg = { n: number; text?: string }
    const server = await startResumable()
    const proxy = await startProxy(server.port)
    const serverGot: unknown[] = []
    server.server.on('session', (session: Session) => {
      session.on('message', (data) => {
        serverGot.push(data)
        const m = JSON.parse(String(data)) as Msg
        session.send(JSON.stringify({ n: m.n * 10, text: m.text }))
      })
    })
    const socket = client<Msg, Msg>(proxy.url, { codec: json<Msg>() })
    const sessions = sessionsOf(socket)
    const got: Msg[] = []
    socket.on('message', (m) => got.push(m))
    await waitFor(() => sessions.length === 1)
    const out: Msg[] = Array.from({ length: 60 }, (_, i) => ({ n: i + 1, text: `:${i}{` }))
    for (const m of out.slice(0, 30)) socket.send(m)
    proxy.reset()
    for (const m of out.slice(30)) socket.send(m)
    await waitFor(() => got.length === out.length, { timeout: 5000 })
    // The server sees exactly the codec's text: no header, no second encoding.
    expect(serverGot).toEqual(out.map((m) => JSON.stringify(m)))
    expect(got).toEqual(out.map((m) => ({ n: m.n * 10, text: m.text })))
    expect(sessions.length).toBe(2)
    expect(sessions[1]!.resumed).toBe(true)
  })

  test('json(): after a server restart, unconfirmed holds the objects as they were sent', async () => {
    type Msg = { n: number }
    const old = await startResumable()
    const proxy = await startProxy(old.port)
    const socket = client<Msg, Msg>(proxy.url, { codec: json<Msg>() })
    const sessions = sessionsOf(socket)
    await waitFor(() => sessions.length === 1)
    socket.send({ n: 1 })
    await allAcknowledged(socket)
    proxy.blackhole(30_000)
    const lost = { n: 2 }
    socket.send(lost)
    const fresh = await startResumable()
    proxy.setTarget(fresh.port)
    await old.stop()
    proxy.reset()
    await waitFor(() => sessions.length === 2, { timeout: 5000 })
    expect(sessions[1]!.resumed).toBe(false)
    expect(sessions[1]!.unconfirmed).toEqual([{ n: 2 }])
  })
})

describe('resumable sessions: mismatched peers', { timeout: CASE_TIMEOUT }, () => {
  test('a plain client on a resumable server is closed with 4460 and the reason (at once when it sends first, after helloTimeout when it waits)', async () => {
    const server = await startResumable({ helloTimeout: 300 })
    const url = `ws://127.0.0.1:${server.port}`
    const closes = (socket: SteadySocket) =>
      new Promise<{ code: number; reason: string }>((r) => socket.once('close', r))

    const talker = new SteadySocket(url, { WebSocket, reconnect: false })
    const talkerClosed = closes(talker)
    talker.send('hi') // queued, written when it opens: not a hello
    const silent = new SteadySocket(url, { WebSocket, reconnect: false })
    const silentClosed = closes(silent)
    try {
      expect(await talkerClosed).toMatchObject({
        code: 4460,
        reason: 'steadysocket.resume.v1 required',
      })
      expect(await silentClosed).toMatchObject({
        code: 4460,
        reason: 'steadysocket.resume.v1 required',
      })
      expect(server.sessions).toEqual([])
    } finally {
      talker.dispose()
      silent.dispose()
    }
  })

  test('a resume client on a server that never answers: an error naming the protocol after connectTimeout, then retries (PROTOCOL.md 2.1: it may be slow), at most one attempt per timeout', async () => {
    const TIMEOUT = 300
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    await new Promise((r) => wss.once('listening', r))
    const serverCloses: number[] = []
    wss.on('connection', (ws) => {
      ws.on('error', () => {})
      ws.on('close', (code) => serverCloses.push(code))
    })
    try {
      const url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}`
      const socket = client<string, string>(url, { connectTimeout: TIMEOUT })
      const errors: Error[] = []
      const messages: unknown[] = []
      socket.on('error', (e) => errors.push(e))
      socket.on('message', (m) => messages.push(m))
      const started = Date.now()
      await waitFor(() => errors.length > 0, { timeout: 5000, message: 'no error' })
      expect(errors[0]!.message).toContain('steadysocket.resume.v1')
      await sleep(4 * TIMEOUT)
      socket.close()
      const elapsed = Date.now() - started
      // No hammering: every attempt waits out its connect timeout first.
      expect(wss.clients.size + serverCloses.length).toBeLessThanOrEqual(
        Math.ceil(elapsed / TIMEOUT) + 1,
      )
      expect(messages).toEqual([])
      // A silent server may only be slow: the attempts go on, each a failed one.
      expect(wss.clients.size + serverCloses.length, 'attempts').toBeGreaterThanOrEqual(2)
      expect(errors.every((e) => e.message.includes('steadysocket.resume.v1'))).toBe(true)
    } finally {
      for (const ws of wss.clients) ws.terminate()
      await new Promise((r) => wss.close(r))
    }
  })

  test('a resume client on a plain ws echo server: an error naming steadysocket.resume.v1, no message, no retry loop', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    await new Promise((r) => wss.once('listening', r))
    let connections = 0
    const serverGot: string[] = []
    wss.on('connection', (ws) => {
      connections += 1
      ws.on('error', () => {})
      ws.on('message', (data, binary) => {
        serverGot.push(String(data))
        ws.send(data, { binary })
      })
    })
    try {
      const socket = client<string, string>(
        `ws://127.0.0.1:${(wss.address() as { port: number }).port}`,
      )
      const errors: Error[] = []
      const messages: unknown[] = []
      const closes: { code: number; reason: string }[] = []
      const sessions = sessionsOf(socket)
      socket.on('error', (e) => errors.push(e))
      socket.on('message', (m) => messages.push(m))
      socket.on('close', (c) => closes.push(c))
      socket.send('app message') // must never reach a server that does not speak the protocol

      await waitFor(() => errors.length > 0, { timeout: 5000, message: 'no error' })
      expect(errors[0]!.message).toContain('steadysocket.resume.v1')
      // Bounded: a 4460 is not retried (PROTOCOL.md 2.2), so the socket gives up on its own.
      await waitFor(() => socket.status === 'closed', {
        timeout: 5000,
        message: `still ${socket.status} after ${connections} connections`,
      })
      await sleep(500)
      expect(connections).toBe(1)
      expect(messages).toEqual([])
      expect(sessions).toEqual([])
      expect(closes[0]).toMatchObject({
        code: 4460,
        reason: 'steadysocket.resume.v1 not spoken by the server',
      })
      // The server saw the hello and nothing else.
      expect(serverGot.length).toBe(1)
      expect(JSON.parse(serverGot[0]!)).toMatchObject({
        t: 'hello',
        proto: 'steadysocket.resume.v1',
      })
    } finally {
      for (const ws of wss.clients) ws.terminate()
      await new Promise((r) => wss.close(r))
    }
  })
})
