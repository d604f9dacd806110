import type { RawData } from '../codec'
import { reportLater } from './data'
import type { ServerData } from './data'
import { FakeConnection } from './fake-connection'
import { FakeWebSocket } from './fake-websocket'
import { bindConnector } from './link'
import type { Control } from './link'

/**
 * How a {@link FakeServer} answers new connections: `'accept'` opens them in the next task,
 * `'manual'` leaves them CONNECTING until `accept()`/`refuse()`, `'refuse'` fails them.
 */
export type FakeServerMode = 'accept' | 'manual' | 'refuse'

/** Options of a {@link FakeServer}. */
export type FakeServerOptions = {
  /** How new connections are answered. @default 'accept' */
  mode?: FakeServerMode
}

/** A listener for new connections. */
export type FakeConnectionListener = (connection: FakeConnection) => void

/**
 * An in-memory server. Inject `server.WebSocket` wherever a WebSocket constructor is expected;
 * every socket it makes connects here, whatever its URL.
 *
 * @example
 * const server = new FakeServer()
 * // An echo server for text (a server sends text or bytes, never a Blob).
 * server.onConnection((c) => c.onMessage((data) => c.send(data as string)))
 * const socket = new SteadySocket('wss://example.test', { WebSocket: server.WebSocket })
 */
export class FakeServer {
  /** A `WebSocket` constructor whose sockets connect to this server. */
  readonly WebSocket: typeof FakeWebSocket

  readonly #initialMode: FakeServerMode
  #mode: FakeServerMode
  #connections: FakeConnection[] = []
  #received: RawData[] = []
  #maxConcurrent = 0
  #listeners: FakeConnectionListener[] = []

  /** Creates a server; see {@link FakeServerOptions}. */
  constructor(options: FakeServerOptions = {}) {
    this.#mode = this.#initialMode = checkMode(options.mode ?? 'accept')
    const WebSocket = class ServerWebSocket extends FakeWebSocket {}
    bindConnector(WebSocket, (socket, control, protocols) =>
      this.#connect(socket, control, protocols),
    )
    this.WebSocket = WebSocket
  }

  /** How connections made from now on are answered. @default 'accept' */
  get mode(): FakeServerMode {
    return this.#mode
  }

  /** Changes how later connections are answered; pending ones keep waiting. Throws on other values. */
  set mode(mode: FakeServerMode) {
    this.#mode = checkMode(mode)
  }

  /** Every connection made since construction (or `reset()`), in order. */
  get connections(): readonly FakeConnection[] {
    return this.#connections
  }

  /** The connections whose client is CONNECTING or OPEN. */
  get live(): FakeConnection[] {
    return this.#connections.filter((connection) => connection.isLive)
  }

  /** The most connections that were live at the same time. */
  get maxConcurrent(): number {
    return this.#maxConcurrent
  }

  /** Everything received from every client, in arrival order. */
  get received(): readonly RawData[] {
    return this.#received
  }

  /** The latest connection, if any. */
  get lastConnection(): FakeConnection | undefined {
    return this.#connections[this.#connections.length - 1]
  }

  /**
   * Calls `listener` synchronously, from the client's constructor, with each new connection,
   * after the `mode` has answered it (so in `'manual'` mode it can accept or refuse).
   * Returns an unsubscribe function.
   */
  onConnection(listener: FakeConnectionListener): () => void {
    this.#listeners.push(listener)
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener)
    }
  }

  /** Sends `data` to every open connection. */
  broadcast(data: ServerData): void {
    for (const connection of this.#connections) {
      if (connection.state === 'open') connection.send(data)
    }
  }

  /**
   * Terminates every connection not yet closed, then forgets connections, received data,
   * `maxConcurrent` and `onConnection` listeners, and restores the constructor's `mode`.
   */
  reset(): void {
    for (const connection of this.#connections) connection.terminate()
    this.#connections = []
    this.#received = []
    this.#maxConcurrent = 0
    this.#listeners = []
    this.#mode = this.#initialMode
  }

  #connect(socket: FakeWebSocket, control: Control, protocols: string[]): void {
    const connection = new FakeConnection(socket, control, protocols, (data) => {
      this.#received.push(data)
    })
    this.#connections.push(connection)
    this.#maxConcurrent = Math.max(this.#maxConcurrent, this.live.length)
    if (this.#mode === 'accept') connection.accept()
    else if (this.#mode === 'refuse') connection.refuse()
    for (const listener of [...this.#listeners]) {
      try {
        listener(connection)
      } catch (error) {
        // Thrown here, it would come out of `new WebSocket()` in the code under test.
        reportLater(error)
      }
    }
  }
}

function checkMode(mode: FakeServerMode): FakeServerMode {
  if (mode === 'accept' || mode === 'manual' || mode === 'refuse') return mode
  throw new TypeError(
    `FakeServer: mode must be 'accept', 'manual' or 'refuse', got ${String(mode)}`,
  )
}
