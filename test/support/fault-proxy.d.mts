// Types for fault-proxy.mjs (plain ESM, like fault-server.mjs).

export interface FaultProxyOptions {
  /** Port on `host` that accepted connections are forwarded to; `setTarget()` changes it. */
  target: number
  /** Where the proxy listens and where the target is. @default '127.0.0.1' */
  host?: string
}

/** What the proxy did, counted since it started. */
export interface FaultProxyStats {
  /** Connections accepted from clients. */
  accepted: number
  /** Accepted connections whose upstream connection failed (target down): cut at once. */
  refused: number
  /** Connections cut with a RST as soon as they were accepted, while refusing. */
  turnedAway: number
  /** `reset()` and `blackhole()` commands that found at least one live pair. */
  cuts: number
  resets: number
  blackholes: number
  halfOpens: number
  /** Bytes from clients held back by `holdUp()`. */
  bytesHeld: number
  /** Held bytes written to the target by `release()`. */
  bytesReleased: number
  /** Pairs destroyed by a command (a black-holed pair counts when its cut lands). */
  pairsCut: number
  /** Bytes forwarded client → target. */
  bytesUp: number
  /** Bytes forwarded target → client. */
  bytesDown: number
  /** Bytes read during a black hole and dropped. */
  bytesDropped: number
}

export interface FaultProxy {
  host: string
  port: number
  /** `ws://host:port`: append the target's path. */
  url: string
  /** The port new connections are forwarded to. */
  readonly target: number
  /** Pairs forwarding now (not black-holed). */
  readonly live: number
  /** Pairs in a black hole, waiting for their cut. */
  readonly holed: number
  /** Whether new connections are cut on arrival (`refuse()`). */
  readonly refusing: boolean
  /** A copy of the counters. */
  readonly stats: FaultProxyStats
  /** Cuts every new connection with a RST as soon as it arrives (live pairs stay), until `accept()`. */
  refuse(): void
  accept(): void
  /** Forwards connections accepted from now on to `port`; live pairs stay where they are. */
  setTarget(port: number): void
  /**
   * Destroys every pair (black-holed ones too) with a TCP RST on both sides: each peer sees an
   * abrupt loss. Returns how many pairs it cut (counted as one cut when more than 0).
   */
  reset(): number
  /**
   * Stops forwarding on every live pair in both directions (reading paused, bytes already read
   * dropped) and cuts each with a RST after `ms`: a loss that lands later, like a dead NAT.
   * Returns how many pairs it black-holed (counted as one cut when more than 0).
   */
  blackhole(ms: number): number
  /**
   * Half-open: cuts the client side of every live pair with a RST and leaves the target side
   * open and quiet (what the target writes is read and dropped; nothing is written to it), so the
   * server does not learn of the loss until the client's next connection tells it. Returns how
   * many pairs it cut (counted as one cut when more than 0).
   */
  halfOpen(): number
  /**
   * Holds back what the clients of the live pairs write (kept in memory, not forwarded) until
   * `release()`; the other direction goes on. With `halfOpen()` afterwards: segments that arrive
   * late on a connection the client has already given up. Returns how many pairs hold.
   */
  holdUp(): number
  /** Writes what `holdUp()` held to each pair's target side, orphans included. Returns the bytes. */
  release(): number
  /** Target-side connections left open by `halfOpen()` that the target has not closed yet. */
  readonly orphans: number
  /** Cuts every pair and stops listening. */
  close(): Promise<void>
}

/** Longest black hole a command may ask for. */
export declare const MAX_BLACKHOLE_MS: number

export declare function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy>
