/**
 * One connection as the protocol engine sees it. A `ws` `WebSocket` is wrapped into one by
 * {@link resumable}; another transport (or a test's in-memory connection) can be passed to
 * {@link ResumableServer.accept} directly.
 */
export type Connection = {
  /** Writes one frame: a string as a text frame, bytes as a binary frame, unchanged. */
  send(frame: string | Uint8Array): void
  /** Closes the connection with a close code and reason (a closing handshake, not a kill). */
  close(code: number, reason: string): void
}

/** What a transport reports about a connection it gave to {@link ResumableServer.accept}. */
export type ConnectionLink = {
  /** A frame arrived: a string for a text frame, bytes for a binary one. */
  receive(frame: string | Uint8Array): void
  /** The connection is closed or dead, whichever side closed it. Call it once; nothing after it. */
  closed(): void
}
