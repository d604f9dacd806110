// @ts-check
// A real WebSocket server (ws over node:http) that misbehaves on command, for the Node and browser
// test layers and for the echo demo. Plain ESM so the demo runs it without a build; the types
// that TypeScript tests see live in fault-server.d.mts next to this file.
import { createServer } from 'node:http'
import { readFile } from 'node:fs/promises'
import { extname } from 'node:path'
import { WebSocketServer } from 'ws'

/** @typedef {import('./fault-server.d.mts').FaultServer} FaultServer */
/** @typedef {import('./fault-server.d.mts').FaultServerOptions} FaultServerOptions */
/** @typedef {import('./fault-server.d.mts').ConnectionLog} ConnectionLog */
/** @typedef {import('./fault-server.d.mts').Route} Route */
/** @typedef {import('./fault-server.d.mts').FaultServerState} FaultServerState */
/** @typedef {import('ws').WebSocket} WebSocket */
/** @typedef {import('node:net').Socket} Socket */
/** @typedef {import('node:http').IncomingMessage} IncomingMessage */
/** @typedef {import('node:http').ServerResponse} ServerResponse */

/** Longest fault a control request may ask for, so a typo cannot wedge a test run. */
export const MAX_FAULT_MS = 600_000

const CONTENT_TYPES = /** @type {Record<string, string>} */ ({
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
})

// Opcode 0x3 is reserved (RFC 6455 §5.2): a conforming client must fail the connection.
const MALFORMED_FRAME = Buffer.from([0x83, 0x00])

const MAX_CONTROL_BODY = 1 << 20

/**
 * Starts the server on `host:port` (port 0 picks a free one).
 * @param {FaultServerOptions} [options]
 * @returns {Promise<FaultServer>}
 */
