// The server side of the resumable model (resume.model.test.ts): every FakeConnection of the
// SteadySocket model bridged to a ResumableServer through accept(), server steps (the
// application sends, the process restarts or crashes), and the resumable-session invariants,
// judged from what crossed the wire: the frames the client wrote, the frames its listener got,
// and what each side's application saw.
//
// The bridge: the first frame a FakeConnection reads opens a link on the server of the moment
// (`server.accept(conn)`); every frame it reads goes to `link.receive`; the engine's `send`
// writes on the FakeConnection and its `close(code, reason)` closes it; `link.closed()` is called
// when the client's native socket reports its close (the connection is over on both ends).
import { ResumableServer } from '../../src/server/index'
import type { ConnectionLink, Session } from '../../src/server/index'
import type { FakeConnection, FakeWebSocket } from '../../src/testing/index'
import type { Step } from './steps'

export type ResumeConfig = {
  /** The client's option: `resume: true` or a small bound. */
  client: true | { maxBytes: number }
  /** The server's `maxBytes` and `window`. */
  serverMax: number
  window: number
  /** The server's application may send binary messages (the client has no codec to choke). */
  binary?: boolean
}

/** What the world needs of the harness around it. */
export type WorldHost = {
  violate(
    kind: 'resume' | 'resume-order' | 'unconfirmed' | 'bytes' | 'duplicate',
    what: string,
  ): void
  note(line: string): void
  /** The model's number of a native socket. */
  index(ws: FakeWebSocket): number
  /** A message reached the server's application (the SteadySocket model's ledger). */
  delivered(id: string | undefined, ws: FakeWebSocket): void
  /** A message was reported in a `session` event's `unconfirmed`. */
  unconfirmed(id: string | undefined): void
  /** The model's message id in a payload or a decoded message. */
  idOf(message: unknown): string | undefined
}

/** One session as the client lives it (from the `welcome` that started it). */
type ClientSession = {
  sid: string
  /** The client's messages in the order they were numbered (first written), by model id. */
  ids: string[]
  /** The highest acknowledgement in a frame the client's listener got. */
  ackSeen: number
  /** The server's messages the client's application got, by tag. */
  received: string[]
  /** The data frames of the session the client's listener read (its received count). */
  read: number
  /** The session the client had before this one began (for its `unconfirmed`). */
  previous: ClientSession | undefined
  /** What its latest `welcome` said. */
  resumed: boolean
}

/** One session as the server's application lives it. */
type ServerRecord = {
  sid: string
  session: Session
  /** The tags the application sent, in order. */
  sent: string[]
  /** The client messages the application got, by id. */
  delivered: string[]
  end: string | undefined
  /** The sizes of the messages the application sent, in bytes. */
  sizes: Set<number>
}

/** One native socket of the client, as the protocol sees it. */
type Sock = {
  session: ClientSession | undefined
  /** The number the next data frame the client writes on it carries (implicitly). */
  next: number
  /** A `bye` was written on it. */
  bye: boolean
  /** The server's `bye` came: the client ignores the rest of this connection. */
  over: boolean
  conn: FakeConnection | undefined
  link: ConnectionLink | undefined
  /** The engine closed this connection (it no longer reads it). */
  closedByServer: boolean
}

type Control = { t?: unknown; sid?: unknown; epoch?: unknown; ack?: unknown; resumed?: unknown }

// Writes made while the handshake runs go straight to the socket, ahead of the queue, and are
// not held by resume.maxBytes (README: the handshake's sends are not held back): the client's
// bound is not judged while its buffer holds one of them.

export class ResumeWorld {
  readonly cfg: ResumeConfig
  server: ResumableServer
  /** Restarts so far: the server's generation. */
  generation = 0
  readonly #host: WorldHost
  readonly #socks = new Map<FakeWebSocket, Sock>()
  readonly #clientSessions = new Map<string, ClientSession>()
  readonly #records = new Map<string, ServerRecord>()
  readonly #servers: ResumableServer[] = []
  /** The client's last session (the last `welcome` its listener got), and the one announced. */
  #last: ClientSession | undefined
  #current: ClientSession | undefined
  /** The client let go of its session id (its close(), or the server's `bye`). */
  #cleared = false
  /** A `session` event came since the last `open` event. */
  #announced = false
  /** The connection whose frame the server is reading now. */
  #reading: FakeConnection | undefined
  readonly #written = new Set<string>()
  /** Messages written while the handshake ran (status 'connecting' after the welcome). */
  readonly #duringHandshake = new Set<string>()
  readonly #deliveredIds = new Set<string>()
  /** Messages a session event reported unconfirmed. */
  readonly #reportedIds = new Set<string>()
  readonly #receivedTags = new Set<string>()
  #tags = 0

