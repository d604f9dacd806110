import type { CloseInfo, Status } from './events'
import type { WebSocketLike } from './options'
import type { SentLog } from './recovery'

type Timer = ReturnType<typeof setTimeout> | undefined

/** Not connected, and not going to on its own. */
export type Closed = {
  readonly status: 'closed'
  /** Bytes our own `close()` left in the native buffer, never transmitted (flush() rejects). */
  readonly stranded: number
}

/** One attempt: providers, then the native connect, then the handshake, then the queue flush. */
export type Connecting = {
  readonly status: 'connecting'
  /** The native socket, once the providers resolved. */
  ws: WebSocketLike | null
  /** `connectTimeout`; none while the connection waits for recovery (`held`). */
  readonly timer: Timer
  /** The handshake is done, but an abandoned socket may still transmit: the flush waits. */
  readonly held: boolean
}

/** Connected: writes go to `ws`. */
export type Open = {
  readonly status: 'open'
  readonly ws: WebSocketLike
  /** Fires after `minUptime`: the connection is stable. */
  readonly timer: Timer
}

/** Our `close()` waits for the closing handshake; messages still arrive meanwhile. */
export type Closing = {
  readonly status: 'closing'
  readonly ws: WebSocketLike
  /** What our `close()` sent, reported by the `close` event. */
  readonly request: CloseInfo
  /** What was written to `ws` (the tabs leader hands over what it never transmitted). */
  readonly log: SentLog<unknown> | null
}

/** Waiting for the backoff timer (the retry). */
export type Reconnecting = {
  readonly status: 'reconnecting'
  readonly timer: Timer
}

/**
 * The lifecycle of a `SteadySocket`: each phase owns the native socket and the timer it holds.
 * Leaving a phase (the socket's one transition function) releases them; a phase object is also
 * the token async work checks: when it is no longer current, that work is over.
 */
export type Phase = Closed | Connecting | Open | Closing | Reconnecting

/**
 * Every allowed transition, by status. `closed → closed` and `connecting → connecting` are new
 * phases with the same status: a repeated `close()`, a `reconnect()` during an attempt, a
 * connection that waits for recovery. The README's state table is checked against this one.
 */
export const TRANSITIONS: { readonly [S in Status]: readonly Status[] } = {
  closed: ['closed', 'connecting'],
  connecting: ['connecting', 'open', 'closing', 'reconnecting', 'closed'],
  open: ['connecting', 'closing', 'reconnecting', 'closed'],
  closing: ['closed'],
  reconnecting: ['connecting', 'closed'],
}

/** A new `closed` phase (each is a token of its own). */
export const closed = (stranded = 0): Closed => ({ status: 'closed', stranded })

/** The native socket a phase holds, if any. */
export function socketOf(phase: Phase): WebSocketLike | null {
  return 'ws' in phase ? phase.ws : null
}

/** A phase's timer, if any. */
export function timerOf(phase: Phase): Timer {
  return 'timer' in phase ? phase.timer : undefined
}
