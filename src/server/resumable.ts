import type { WebSocket, WebSocketServer } from 'ws'
import type { ResumableOptions } from './options'
import { ResumableServer } from './server'

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
export function resumable(wss: WebSocketServer, options?: ResumableOptions): ResumableServer {
  const server = new ResumableServer(options)
  const onConnection = (ws: WebSocket) => {
    const link = server.accept({
      send: (frame) => ws.send(frame),
      close: (code, reason) => ws.close(code, reason),
    })
    ws.on('message', (data, isBinary) => {
      link.receive(isBinary ? toBuffer(data) : data.toString())
    })
    ws.once('close', () => link.closed())
    // ws closes the connection after an 'error' (bad frame, too large): 'close' follows, and an
    // 'error' without a listener would crash the process.
    ws.on('error', () => {})
  }
  wss.on('connection', onConnection)
  server.once('close', () => wss.off('connection', onConnection))
  return server
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data)
  return Buffer.isBuffer(data) ? data : Buffer.from(data)
}
