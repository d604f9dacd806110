import { randomBytes } from 'node:crypto'
import type { Session } from './session-types'

/**
 * Where a server finds its sessions by id: the seam for a store shared by several processes.
 *
 * The protocol engine uses nothing else of it. Its `epoch` names the store's lifetime
 * (PROTOCOL.md section 7): a store that can lose part of a session's state must change it when it
 * does, and only sessions of the current epoch are resumed. The in-memory default changes it at
 * every start. Sessions are live objects with a connection and timers, so a shared store would
 * keep their counters and unacknowledged messages and rebuild sessions from them; this version
 * ships only the in-memory one.
 */
export interface SessionStore {
  /** The store's epoch: 1 to 64 of `A–Z a–z 0–9 - _`, sent to clients in `welcome`. */
  readonly epoch: string
  /** The session `sid`, if the store holds it. */
  get(sid: string): Session | undefined
  /** Keeps `session` under `sid` (a new session, once). */
  set(sid: string, session: Session): void
  /** Forgets `sid` (the session ended). */
  delete(sid: string): void
}

/** The default {@link SessionStore}: a `Map` in this process, with a random epoch per store. */
export class MemoryStore implements SessionStore {
  /** A random epoch (48 bits, base64url), new for every store. */
  readonly epoch: string = randomBytes(6).toString('base64url')
  readonly #sessions = new Map<string, Session>()

  /** How many sessions the store holds. */
  get size(): number {
    return this.#sessions.size
  }

  /** {@inheritDoc SessionStore.get} */
  get(sid: string): Session | undefined {
    return this.#sessions.get(sid)
  }

  /** {@inheritDoc SessionStore.set} */
  set(sid: string, session: Session): void {
    this.#sessions.set(sid, session)
  }

  /** {@inheritDoc SessionStore.delete} */
  delete(sid: string): void {
    this.#sessions.delete(sid)
  }
}
