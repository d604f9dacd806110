// The benchmark's server side, all on 127.0.0.1: an HTTP server for the page, its bundle, the
// jobs pages run and the results they post back, and `ws` WebSocket endpoints:
//   /sink               discards everything
//   /count?n=N          counts messages, answers 'done' at the N-th
//   /blast              on 'go:N', writes N 64-byte text frames at once (pre-encoded)
//   /blast-send         on 'go:N', ws.send()s N 64-byte texts (a server's per-message cost included)
//   /slow?total=B&rate=R  a slow reader: reads at most R bytes/s (pauses the TCP socket),
//                       answers 'done' once B bytes arrived
//   /rec?id=ID          records sequence numbers per id, terminates on 'kill', obeys faults
//   /bytes?id=ID        counts frames, payload and TCP bytes per id; 'go:N' / 'go-bin:N' sends N
//                       64-byte texts / binaries (the wire overhead of `resume`, plain side)
//   /r/…                the same through resumable() (resume-routes.mjs)
import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { WebSocketServer } from 'ws'
import { createResumeRoutes, newByteRecord } from './resume-routes.mjs'

export const MSG_BYTES = 64

/** A 64-byte text message carrying its sequence number. */
export const seqMessage = (i) => String(i).padStart(8, '0') + 'x'.repeat(MSG_BYTES - 8)

/** Per-id state of the /rec endpoint: what arrived, when, and the live connections. */
function newRecord() {
  return {
    seqs: [],
    firstAt: 0,
    lastAt: 0,
    connects: [],
    kills: [],
    live: new Set(),
    /** Per connection: [first seq, last seq, count] (where each connection's data ended). */
    ranges: [],
    faults: [],
    refusing: false,
    stalled: false,
  }
}

const blastCache = new Map()
/** N unmasked server-to-client text frames of 64 bytes, in one buffer. */
function blastFrames(n) {
  let buf = blastCache.get(n)
  if (buf) return buf
  const frame = Buffer.concat([Buffer.from([0x81, MSG_BYTES]), Buffer.from('y'.repeat(MSG_BYTES))])
  buf = Buffer.alloc(frame.length * n)
  for (let i = 0; i < n; i++) frame.copy(buf, i * frame.length)
  blastCache.set(n, buf)
  return buf
}