export function startFaultServer(options = {}) {
  const {
    host = '127.0.0.1',
    port = 0,
    echo = true,
    echoPath = '/echo',
    routes = {},
    logLimit = Infinity,
    onConnection: afterConnection,
  } = options

  const state = { refusing: false, paused: false, silent: false, handshakeDelay: 0 }
  /** @type {{ refuse?: NodeJS.Timeout, slow?: NodeJS.Timeout, silent?: NodeJS.Timeout }} */
  const timers = {}
  /** @type {Map<WebSocket, { log: ConnectionLog, socket: Socket }>} */
  const live = new Map()
  /** @type {Map<Socket, NodeJS.Timeout>} upgrades held back by delayHandshake() */
  const pending = new Map()
  /** @type {Map<string, Route>} */
  const routeTable = new Map(Object.entries(routes))
  /** @type {ConnectionLog[]} */
  const connections = []
  /** @type {(string | Buffer)[]} */
  const received = []
  let receivedCount = 0
  let totalConnections = 0
  let maxConcurrent = 0
  let closed = false

  const wss = new WebSocketServer({ noServer: true, clientTracking: false })
  const http = createServer((req, res) => {
    handleHttp(req, res).catch((error) => {
      if (!res.headersSent) sendText(res, 500, `fault-server: ${String(error)}`)
      else res.destroy()
    })
  })

  http.on('upgrade', (/** @type {IncomingMessage} */ req, /** @type {Socket} */ socket, head) => {
    socket.on('error', () => {}) // a client vanishing mid-handshake is not a server failure
    if (closed || state.refusing) return refuseUpgrade(socket)
    if (state.handshakeDelay <= 0) return upgrade(req, socket, head)
    const timer = setTimeout(() => {
      pending.delete(socket)
      if (closed || state.refusing) refuseUpgrade(socket)
      else upgrade(req, socket, head)
    }, state.handshakeDelay)
    pending.set(socket, timer)
    socket.once('close', () => {
      clearTimeout(timer)
      pending.delete(socket)
    })
  })

  /**
   * @param {IncomingMessage} req
   * @param {Socket} socket
   * @param {Buffer} head
   */
  function upgrade(req, socket, head) {
    if (socket.destroyed) return
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, req, socket))
  }

  /**
   * @param {WebSocket} ws
   * @param {IncomingMessage} req
   * @param {Socket} socket
   */
  function onConnection(ws, req, socket) {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    /** @type {ConnectionLog} */
    const log = {
      id: ++totalConnections,
      path,
      received: [],
      receivedCount: 0,
      open: true,
      closeCode: undefined,
      closeReason: undefined,
    }
    connections.push(log)
    trimConnections()
    live.set(ws, { log, socket })
    maxConcurrent = Math.max(maxConcurrent, live.size)
    if (state.paused || state.silent) ws.pause()

    ws.on('message', (data, isBinary) => {
      const message = isBinary ? toBuffer(data) : toBuffer(data).toString('utf8')
      receivedCount += 1
      log.receivedCount += 1
      pushBounded(received, message)
      pushBounded(log.received, message)
      if (echo && path === echoPath && !state.silent) ws.send(data, { binary: isBinary })
    })
    ws.on('error', () => {}) // protocol errors end in 'close', which is what the log records
    ws.on('close', (code, reason) => {
      log.open = false
      log.closeCode = code
      log.closeReason = reason.toString('utf8')
      live.delete(ws)
      trimConnections()
    })
    afterConnection?.(ws, path)
  }

  /** @param {Socket} socket */
  function refuseUpgrade(socket) {
    if (socket.destroyed) return
    socket.end(
      'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
      () => socket.destroy(),
    )
  }

  /**
   * @template T
   * @param {T[]} list
   * @param {T} item
   */
  function pushBounded(list, item) {
    list.push(item)
    if (list.length > logLimit) list.splice(0, list.length - logLimit)
  }

  function trimConnections() {
    // Closed connections are forgotten first; a live one always stays in the log.
    for (let i = 0; connections.length > logLimit && i < connections.length;) {
      if (connections[i]?.open) i += 1
      else connections.splice(i, 1)
    }
  }

  /** @param {keyof typeof timers} name */
  function clearTimer(name) {
    clearTimeout(timers[name])
    timers[name] = undefined
  }

  function applyReading() {
    const stop = state.paused || state.silent
    for (const ws of live.keys()) {
      if (stop) ws.pause()
      else ws.resume()
    }
  }

  /** @returns {FaultServerState} */
  function snapshot() {
    return {
      url: controller.url,
      totalConnections,
      liveConnections: live.size,
      maxConcurrent,
      received: receivedCount,
      refusing: state.refusing,
      paused: state.paused,
      silent: state.silent,
      handshakeDelay: state.handshakeDelay,
      connections: connections.slice(-20).map((c) => ({
        id: c.id,
        path: c.path,
        open: c.open,
        received: c.receivedCount,
        closeCode: c.closeCode ?? null,
      })),
    }
  }

  /** @type {FaultServer} */
  const controller = {
    url: '',
    httpUrl: '',
    port: 0,
    host,
    connections,
    received,
    get receivedCount() {
      return receivedCount
    },
    get totalConnections() {
      return totalConnections
    },
    get liveConnections() {
      return live.size
    },
    get maxConcurrent() {
      return maxConcurrent
    },
    get refusing() {
      return state.refusing
    },
    get paused() {
      return state.paused
    },
    get isSilent() {
      return state.silent
    },
    terminate() {
      const count = live.size + pending.size
      for (const { socket } of live.values()) socket.destroy()
      for (const socket of pending.keys()) socket.destroy()
      return count
    },
    closeAll(code = 1000, reason = '') {
      const count = live.size
      for (const ws of live.keys()) ws.close(code, reason)
      return count
    },
    refuse(ms) {
      clearTimer('refuse')
      state.refusing = true
      if (ms !== undefined && ms > 0) timers.refuse = setTimeout(() => controller.accept(), ms)
    },
    accept() {
      clearTimer('refuse')
      state.refusing = false
    },
    pauseReading(ms) {
      clearTimer('slow')
      state.paused = true
      applyReading()
      if (ms !== undefined && ms > 0) timers.slow = setTimeout(() => controller.resumeReading(), ms)
    },
    resumeReading() {
      clearTimer('slow')
      state.paused = false
      applyReading()
    },
    silent(ms) {
      clearTimer('silent')
      state.silent = true
      applyReading()
      if (ms !== undefined && ms > 0) timers.silent = setTimeout(() => controller.unsilent(), ms)
    },
    unsilent() {
      clearTimer('silent')
      state.silent = false
      applyReading()
    },
    delayHandshake(ms) {
      state.handshakeDelay = Math.max(0, ms ?? 0)
    },
    send(data) {
      if (state.silent) return 0
      for (const ws of live.keys()) ws.send(data)
      return live.size
    },
    sendMalformed() {
      for (const { socket } of live.values()) socket.write(MALFORMED_FRAME)
      return live.size
    },
    reset() {
      controller.accept()
      controller.resumeReading()
      controller.unsilent()
      controller.delayHandshake(0)
    },
    route(path, route) {
      if (route === null) routeTable.delete(path)
      else routeTable.set(path, route)
    },
    state: snapshot,
    close() {
      if (closed) return Promise.resolve()
      closed = true
      for (const name of /** @type {const} */ (['refuse', 'slow', 'silent'])) clearTimer(name)
      controller.terminate()
      wss.close()
      return new Promise((resolve) => {
        http.close(() => resolve())
        http.closeAllConnections()
      })
    },
  }

  /**
   * @param {IncomingMessage} req
   * @param {ServerResponse} res
   */
  async function handleHttp(req, res) {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (url.pathname.startsWith('/control/')) return handleControl(req, res, url)
    const route = routeTable.get(url.pathname)
    if (route === undefined) return sendText(res, 404, `Not found: ${url.pathname}`)
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'Use GET')
    if ('body' in route) {
      const type = route.type ?? 'text/html; charset=utf-8'
      return sendBody(res, 200, type, route.body, req.method, route.headers)
    }
    let body
    try {
      body = await readFile(route.file)
    } catch (error) {
      if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'ENOENT') throw error
      return sendText(res, 404, route.missing ?? `Not found: ${route.file}`)
    }
    const type = route.type ?? CONTENT_TYPES[extname(route.file)] ?? 'application/octet-stream'
    return sendBody(res, 200, type, body, req.method, route.headers)
  }

  /**
   * @param {IncomingMessage} req
   * @param {ServerResponse} res
   * @param {URL} url
   */
  async function handleControl(req, res, url) {
    const command = url.pathname.slice('/control/'.length)
    if (command === 'state') {
      req.resume()
      if (req.method !== 'GET') return sendJson(res, 405, { error: 'Use GET /control/state' })
      return sendJson(res, 200, snapshot())
    }
    if (req.method !== 'POST') {
      req.resume()
      return sendJson(res, 405, { error: `Use POST /control/${command}` })
    }
    const body = await readBody(req)
    if (body === undefined) return sendJson(res, 413, { error: 'Body too large' })
    const ms = parseMs(url.searchParams.get('ms'))
    if (ms === undefined) {
      return sendJson(res, 400, { error: `ms must be an integer from 0 to ${MAX_FAULT_MS}` })
    }
    switch (command) {
      case 'drop':
        controller.terminate()
        break
      case 'close': {
        const code = Number(url.searchParams.get('code') ?? 1000)
        if (!isServerCloseCode(code)) {
          return sendJson(res, 400, { error: 'code must be 1000-1003, 1007-1014 or 3000-4999' })
        }
        controller.closeAll(code, url.searchParams.get('reason') ?? '')
        break
      }
      case 'down':
        controller.refuse(ms)
        controller.terminate()
        break
      case 'up':
        controller.accept()
        break
      case 'slow':
        controller.pauseReading(ms)
        break
      case 'resume':
        controller.resumeReading()
        break
      case 'silent':
        controller.silent(ms)
        break
      case 'unsilent':
        controller.unsilent()
        break
      case 'delay':
        controller.delayHandshake(ms)
        break
      case 'send':
        controller.send(body)
        break
      case 'malformed':
        controller.sendMalformed()
        break
      case 'reset':
        controller.reset()
        break
      default:
        return sendJson(res, 404, { error: `Unknown control command: ${command}` })
    }
    return sendJson(res, 200, snapshot())
  }

  return new Promise((resolve, reject) => {
    http.once('error', reject)
    http.listen(port, host, () => {
      http.off('error', reject)
      http.on('error', () => {}) // after listen, per-connection errors are already handled
      const address = http.address()
      const actualPort = typeof address === 'object' && address !== null ? address.port : port
      const hostPart = host.includes(':') ? `[${host}]` : host
      controller.port = actualPort
      controller.url = `ws://${hostPart}:${actualPort}`
      controller.httpUrl = `http://${hostPart}:${actualPort}`
      resolve(controller)
    })
  })
}

