import { normalizeOptions } from './options'
import type { ResumableOptions } from './options'
import { ResumableServer } from './server'

// Structural types instead of `import type ... from 'ws'`: the declarations then need no
// @types/ws, and any server with ws 8's event API fits.

/** A listener of {@link WebSocketLike} and {@link WebSocketServerLike} events. */
export type WsListener = (...args: never[]) => void

/** What {@link resumable} uses of one `ws` `WebSocket`. */
export type WebSocketLike = {
  /** Writes a frame: text for a string, binary for bytes. */
  send(data: string | Uint8Array): void
  /** Starts the closing handshake. */
  close(code: number, reason: string): void
  /** Sends a WebSocket ping (the `heartbeat` option). */
  ping(): void
  /** Drops the connection without a closing handshake (a peer that stopped answering pings). */
  terminate(): void
  /** `'message'` (data, isBinary), `'pong'`, `'close'` and `'error'` are listened to. */
  on(event: string, listener: WsListener): unknown
}

/** What {@link resumable} uses of a `ws` `WebSocketServer`: its `'connection'` event. */
export type WebSocketServerLike = {
  /** Adds the `'connection'` listener. */
  on(event: string, listener: WsListener): unknown
  /** Removes it, at `close()`. */
  off(event: string, listener: WsListener): unknown
}

/**
 * Makes a `ws` `WebSocketServer` speak resumable sessions (PROTOCOL.md): every connection it
 * accepts from now on must open with a `hello`. The server's `close()` stops listening to `wss`
 * (it does not close `wss` itself).
 *
 * @example
 * const server = resumable(new WebSocketServer({ port: 8080 }), { window: 120_000 })
 * server.on('session', (session) => {
 *   session.on('message', (data) => session.send(data))
 * })
 */
export function resumable(wss: WebSocketServerLike, options?: ResumableOptions): ResumableServer {
  const server = new ResumableServer(options)
  const { heartbeat } = normalizeOptions(options)
  /** Each connection, and whether it answered the last ping. */
  const live = new Map<WebSocketLike, boolean>()
  const onConnection = (ws: WebSocketLike) => {
    live.set(ws, true)
    ws.on('pong', () => live.set(ws, true))
    const link = server.accept({
      send: (frame) => ws.send(frame),
      close: (code, reason) => ws.close(code, reason),
    })
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      link.receive(isBinary ? toBuffer(data) : toBuffer(data).toString())
    })
    ws.on('close', () => {
      live.delete(ws)
      link.closed()
    })
    // ws closes the connection after an 'error' (bad frame, too large): 'close' follows, and an
    // 'error' without a listener would crash the process.
    ws.on('error', () => {})
  }
  // One timer for every connection; unref: it never keeps the process alive on its own.
  const pings = heartbeat ? setInterval(() => ping(live), heartbeat).unref() : undefined
  wss.on('connection', onConnection)
  server.once('close', () => {
    clearInterval(pings)
    wss.off('connection', onConnection)
  })
  return server
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data)
  return Buffer.isBuffer(data) ? data : Buffer.from(data)
}

function ping(live: Map<WebSocketLike, boolean>): void {
  for (const [ws, answered] of live) {
    if (!answered) {
      live.delete(ws)
      ws.terminate()
      continue
    }
    live.set(ws, false)
    try {
      ws.ping()
    } catch {
      // Not open (any more): its 'close' comes.
    }
  }
}
