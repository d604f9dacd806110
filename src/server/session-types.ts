import type { Listenable } from './emitter'

/** Why a session ended: `'closed'` (either side closed it for good) or `'expired'` (no resume within `window`). */
export type SessionEndReason = 'closed' | 'expired'

/** What a {@link Session} emits. */
export type SessionEvents = {
  /** A message from the client, exactly once and in order: a string if text, a `Buffer` if binary. */
  message: string | Buffer
  /** The session is over: nothing more arrives, `send()` returns `false`, listeners are removed. */
  end: SessionEndReason
  /** After a `send()` returned `false`: acknowledgements brought the buffered bytes back under `maxBytes`. */
  drain: undefined
}

/** What `send()` takes: text, or binary data (kept by reference, not copied: do not change it after). */
export type SessionData = string | Buffer | ArrayBuffer | ArrayBufferView

/**
 * One resumable session: a conversation with one client across any number of its connections.
 * Emitted once by the server's `session` event, not again when the client resumes it.
 */
export type Session = Listenable<SessionEvents> & {
  /** The session id (the only credential of a resume: never log it). */
  readonly id: string
  /** `true` while a connection is attached; messages sent meanwhile are kept for the next one. */
  readonly connected: boolean
  /** Payload bytes written (or due to be replayed) and not yet acknowledged by the client. At most `maxBytes`, or one message larger than it. */
  readonly bufferedBytes: number
  /** Payload bytes of messages waiting in the session for room under `maxBytes`. */
  readonly queuedBytes: number
  /**
   * Sends one message; the client receives it exactly once, in order, across reconnects. Returns
   * `false` once the buffered and queued bytes reach `maxBytes` (the message is still kept and
   * delivered, as with Node streams' `write()`): wait for `drain`. Returns `false` and drops the
   * message after the session ended. Throws a `TypeError` for data that is neither text nor binary.
   */
  send(data: SessionData): boolean
  /** Ends the session for good: `bye` and close 1000 if connected, then `end` `'closed'`. */
  close(): void
}
