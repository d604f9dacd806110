// The benchmark's resumable endpoints: the same routes as server.mjs under `/r/`, spoken through
// `resumable()` from the built dist/server.js (PROTOCOL.md), for SteadySocket with `resume: true`:
//   /r/count?n=N        counts session messages, sends 'done' at the N-th
//   /r/blast            on 'go:N', session.send()s N 64-byte texts (the real server's cost included)
//   /r/blast-raw        a minimal peer instead of resumable(): answers the hello with a welcome,
//                       then on 'go:N' writes N pre-encoded `:`+64-byte frames at once, as /blast
//                       does; the client's acknowledgements are read and ignored
//   /r/bytes?id=ID      counts the frames and payload bytes every connection of `id` reads, its
//                       TCP bytes read and written, and the messages and their payload bytes; on
//                       'go:N' sends N 64-byte texts (or binary, 'go-bin:N')
//   /r/rec?id=ID        as /rec: records sequence numbers, obeys the same faults
// Every connection of a /r/ path is also a connection of the records in server.mjs (`live`), so
// faults (terminate, close, outage, stall) hit it exactly as they hit the plain ones.
import { WebSocketServer } from 'ws'
import { resumable } from '../../dist/server.js'

// As server.mjs (which imports this file, so it is not imported back).
const MSG_BYTES = 64
const PROTOCOL = 'steadysocket.resume.v1'
const TEXT = 'y'.repeat(MSG_BYTES)
const BIN = Buffer.alloc(MSG_BYTES, 7)

const rawCache = new Map()
/** N unmasked server-to-client text frames `:` + 64 bytes (message numbers are implicit). */
function rawFrames(n) {
  let buf = rawCache.get(n)
  if (buf) return buf
  const frame = Buffer.concat([Buffer.from([0x81, MSG_BYTES + 1, 0x3a]), Buffer.from(TEXT)])
  buf = Buffer.alloc(frame.length * n)
  for (let i = 0; i < n; i++) frame.copy(buf, i * frame.length)
  rawCache.set(n, buf)
  return buf
}

/** Per-id byte counters of /r/bytes and /bytes (server.mjs counts the plain ones here too). */
export function newByteRecord() {
  return {
    /** Frames the server read, all of them (hello, data, acks) and their payload bytes. */
    framesIn: 0,
    payloadIn: 0,
    /** Application messages the server got, and their payload bytes. */
    messagesIn: 0,
    messageBytesIn: 0,
    /** Application messages the server sent, and their payload bytes. */
    messagesOut: 0,
    messageBytesOut: 0,
    /** Kernel-level bytes of the connections (handshake and frame headers included). */
    tcpRead: 0,
    tcpWritten: 0,
    connections: [],
  }
}

/**
 * @param {{ record(id: string): object, bytes(id: string): object }} records the plain routes'
 *   per-id records (faults act on their `live` set) and byte counters
 */
export function createResumeRoutes(records) {
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    clientTracking: true,
  })
  // Sessions are told from one another by the URL of the connection whose hello started them:
  // our own 'message' listener runs first (it was added before resumable()'s), so `current` is
  // that connection's URL while resumable() handles the hello and emits 'session'.
  let current = null
  const server = resumable(wss, { heartbeat: 0 })
  server.on('session', (session) => {
    const url = current
    const q = url.searchParams
    switch (url.pathname) {
      case '/r/count': {
        const n = Number(q.get('n'))
        let count = 0
        session.on('message', () => {
          if (++count === n) session.send('done')
        })
        return
      }
      case '/r/blast':
        session.on('message', (data) => {
          const m = /^go:(\d+)$/.exec(String(data))
          if (m) for (let i = Number(m[1]); i > 0; i--) session.send(TEXT)
        })
        return
      case '/r/bytes': {
        const b = records.bytes(q.get('id') ?? '')
        session.on('message', (data) => {
          const m = /^go(-bin)?:(\d+)$/.exec(typeof data === 'string' ? data : '')
          if (m) {
            for (let i = Number(m[2]); i > 0; i--) {
              session.send(m[1] ? BIN : TEXT)
              b.messagesOut++
              b.messageBytesOut += MSG_BYTES
            }
            return
          }
          b.messagesIn++
          b.messageBytesIn += data.length
        })
        return
      }
      case '/r/rec': {
        const r = records.record(q.get('id') ?? '')
        session.on('message', (data) => {
          const s = typeof data === 'string' ? data : ''
          const seq = Number.parseInt(s.slice(0, 8), 10)
          if (Number.isNaN(seq)) return
          const now = performance.now()
          if (r.firstAt === 0) r.firstAt = now
          r.lastAt = now
          r.seqs.push(seq)
          const range = r.ranges.at(-1)
          if (range[0] === null) range[0] = seq
          range[1] = seq
          range[2]++
        })
        return
      }
      default:
        session.close()
    }
  })

  function connection(ws, req, url) {
    const tcp = req.socket
    tcp.setNoDelay(true)
    if (url.pathname === '/r/blast-raw') return rawPeer(ws, tcp)
    ws.on('message', () => (current = url))
    if (url.pathname === '/r/bytes') {
      const b = records.bytes(url.searchParams.get('id') ?? '')
      b.connections.push(tcp)
      ws.on('message', (data) => {
        b.framesIn++
        b.payloadIn += data.length
      })
    }
    if (url.pathname === '/r/rec') {
      const r = records.record(url.searchParams.get('id') ?? '')
      const conn = { ws, tcp }
      r.ranges.push([null, null, 0])
      r.live.add(conn)
      r.connects.push(performance.now())
      ws.on('close', () => r.live.delete(conn))
      if (r.stalled) tcp.pause()
    }
    wss.emit('connection', ws, req)
  }

  /** Welcome, then N pre-encoded frames per 'go:N': the client's cost alone, as /blast measures it. */
  function rawPeer(ws, tcp) {
    let greeted = false
    ws.on('message', (data) => {
      const s = String(data)
      if (!greeted) {
        greeted = true
        const hello = JSON.parse(s)
        ws.send(
          JSON.stringify({
            t: 'welcome',
            proto: PROTOCOL,
            sid: 'benchrawpeer0000000000',
            epoch: 'bench',
            resumed: false,
            ack: 0,
            max: hello.max,
          }),
        )
        return
      }
      const m = /^(?:\d*):go:(\d+)$/.exec(s)
      if (m) tcp.write(rawFrames(Number(m[1])))
    })
  }

  return {
    /** Handles an upgrade of a `/r/` path. */
    onUpgrade(req, socket, head, url) {
      wss.handleUpgrade(req, socket, head, (ws) => connection(ws, req, url))
    },
    close() {
      server.close()
      for (const ws of wss.clients) ws.terminate()
      wss.close()
    },
  }
}