/** The WebSocket routes, attachable to any number of HTTP servers (they share the records). */
export function createRoutes() {
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    clientTracking: true,
  })
  const records = new Map()
  const record = (id) => {
    let r = records.get(id)
    if (!r) records.set(id, (r = newRecord()))
    return r
  }
  const byteRecords = new Map()
  const bytes = (id) => {
    let b = byteRecords.get(id)
    if (!b) byteRecords.set(id, (b = newByteRecord()))
    return b
  }
  const resume = createResumeRoutes({ record, bytes })

  function onUpgrade(req, socket, head) {
    const url = new URL(req.url, 'http://127.0.0.1')
    const id = url.searchParams.get('id')
    if ((url.pathname === '/rec' || url.pathname === '/r/rec') && id && record(id).refusing) {
      // An outage: the server answers, but refuses the upgrade (a failed handshake, 1006).
      socket.end(
        'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
      )
      return
    }
    if (url.pathname.startsWith('/r/')) return resume.onUpgrade(req, socket, head, url)
    wss.handleUpgrade(req, socket, head, (ws) => connection(ws, req, url))
  }

  function connection(ws, req, url) {
    const tcp = req.socket
    tcp.setNoDelay(true)
    const q = url.searchParams
    switch (url.pathname) {
      case '/sink':
        return
      case '/count': {
        const n = Number(q.get('n'))
        let count = 0
        ws.on('message', () => {
          if (++count === n) ws.send('done')
        })
        return
      }
      case '/blast':
        ws.on('message', (data) => {
          const m = /^go:(\d+)$/.exec(String(data))
          if (m) tcp.write(blastFrames(Number(m[1])))
        })
        return
      case '/blast-send': {
        // As /r/blast through resumable(): one ws.send() per message, the server's cost included.
        const text = 'y'.repeat(MSG_BYTES)
        ws.on('message', (data) => {
          const m = /^go:(\d+)$/.exec(String(data))
          if (m) for (let i = Number(m[1]); i > 0; i--) ws.send(text)
        })
        return
      }
      case '/slow': {
        const total = Number(q.get('total'))
        const rate = Number(q.get('rate'))
        let bytes = 0
        let start = 0
        // Token bucket on the TCP socket: once ahead of `rate`, stop reading until time catches up.
        const tick = setInterval(() => {
          if (start === 0) return
          const allowed = (rate * (performance.now() - start)) / 1000
          if (bytes > allowed) tcp.pause()
          else tcp.resume()
        }, 5)
        ws.on('message', (data) => {
          if (start === 0) start = performance.now()
          bytes += data.length
          if (bytes > (rate * (performance.now() - start)) / 1000) tcp.pause()
          if (bytes >= total) {
            clearInterval(tick)
            tcp.resume()
            ws.send('done')
          }
        })
        ws.on('close', () => clearInterval(tick))
        return
      }
      case '/bytes': {
        const b = bytes(q.get('id') ?? '')
        b.connections.push(tcp)
        ws.on('message', (data, isBinary) => {
          b.framesIn++
          b.payloadIn += data.length
          const m = isBinary ? null : /^go(-bin)?:(\d+)$/.exec(String(data))
          if (!m) {
            b.messagesIn++
            b.messageBytesIn += data.length
            return
          }
          const payload = m[1] ? Buffer.alloc(MSG_BYTES, 7) : 'y'.repeat(MSG_BYTES)
          for (let i = Number(m[2]); i > 0; i--) {
            ws.send(payload)
            b.messagesOut++
            b.messageBytesOut += MSG_BYTES
          }
        })
        return
      }
      case '/rec': {
        const r = record(q.get('id') ?? '')
        const conn = { ws, tcp }
        const range = [null, null, 0]
        r.ranges.push(range)
        r.live.add(conn)
        r.connects.push(performance.now())
        ws.on('close', () => r.live.delete(conn))
        ws.on('message', (data, isBinary) => {
          const s = isBinary ? '' : String(data)
          if (s === 'kill') {
            r.kills.push(performance.now())
            ws.terminate()
            return
          }
          const seq = Number.parseInt(s.slice(0, 8), 10)
          if (!Number.isNaN(seq)) {
            const now = performance.now()
            if (r.firstAt === 0) r.firstAt = now
            r.lastAt = now
            r.seqs.push(seq)
            if (range[0] === null) range[0] = seq
            range[1] = seq
            range[2]++
          }
        })
        if (r.stalled) tcp.pause()
        return
      }
      default:
        ws.close(1008, 'unknown route')
    }
  }

  return {
    onUpgrade,
    records,
    record,
    /** The byte counters of /bytes and /r/bytes for `id`, with the TCP totals read now. */
    bytes(id) {
      const b = bytes(id)
      const { connections, ...counts } = b
      return {
        ...counts,
        tcpRead: connections.reduce((a, t) => a + t.bytesRead, 0),
        tcpWritten: connections.reduce((a, t) => a + t.bytesWritten, 0),
      }
    },
    /** Live /rec connections of every id, for the leak check. */
    liveCount: (id) => record(id).live.size,
    /** Applies one fault to the /rec connections of `id`. */
    fault(id, kind, ms = 0) {
      const r = record(id)
      r.faults.push({
        kind,
        at: performance.now(),
        lastSeq: r.seqs.at(-1) ?? null,
        live: r.live.size,
      })
      const each = (fn) => [...r.live].forEach(fn)
      switch (kind) {
        case 'terminate':
          return each((c) => c.ws.terminate())
        case 'close-1001':
          return each((c) => c.ws.close(1001, 'going away'))
        case 'close-1011':
          return each((c) => c.ws.close(1011, 'internal error'))
        case 'outage':
          r.refusing = true
          each((c) => c.ws.terminate())
          return new Promise((resolve) =>
            setTimeout(() => {
              r.refusing = false
              resolve()
            }, ms),
          )
        case 'stall-terminate':
          // The server stops reading (the client's buffer fills), then the connection dies.
          r.stalled = true
          each((c) => c.tcp.pause())
          return new Promise((resolve) =>
            setTimeout(() => {
              r.stalled = false
              each((c) => c.ws.terminate())
              resolve()
            }, ms),
          )
        default:
          throw new Error(`unknown fault ${kind}`)
      }
    },
    close() {
      resume.close()
      for (const ws of wss.clients) ws.terminate()
      wss.close()
    },
  }
}