/**
 * Polls `check` until it returns a truthy value, at most `timeout` ms; rejects after that.
 * @template T
 * @param {() => T | Promise<T>} check
 * @param {{ timeout?: number, interval?: number, message?: string }} [options]
 * @returns {Promise<NonNullable<T>>}
 */
export async function waitFor(check, { timeout = 5000, interval = 10, message } = {}) {
  const deadline = Date.now() + timeout
  const maxTries = Math.ceil(timeout / Math.max(1, interval)) + 1
  for (let i = 0; i < maxTries; i++) {
    const value = await check()
    if (value) return /** @type {NonNullable<T>} */ (value)
    if (Date.now() >= deadline) break
    await new Promise((resolve) => setTimeout(resolve, interval))
  }
  throw new Error(message ?? `waitFor: condition not met within ${timeout} ms`)
}

/**
 * @param {import('ws').RawData} data
 * @returns {Buffer}
 */
function toBuffer(data) {
  if (Buffer.isBuffer(data)) return data
  if (Array.isArray(data)) return Buffer.concat(data)
  return Buffer.from(data)
}

/**
 * @param {string | null} value
 * @returns {number | undefined} undefined when invalid; 0 when absent
 */
function parseMs(value) {
  if (value === null || value === '') return 0
  const ms = Number(value)
  return Number.isInteger(ms) && ms >= 0 && ms <= MAX_FAULT_MS ? ms : undefined
}

