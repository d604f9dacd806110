// Browser side: one adapter per library, so every scenario drives each the same way. Bundled
// into the page by esbuild together with page.mjs.
//
// Settings ("modes"):
//   defaults  each library as constructed with no options
//   fast      its quickest reconnect (0 ms where allowed; sockette treats 0 as 1000, so 1 ms)
//   steady    reconnect after a constant 100 ms, and the library's send buffer switched on where
//             it is opt-in (websocket-ts: ArrayQueue); used where outages and faults are measured
import { SteadySocket } from '../../dist/index.js'
import ReconnectingWebSocket from 'reconnecting-websocket'
import PartySocketWS from 'partysocket/ws'
import sockette from 'sockette'
import { ArrayQueue, ConstantBackoff, Websocket as WsTs, WebsocketEvent } from 'websocket-ts'

export { LIBS, RESUME } from './libs.mjs'

export const NativeWebSocket = globalThis.WebSocket

// Every native socket a library makes is the browser's own object (no subclass, no proxy); this
// constructor only notes the newest one, so scenarios can read its bufferedAmount or dispatch
// synthetic frames on it. sockette and websocket-ts read the global `WebSocket`, so it is
// installed globally; the others get it through their `WebSocket` option too.
const captured = { last: null }
function CapturingWebSocket(url, protocols) {
  const ws =
    protocols === undefined ? new NativeWebSocket(url) : new NativeWebSocket(url, protocols)
  captured.last = ws
  return ws
}
CapturingWebSocket.prototype = NativeWebSocket.prototype
Object.assign(CapturingWebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 })
globalThis.WebSocket = CapturingWebSocket

const noop = () => {}

/**
 * Opens `lib` on `url`. hooks: onMessage(data), onOpen(), onClose(), onDrop(messages).
 * Returns { send(m), close(), native (the current native socket), drained?(), pending?() }.
 */
export function connect(lib, url, mode, hooks = {}) {
  const onMessage = hooks.onMessage ?? noop
  const onOpen = hooks.onOpen ?? noop
  const onClose = hooks.onClose ?? noop
  const c = { native: null, opens: 0 }
  const opened = () => {
    c.native = captured.last
    c.opens++
    onOpen()
  }
  const fast = mode === 'fast'
  const steady = mode === 'steady'
  switch (lib) {
    case 'native':
    case 'native-listener': {
      // No reconnect of its own; `manual` re-creates it on close (the leak baseline).
      const make = () => {
        const ws = new NativeWebSocket(url)
        c.native = ws
        ws.onopen = () => (c.opens++, onOpen())
        if (lib === 'native') ws.onmessage = (e) => onMessage(e.data)
        else ws.addEventListener('message', (e) => onMessage(e.data))
        ws.onclose = () => {
          onClose()
          if (mode === 'manual' && !c.closed) make()
        }
      }
      make()
      c.send = (m) => c.native.send(m)
      c.close = () => {
        c.closed = true
        c.native.close()
      }
      return c
    }
    case 'steadysocket':
    case 'steadysocket-resume': {
      const options = { WebSocket: CapturingWebSocket }
      if (fast) options.reconnect = { delay: () => 0 }
      if (steady) options.reconnect = { delay: () => 100 }
      // The same endpoint spoken through resumable() on the server (resume-routes.mjs).
      if (lib === 'steadysocket-resume') {
        options.resume = true
        url = url.replace(/^(wss?:\/\/[^/]+)\//, '$1/r/')
      }
      const s = new SteadySocket(url, options)
      s.on('open', opened)
      s.on('message', onMessage)
      s.on('close', () => onClose())
      s.on('drop', ({ messages }) => hooks.onDrop?.(messages))
      c.lib = s
      c.send = (m) => s.send(m)
      c.close = () => s.close()
      c.drained = () => new Promise((resolve) => s.once('drain', resolve))
      c.pending = () => s.queueLength
      return c
    }
    case 'reconnecting-websocket':
    case 'partysocket': {
      const options = { WebSocket: CapturingWebSocket }
      if (fast) Object.assign(options, { minReconnectionDelay: 0, maxReconnectionDelay: 0 })
      if (steady) {
        Object.assign(options, {
          minReconnectionDelay: 100,
          maxReconnectionDelay: 100,
          reconnectionDelayGrowFactor: 1,
        })
      }
      const Lib = lib === 'partysocket' ? PartySocketWS : ReconnectingWebSocket
      const s = new Lib(url, undefined, options)
      s.addEventListener('open', opened)
      s.addEventListener('message', (e) => onMessage(e.data))
      s.addEventListener('close', () => onClose())
      c.lib = s
      c.send = (m) => s.send(m)
      c.close = () => s.close()
      c.pending = () => s._messageQueue.length
      return c
    }
    case 'sockette': {
      const options = {
        onopen: opened,
        onmessage: (e) => onMessage(e.data),
        onclose: () => onClose(),
      }
      // `timeout: 0` falls back to 1000 ms (`opts.timeout || 1e3`): 1 ms is its fastest.
      if (fast) options.timeout = 1
      if (steady) options.timeout = 100
      const s = sockette(url, options)
      c.lib = s
      c.send = (m) => s.send(m)
      c.close = () => s.close()
      return c
    }
    case 'websocket-ts': {
      const options = {}
      // Without a backoff it never reconnects; without a buffer, sends while down are dropped.
      if (fast) options.retry = { backoff: new ConstantBackoff(0), instantReconnect: true }
      if (steady) {
        options.retry = { backoff: new ConstantBackoff(100) }
        options.buffer = new ArrayQueue()
      }
      const s = new WsTs(url, undefined, options)
      s.addEventListener(WebsocketEvent.open, opened)
      s.addEventListener(WebsocketEvent.message, (_ws, e) => onMessage(e.data))
      s.addEventListener(WebsocketEvent.close, () => onClose())
      c.lib = s
      c.send = (m) => s.send(m)
      c.close = () => s.close()
      c.pending = () => (options.buffer ? options.buffer.length() : 0)
      return c
    }
    default:
      throw new Error(`unknown library ${lib}`)
  }
}