  constructor(cfg: ResumeConfig, host: WorldHost) {
    this.cfg = cfg
    this.#host = host
    this.server = this.#start()
  }

  /** The client's `resume` option. */
  get option(): true | { maxBytes: number } {
    return this.cfg.client
  }

  get #clientMax(): number {
    return this.cfg.client === true ? 1_048_576 : this.cfg.client.maxBytes
  }

  #start(): ResumableServer {
    const server = new ResumableServer({
      window: this.cfg.window,
      maxBytes: this.cfg.serverMax,
      // Longer than a run's steps: a hello held by a stalled connection is not turned into a
      // 4460 (never retried) by the server's hello timeout.
      helloTimeout: 60_000,
    })
    this.#servers.push(server)
    const generation = this.generation
    server.on('session', (session) => this.#session(session, generation))
    return server
  }

  #session(session: Session, generation: number): void {
    const r: ServerRecord = {
      sid: session.id,
      session,
      sent: [],
      delivered: [],
      end: undefined,
      sizes: new Set(),
    }
    this.#records.set(session.id, r)
    this.#host.note(`server(${generation}): session ${short(session.id)}`)
    session.on('message', (data) => this.#serverMessage(r, data))
    session.on('end', (reason) => {
      r.end = reason
      this.#host.note(`server: session ${short(r.sid)} ended '${reason}'`)
    })
  }

  // ── the bridge ──────────────────────────────────────────────────────────────────────────────

  /** The record of a native socket (made when its server side first sees it). */
  #sock(ws: FakeWebSocket): Sock {
    let sock = this.#socks.get(ws)
    if (!sock) {
      sock = {
        session: undefined,
        next: 1,
        bye: false,
        over: false,
        conn: undefined,
        link: undefined,
        closedByServer: false,
      }
      this.#socks.set(ws, sock)
    }
    return sock
  }

  /** A new FakeConnection: what it reads goes to the server of the moment it first reads. */
  connected(c: FakeConnection): void {
    const sock = this.#sock(c.socket)
    sock.conn = c
    c.onMessage((data) => {
      const server = this.server
      sock.link ??= server.accept({
        send: (frame) => c.send(typeof frame === 'string' ? frame : copy(frame)),
        close: (code, reason) => {
          sock.closedByServer = true
          if (c.state === 'open') c.close(code, reason)
        },
      })
      const frame = typeof data === 'string' ? data : new Uint8Array(data as ArrayBuffer)
      this.#reading = c
      try {
        sock.link.receive(frame)
      } finally {
        this.#reading = undefined
      }
      // A bye the server read on the session's connection ends the session (PROTOCOL.md 7).
      const r = sock.session && this.#records.get(sock.session.sid)
      if (frame === '{"t":"bye"}' && r && !sock.closedByServer && r.end !== 'closed')
        this.#host.violate(
          'resume',
          `the server read the client's bye on #${this.#host.index(c.socket)}, its session ${short(r.sid)} ${r.end ? `ended '${r.end}'` : 'goes on'}`,
        )
    })
  }

  /** The client's native socket closed: the connection is over for the server too. */
  nativeClosed(ws: FakeWebSocket): void {
    const sock = this.#socks.get(ws)
    if (!sock) return
    const link = sock.link
    sock.link = undefined
    link?.closed()
  }

  // ── what the client wrote and read ──────────────────────────────────────────────────────────

  /** The client writes `data` on `ws` (from the native send()). */
  written(ws: FakeWebSocket, data: unknown, status: string): void {
    const sock = this.#socks.get(ws)
    if (!sock) return
    const at = `#${this.#host.index(ws)}`
    if (typeof data === 'string' && data[0] === '{') {
      const c = control(data)
      if (c?.t === 'hello') return this.#hello(c, at)
      if (c?.t === 'bye') {
        sock.bye = true
        this.#cleared = true
      }
      return
    }
    let payload: unknown = data
    if (typeof data === 'string') {
      // An ack frame (digits only) or text data (digits, then ':').
      const m = /^(\d*)(:|$)/.exec(data)
      if (!m)
        return this.#host.violate(
          'resume',
          `the client wrote an invalid frame on ${at}: ${data.slice(0, 40)}`,
        )
      payload = data.slice(m[0].length)
      if (m[1] && sock.session && +m[1] > sock.session.read)
        this.#host.violate(
          'resume',
          `the client acknowledged ${m[1]} messages on ${at}, it read ${sock.session.read}`,
        )
      if (m[2] === '') return
    }
    const cs = sock.session
    if (!cs)
      return this.#host.violate('resume', `the client wrote data on ${at} before its welcome`)
    const id = this.#host.idOf(payload) ?? '?'
    const n = sock.next++
    if (n <= cs.ids.length) {
      if (cs.ids[n - 1] !== id)
        this.#host.violate(
          'resume-order',
          `the client wrote ${id} on ${at} as message ${n} of session ${short(cs.sid)}, whose message ${n} is ${cs.ids[n - 1]}`,
        )
      return
    }
    if (this.#written.has(id))
      this.#host.violate(
        'resume-order',
        `the client wrote ${id} again, as message ${n} of session ${short(cs.sid)}`,
      )
    this.#written.add(id)
    cs.ids.push(id)
    if (status === 'connecting') this.#duringHandshake.add(id)
  }

  #hello(c: Control, at: string): void {
    const last = this.#last
    const want = this.#cleared || !last ? undefined : last.sid
    if (c.sid === undefined && (c.epoch !== undefined || c.ack !== 0))
      this.#host.violate(
        'resume',
        `hello on ${at} without a session names epoch ${String(c.epoch)} and ack ${String(c.ack)} (PROTOCOL.md 5.1: none, and ack 0)`,
      )
    if (c.sid !== want)
      this.#host.violate(
        'resume',
        `hello on ${at} names session ${c.sid === undefined ? 'none' : short(String(c.sid))}, the client's is ${want ? short(want) : 'none'}`,
      )
    else if (want !== undefined && (c.ack !== last!.read || last!.received.length !== last!.read))
      this.#host.violate(
        'resume',
        `hello on ${at} acknowledges ${String(c.ack)}: the client read ${last!.read} messages, its application got ${last!.received.length}`,
      )
  }

  /** A frame reaches the SDK's listener on `ws` (before the SDK reads it). */
  frame(ws: FakeWebSocket, data: unknown): void {
    const sock = this.#socks.get(ws)
    if (!sock || sock.over) return
    if (typeof data !== 'string') return void (sock.session && sock.session.read++)
    if (data[0] === '{') {
      const c = control(data)
      if (c?.t === 'bye' && sock.session) {
        sock.over = true
        this.#cleared = true
      }
      if (c?.t !== 'welcome' || typeof c.sid !== 'string') return
      const resumed = c.resumed === true
      let cs = this.#clientSessions.get(c.sid)
      if (resumed) {
        if (!cs)
          return this.#host.violate(
            'resume',
            `welcome resumes session ${short(c.sid)}, which the client never had`,
          )
        this.#acked(cs, Number(c.ack), ws)
        sock.next = Number(c.ack) + 1
      } else {
        if (cs)
          return this.#host.violate(
            'resume',
            `welcome starts session ${short(c.sid)} a second time`,
          )
        cs = {
          sid: c.sid,
          ids: [],
          ackSeen: 0,
          received: [],
          read: 0,
          previous: this.#last,
          resumed,
        }
        this.#clientSessions.set(c.sid, cs)
      }
      cs.resumed = resumed
      sock.session = cs
      this.#last = cs
      this.#cleared = false
      return
    }
    const m = /^(\d*)(:|$)/.exec(data)
    if (!m || !sock.session) return
    if (m[2] === ':') sock.session.read++
    if (m[1]) this.#acked(sock.session, +m[1], ws)
  }

  /** The client read an acknowledgement `a` of its messages in `cs`. */
  #acked(cs: ClientSession, a: number, ws: FakeWebSocket): void {
    const r = this.#records.get(cs.sid)
    if (r && a > r.delivered.length)
      this.#host.violate(
        'resume',
        `the server acknowledged ${a} messages of session ${short(cs.sid)} on #${this.#host.index(ws)}, its application got ${r.delivered.length}`,
      )
    cs.ackSeen = Math.max(cs.ackSeen, a)
  }

  /** The `session` event. */
  session(p: { id: string; resumed: boolean; unconfirmed: unknown[] }): void {
    const cs = this.#clientSessions.get(p.id)
    this.#current = cs
    this.#announced = true
    if (!cs)
      return this.#host.violate('resume', `session event for ${short(p.id)}, no welcome started it`)
    if (p.resumed !== cs.resumed || (p.resumed && cs !== this.#last))
      this.#host.violate(
        'resume',
        `session event resumed: ${p.resumed}, the welcome said ${cs.resumed}`,
      )
    const got = p.unconfirmed.map((m) => this.#host.idOf(m) ?? '?')
    // In the ledger an unconfirmed message counts once, whether or not the server got it, before
    // the report or after it (PROTOCOL.md 5.3: the server may or may not have received it).
    for (const id of got) {
      if (!this.#deliveredIds.has(id)) this.#host.unconfirmed(id)
      this.#reportedIds.add(id)
    }
    const old = cs.previous
    // PROTOCOL.md 5.3: the old session's messages the server never acknowledged (in a frame the
    // client read).
    const want = p.resumed || !old ? [] : old.ids.slice(old.ackSeen)
    // Whatever the client believes, what the old server's application never got must be in it.
    const delivered = new Set(old ? this.#records.get(old.sid)?.delivered : [])
    const lost =
      p.resumed || !old ? [] : old.ids.filter((id) => !delivered.has(id) && !got.includes(id))
    if (lost.length > 0)
      this.#host.violate(
        'unconfirmed',
        `session ${short(p.id)} leaves out of unconfirmed [${lost.join(', ')}], which the server of session ${short(old!.sid)} never got`,
      )
    if (got.join() !== want.join())
      this.#host.violate(
        'unconfirmed',
        `session ${short(p.id)} (resumed: ${p.resumed}) reports unconfirmed [${got.join(', ')}], the old session ${old ? short(old.sid) : '-'} left [${want.join(', ')}] unacknowledged`,
      )
  }

  /** The `open` event: a `session` event came before it, since the last open. */
  opened(): void {
    if (!this.#announced)
      this.#host.violate('resume', 'open event without a session event before it')
    this.#announced = false
  }

  /** The client's application got message `m` (text, an ArrayBuffer, or what the codec made). */
  clientMessage(m: unknown): void {
    const text =
      typeof m === 'string'
        ? m
        : m instanceof ArrayBuffer
          ? new TextDecoder().decode(m)
          : JSON.stringify(m)
    const tag = /\br\d+\b/.exec(text)?.[0]
    if (tag === undefined) return
    if (this.#receivedTags.has(tag)) this.#host.violate('duplicate', `the client got ${tag} twice`)
    this.#receivedTags.add(tag)
    const cs = this.#current
    if (!cs) return this.#host.violate('resume-order', `the client got ${tag} outside a session`)
    cs.received.push(tag)
    const n = cs.received.length
    const want = this.#records.get(cs.sid)?.sent[n - 1]
    if (want !== tag)
      this.#host.violate(
        'resume-order',
        `the client's message ${n} of session ${short(cs.sid)} is ${tag}, the server's application sent ${want ?? 'nothing'} as message ${n}`,
      )
  }

  /** The client's close() or dispose(): its session id is let go unless already closing. */
  clientClose(status: string): void {
    if (status !== 'closing') this.#cleared = true
  }

  #serverMessage(r: ServerRecord, data: string | Buffer): void {
    const id = this.#host.idOf(typeof data === 'string' ? data : data.toString())
    const c = this.#reading
    if (c && !(id !== undefined && this.#reportedIds.has(id))) this.#host.delivered(id, c.socket)
    if (id === undefined) return
    if (this.#deliveredIds.has(id))
      this.#host.violate('duplicate', `the server's application got ${id} twice`)
    this.#deliveredIds.add(id)
    if (r.end)
      this.#host.violate('resume', `the server got ${id} after session ${short(r.sid)} ended`)
    r.delivered.push(id)
    const n = r.delivered.length
    const want = this.#clientSessions.get(r.sid)?.ids[n - 1]
    if (want !== id)
      this.#host.violate(
        'resume-order',
        `the server's message ${n} of session ${short(r.sid)} is ${id}, the client wrote ${want ?? 'nothing'} as message ${n}`,
      )
  }

  // ── steps ───────────────────────────────────────────────────────────────────────────────────

  /** The resumable model's own steps; `false` for the others. */
  apply(step: Step): boolean {
    if (step.kind === 'sessionSend') this.#send(step.size, step.binary)
    else if (step.kind === 'restart') this.#restart(step.crash)
    else return false
    return true
  }

  /** The application sends on the session the client is in (else the newest live one). */
  #send(size: number, binary: boolean): void {
    const live = (r: ServerRecord | undefined) => r !== undefined && r.end === undefined
    let r = this.#current && this.#records.get(this.#current.sid)
    if (!live(r)) r = [...this.#records.values()].reverse().find(live)
    if (!r) return
    const tag = `r${++this.#tags}`
    const payload = JSON.stringify({ r: tag, p: 'y'.repeat(size) })
    r.sent.push(tag)
    r.sizes.add(payload.length)
    const data = binary && this.cfg.binary ? Buffer.from(payload) : payload
    this.#host.note(`server: ${short(r.sid)}.send(${tag}) → ${String(r.session.send(data))}`)
  }

  #restart(crash: boolean): void {
    const old = this.server
    if (crash)
      for (const sock of this.#socks.values())
        if (sock.link && sock.conn && sock.conn.state !== 'closed') sock.conn.terminate()
    old.close()
    this.generation++
    this.server = this.#start()
  }

  // ── invariants ──────────────────────────────────────────────────────────────────────────────

  /** After every step and inside every hook: both buffers within their bounds. */
  check(where: string, socket: unknown): void {
    const r = (
      socket as { _resume?: { bytes: number; _list: { data: unknown }[] } | null } | undefined
    )?._resume
    const max = this.#clientMax
    const known = (k: { data: unknown }) => this.#duringHandshake.has(this.#host.idOf(k.data) ?? '')
    if (r && r.bytes > max && r._list.length > 1 && !r._list.some(known))
      this.#host.violate(
        'bytes',
        `${where}: the client keeps ${r._list.length} unacknowledged messages, ${r.bytes} bytes (maxBytes ${max})`,
      )
    for (const rec of this.#records.values()) {
      const b = rec.session.bufferedBytes
      // Past maxBytes, the buffer holds one message alone: its size is that of a message sent.
      if (rec.end === undefined && b > this.cfg.serverMax && !rec.sizes.has(b))
        this.#host.violate(
          'bytes',
          `${where}: server session ${short(rec.sid)} buffers ${b} bytes (maxBytes ${this.cfg.serverMax})`,
        )
    }
  }

  /** The end of the friendly wait: an open client has exchanged everything with its server. */
  settled(open: boolean): void {
    const cs = this.#current
    const r = cs && this.#records.get(cs.sid)
    if (!open || !cs || !r || r.end !== undefined) return
    if (r.delivered.join() !== cs.ids.join())
      this.#host.violate(
        'resume-order',
        `open at the end, session ${short(cs.sid)}: the client wrote [${cs.ids.join(', ')}], the server's application got [${r.delivered.join(', ')}]`,
      )
    if (cs.received.join() !== r.sent.join())
      this.#host.violate(
        'resume-order',
        `open at the end, session ${short(cs.sid)}: the server sent [${r.sent.join(', ')}], the client's application got [${cs.received.join(', ')}]`,
      )
  }

  /** Every server closed (timers released), after the run. */
  close(): void {
    for (const s of this.#servers) s.close()
  }
}

function control(data: string): Control | undefined {
  try {
    return JSON.parse(data) as Control
  } catch {
    return undefined
  }
}

function copy(frame: Uint8Array): ArrayBuffer {
  return frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.byteLength) as ArrayBuffer
}

const short = (sid: string) => sid.slice(0, 6)