/** @param {number} code */
function isServerCloseCode(code) {
  return (
    Number.isInteger(code) &&
    ((code >= 1000 && code <= 1003) ||
      (code >= 1007 && code <= 1014) ||
      (code >= 3000 && code <= 4999))
  )
}

/**
 * @param {IncomingMessage} req
 * @returns {Promise<string | undefined>} undefined when the body exceeds MAX_CONTROL_BODY
 */
function readBody(req) {
  return new Promise((resolve, reject) => {
    /** @type {Buffer[]} */
    const chunks = []
    let size = 0
    req.on('data', (/** @type {Buffer} */ chunk) => {
      size += chunk.length
      if (size <= MAX_CONTROL_BODY) chunks.push(chunk)
    })
    req.on('end', () =>
      resolve(size > MAX_CONTROL_BODY ? undefined : Buffer.concat(chunks).toString('utf8')),
    )
    req.on('error', reject)
  })
}

/**
 * @param {ServerResponse} res
 * @param {number} status
 * @param {string} type
 * @param {string | Buffer} body
 * @param {string | undefined} method
 * @param {Record<string, string>} [headers] extra response headers (e.g. COOP/COEP)
 */
function sendBody(res, status, type, body, method = 'GET', headers = {}) {
  res.writeHead(status, {
    ...headers,
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  })
  res.end(method === 'HEAD' ? undefined : body)
}

/**
 * @param {ServerResponse} res
 * @param {number} status
 * @param {string} text
 */
function sendText(res, status, text) {
  sendBody(res, status, 'text/plain; charset=utf-8', `${text}\n`)
}

/**
 * @param {ServerResponse} res
 * @param {number} status
 * @param {unknown} value
 */
function sendJson(res, status, value) {
  sendBody(res, status, 'application/json; charset=utf-8', JSON.stringify(value))
}