/**
 * The main server: page, bundle, jobs and RPCs over HTTP, the WebSocket routes on the same port.
 * `job(spec, handlers)` registers a job a page runs (its URL is `page(id)`); the page's
 * `rpc(name, data)` calls `handlers[name](data)` and gets its return value.
 */
export async function startServer({ bundle }) {
  const routes = createRoutes()
  const jobs = new Map()
  let nextJob = 1
  const http = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1')
    const [, kind, id, name] = url.pathname.split('/')
    const job = jobs.get(id)
    const json = (value) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value ?? null))
    // Cross-origin isolated pages get performance.now() at 5 µs instead of 100 µs resolution.
    const isolation = {
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
    }
    if (kind === 'page') {
      return res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...isolation })
        .end(
          `<!doctype html><meta charset="utf-8"><title>bench ${id}</title><script src="/bench.js"></script>`,
        )
    }
    if (kind === 'bench.js') {
      return res.writeHead(200, { 'content-type': 'text/javascript', ...isolation }).end(bundle)
    }
    if (kind === 'favicon.ico') return res.writeHead(204).end()
    if (!job) return res.writeHead(404).end()
    if (kind === 'job') return json({ scenario: job.scenario, params: job.params })
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', async () => {
      const data = body ? JSON.parse(body) : null
      if (kind === 'result') {
        json('ok')
        jobs.delete(id)
        if (data && data.error) job.reject(new Error(`${job.scenario}: ${data.error}`))
        else job.resolve(data)
        return
      }
      if (kind === 'rpc') {
        try {
          const handler = job.handlers[name]
          json(handler ? await handler(data) : null)
        } catch (error) {
          res.writeHead(500).end(String(error))
        }
        return
      }
      res.writeHead(404).end()
    })
  })
  http.on('upgrade', routes.onUpgrade)
  await new Promise((r) => http.listen(0, '127.0.0.1', r))
  const { port } = http.address()
  const origin = `http://127.0.0.1:${port}`
  return {
    port,
    origin,
    routes,
    /** Registers a job; returns { url, result } where result settles when the page posts. */
    job(scenario, params, handlers = {}, timeoutMs = 60_000) {
      const id = String(nextJob++)
      let resolve, reject
      const result = new Promise((res, rej) => ((resolve = res), (reject = rej)))
      const timer = setTimeout(() => {
        jobs.delete(id)
        reject(new Error(`${scenario}: no result within ${timeoutMs / 1000} s`))
      }, timeoutMs)
      jobs.set(id, {
        scenario,
        params,
        handlers,
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      })
      return { url: `${origin}/page/${id}`, result, id }
    },
    /** Another HTTP server with the same WebSocket routes, on a given port (for outages). */
    async listenAlso(atPort) {
      const other = createServer((_req, res) => res.writeHead(404).end())
      other.on('upgrade', routes.onUpgrade)
      await new Promise((resolve, reject) => {
        other.once('error', reject)
        other.listen(atPort, '127.0.0.1', resolve)
      })
      return () =>
        new Promise((r) => {
          other.close(() => r())
          other.closeAllConnections?.()
        })
    },
    close() {
      routes.close()
      http.close()
      http.closeAllConnections?.()
    },
  }
}

/** A free loopback port, released at once (nothing listens on it afterwards). */
export async function freePort() {
  const s = createServer()
  await new Promise((r) => s.listen(0, '127.0.0.1', r))
  const { port } = s.address()
  await new Promise((r) => s.close(r))
  return port
}

/** The page's script (bench/lib/page.mjs and the libraries it imports), bundled for the browser. */
export async function pageBundle() {
  const out = await build({
    entryPoints: [fileURLToPath(new URL('./page.mjs', import.meta.url))],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  })
  return out.outputFiles[0].text
}
