import { randomBytes } from 'node:crypto'
import { CLOSE, PROTOCOL, decode } from '../resume-wire'
import type { Control, Payload } from '../resume-wire'
import type { Connection, ConnectionLink } from './connection'
import { Emitter } from './emitter'
import type { Listenable } from './emitter'
import { normalizeOptions } from './options'
import type { ResumableOptions, Settings } from './options'
import { ServerSession } from './session'
import type { SessionContext } from './session'
import type { Session } from './session-types'
import { MemoryStore } from './store'
import type { SessionStore } from './store'

/** What a {@link ResumableServer} emits. */
export type ResumableServerEvents = {
  /** A new session, once: not again when its client resumes it. */
  session: Session
  /** `close()` ended every session and let go of the transport. */
  close: undefined
}

type Hello = Extract<Control, { t: 'hello' }>

/**
 * The server side of resumable sessions (PROTOCOL.md), independent of the transport:
 * {@link resumable} feeds it the connections of a `ws` server; {@link ResumableServer.accept}
 * takes any other.
 */
export class ResumableServer implements Listenable<ResumableServerEvents> {
  /** The store's epoch, sent in every `welcome`: random per process start with the default store. */
  readonly epoch: string
  readonly #settings: Settings
  readonly #store: SessionStore
  readonly #events = new Emitter<ResumableServerEvents>()
  readonly #sessions = new Set<Session>()
  /** Connections still waiting for their `hello`, with their timers. */
  readonly #waiting = new Map<Connection, NodeJS.Timeout>()
  readonly #context: SessionContext
  #closed = false

  /** Checks the options (a `TypeError` naming a bad one); see {@link ResumableOptions}. */
  constructor(options?: ResumableOptions) {
    this.#settings = normalizeOptions(options)
    this.#store = this.#settings.store ?? new MemoryStore()
    this.epoch = this.#store.epoch
    this.#context = {
      settings: this.#settings,
      epoch: this.epoch,
      ended: (session) => {
        this.#sessions.delete(session)
        this.#store.delete(session.id)
      },
    }
  }

  /** The live sessions (connected or waiting for a resume), in the order they started. */
  get sessions(): ReadonlySet<Session> {
    return this.#sessions
  }

  /** {@inheritDoc Listenable.on} */
  on<K extends keyof ResumableServerEvents>(
    type: K,
    listener: (payload: ResumableServerEvents[K]) => void,
  ): () => void {
    return this.#events.on(type, listener)
  }

  /** {@inheritDoc Listenable.once} */
  once<K extends keyof ResumableServerEvents>(
    type: K,
    listener: (payload: ResumableServerEvents[K]) => void,
  ): () => void {
    return this.#events.once(type, listener)
  }

  /** {@inheritDoc Listenable.off} */
  off<K extends keyof ResumableServerEvents>(
    type: K,
    listener: (payload: ResumableServerEvents[K]) => void,
  ): void {
    this.#events.off(type, listener)
  }

  /**
   * Takes a new connection: its first frame must be a `hello` within `helloTimeout` (else close
   * 4460), which starts or resumes a session. The transport reports the connection's frames and
   * its end through the returned link. After `close()`, closes the connection at once (1001).
   */
  accept(conn: Connection): ConnectionLink {
    let session: ServerSession | undefined
    let done = this.#closed
    if (done) conn.close(1001, 'server closed')
    else
      this.#waiting.set(
        conn,
        setTimeout(() => {
          done = true
          this.#waiting.delete(conn)
          conn.close(CLOSE.unspoken, `${PROTOCOL} required`)
        }, this.#settings.helloTimeout),
      )
    return {
      receive: (frame) => {
        if (session) return session.receive(conn, frame)
        if (done) return
        done = true
        clearTimeout(this.#waiting.get(conn))
        this.#waiting.delete(conn)
        const hello = readHello(frame)
        if (typeof hello === 'string')
          conn.close(
            hello === '' ? CLOSE.unspoken : CLOSE.violation,
            hello || `${PROTOCOL} required`,
          )
        else session = this.#hello(conn, hello)
      },
      closed: () => {
        clearTimeout(this.#waiting.get(conn))
        this.#waiting.delete(conn)
        done = true
        session?.lost(conn)
        session = undefined
      },
    }
  }

  /**
   * Ends every session (`'closed'`; `bye` and close 1000 where connected), closes connections
   * still waiting for their `hello` (1001), clears every timer, then emits `close`. Later calls do
   * nothing.
   */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    for (const [conn, timer] of this.#waiting) {
      clearTimeout(timer)
      conn.close(1001, 'server closed')
    }
    this.#waiting.clear()
    for (const session of [...this.#sessions]) session.close()
    this.#events.emit('close', undefined)
    this.#events.clear()
  }

  /** Resumes the session of `hello` or starts one; `undefined` when the resume failed (4461). */
  #hello(conn: Connection, hello: Hello): ServerSession | undefined {
    const old =
      hello.sid !== undefined && hello.epoch === this.epoch ? this.#store.get(hello.sid) : undefined
    if (old instanceof ServerSession && !old.ended) return old.resume(conn, hello) ? old : undefined
    const session = new ServerSession(randomBytes(16).toString('base64url'), this.#context)
    this.#store.set(session.id, session)
    this.#sessions.add(session)
    session.start(conn, hello)
    this.#events.emit('session', session)
    return session
  }
}

/**
 * The `hello` of a first frame; else the reason to close with: `''` when the peer does not speak
 * the protocol (4460), a 4461 reason when it names the protocol but breaks it.
 */
function readHello(frame: Payload): Hello | string {
  let f
  try {
    f = decode(frame)
  } catch (error) {
    return namesProtocol(frame) ? (error as Error).message : ''
  }
  return f?.t === 'hello' ? f : ''
}

function namesProtocol(frame: Payload): boolean {
  if (typeof frame !== 'string' || frame[0] !== '{') return false
  try {
    const c = JSON.parse(frame) as { t?: unknown; proto?: unknown } | null
    return c?.t === 'hello' && c.proto === PROTOCOL
  } catch {
    return false
  }
}
