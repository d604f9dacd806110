// Types for fault-server.mjs (plain ESM so the demo runs it without a build).
import type { WebSocket } from 'ws'

/** A static response the server gives for one exact path. */
export type Route =
  | {
      /** Absolute path, read on every request so a rebuild shows without a restart. */
      file: string
      /** Content type; guessed from the extension when absent. */
      type?: string
      /** Body of the 404 when the file does not exist (e.g. "run npm run build first"). */
      missing?: string
      /** Extra response headers. */
      headers?: Record<string, string>
    }
  | {
      body: string | Buffer
      /** @default 'text/html; charset=utf-8' */
      type?: string
      /** Extra response headers, e.g. COOP and COEP for a cross-origin isolated page. */
      headers?: Record<string, string>
    }

export interface FaultServerOptions {
  /** @default '127.0.0.1' */
  host?: string
  /** `0` picks a free port. @default 0 */
  port?: number
  /** Echo every message received on `echoPath` (unless silent). @default true */
  echo?: boolean
  /** @default '/echo' */
  echoPath?: string
  /** Static responses by exact path, e.g. `{ '/': { file: '/abs/index.html' } }`. */
  routes?: Record<string, Route>
  /** Messages (per log) and closed connections kept in the logs; counters are exact. @default Infinity */
  logLimit?: number
  /**
   * Called for every accepted connection, after the server's own listeners, with the `ws` socket
   * and the upgrade path: how a page's own server (the chat example) adds behaviour.
   */
  onConnection?: (socket: WebSocket, path: string) => void
}

export interface ConnectionLog {
  /** 1-based, in order of acceptance. */
  id: number
  /** Path of the upgrade request, without the query. */
  path: string
  /** Text frames as strings, binary frames as Buffers, in order of arrival. */
  received: (string | Buffer)[]
  receivedCount: number
  open: boolean
  /** Close code as the server saw it (1006 after an abrupt end); undefined while open. */
  closeCode: number | undefined
  closeReason: string | undefined
}

/** What `GET /control/state` and every control command return. */
export interface FaultServerState {
  url: string
  totalConnections: number
  liveConnections: number
  maxConcurrent: number
  /** Messages received, all connections. */
  received: number
  refusing: boolean
  paused: boolean
  silent: boolean
  handshakeDelay: number
  /** The last 20 connections. */
  connections: {
    id: number
    path: string
    open: boolean
    received: number
    closeCode: number | null
  }[]
}

export interface FaultServer {
  /** `ws://host:port` (append a path such as `/echo`). */
  url: string
  /** `http://host:port`. */
  httpUrl: string
  port: number
  host: string
  /** Every connection, oldest first (closed ones beyond `logLimit` are forgotten). */
  readonly connections: ConnectionLog[]
  /** Every message from every connection, in order of arrival. */
  readonly received: (string | Buffer)[]
  readonly receivedCount: number
  readonly totalConnections: number
  readonly liveConnections: number
  /** Highest number of simultaneously open connections seen. */
  readonly maxConcurrent: number
  readonly refusing: boolean
  readonly paused: boolean
  readonly isSilent: boolean
  /** Destroys every live TCP socket (and held-back handshakes) without a closing handshake. Returns how many. */
  terminate(): number
  /** Sends a close frame with `code` to every live connection. Returns how many. @default code 1000 */
  closeAll(code?: number, reason?: string): number
  /** Rejects new upgrades with HTTP 503 for `ms` (absent or 0: until `accept()`). Live connections stay. */
  refuse(ms?: number): void
  accept(): void
  /** Stops reading every live (and every new) connection, for `ms` or until `resumeReading()`, so the peer's buffers fill. */
  pauseReading(ms?: number): void
  resumeReading(): void
  /** Half-open: stops reading and answering (no echo, no pong, no `send`) while TCP stays up, for `ms` or until `unsilent()`. */
  silent(ms?: number): void
  unsilent(): void
  /** Holds each new upgrade for `ms` before answering it; 0 = answer at once. */
  delayHandshake(ms: number): void
  /** Sends `data` to every live connection (nothing while silent). Returns how many. */
  send(data: string | Buffer): number
  /** Writes a frame with a reserved opcode to every live connection: the client must fail it. */
  sendMalformed(): number
  /** accept() + resumeReading() + unsilent() + delayHandshake(0). */
  reset(): void
  /** Adds (or with `null` removes) a static route. */
  route(path: string, route: Route | null): void
  state(): FaultServerState
  /** Stops listening, destroys every socket and clears every timer. */
  close(): Promise<void>
}

/** Longest fault a control request may ask for. */
export declare const MAX_FAULT_MS: number

export declare function startFaultServer(options?: FaultServerOptions): Promise<FaultServer>

/** Polls `check` until it returns a truthy value, at most `timeout` ms (default 5000); rejects after. */
export declare function waitFor<T>(
  check: () => T | Promise<T>,
  options?: { timeout?: number; interval?: number; message?: string },
): Promise<NonNullable<T>>
