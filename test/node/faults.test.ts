// Protocol-level faults against a real `ws` server, with the `ws` client injected: what a browser
// cannot be made to see on demand (a malformed frame, a frame over the client's size limit, an
// upgrade held past connectTimeout or cut mid-way, a server that closes while the `handshake`
// option waits). Each is a failed connection: an error, a close, a retry, one live socket.
// (test/node/reconnect.test.ts already covers a held upgrade abandoned once by connectTimeout.)
import { describe, expect, test } from 'vitest'
import { WebSocket } from 'ws'
import { SteadySocket, type SteadySocketOptions } from '../../src/index'
import { waitFor, type FaultServer } from '../support/fault-server.mjs'
import { useFaultServer } from './harness'

type Log = [string, unknown][]

const h = useFaultServer()

function connect(options: SteadySocketOptions<unknown, unknown> = {}, path = '/echo') {
  const socket = new SteadySocket<unknown, unknown>(`${h.server.url}${path}`, {
    WebSocket,
    reconnect: { initialDelay: 50, maxDelay: 200, jitter: 'none', minUptime: 300 },
    ...options,
  })
  h.sockets.push(socket)
  const log: Log = []
  for (const type of ['open', 'close', 'error', 'reconnecting', 'message'] as const) {
    socket.on(type, (payload: unknown) => log.push([type, payload]))
  }
  return { socket, log }
}

const names = (log: Log) => log.map(([n]) => n)
const errors = (log: Log) => log.filter(([n]) => n === 'error').map(([, e]) => (e as Error).name)
const closes = (log: Log) => log.filter(([n]) => n === 'close').map(([, c]) => c)
const opens = (log: Log) => log.filter(([n]) => n === 'open').length

describe('frames the client must reject', () => {
  test('a malformed frame fails the connection: error, close 1006, then a reconnect', async () => {
    const { socket, log } = connect()
    await socket.opened({ timeout: 5000 })
    expect(h.server.sendMalformed()).toBe(1)
    await waitFor(() => opens(log) === 2, { timeout: 5000 })
    expect(errors(log)).toEqual(['ConnectError'])
    expect(closes(log)).toEqual([{ code: 1006, reason: '', wasClean: false, willReconnect: true }])
    // The ws client answered the reserved opcode with a protocol-error close frame.
    await waitFor(() => h.server.connections[0]!.closeCode !== undefined)
    expect(h.server.connections[0]!.closeCode).toBe(1002)
    // The new connection works, and there was never more than one.
    expect(socket.send('after')).toBe('sent')
    await waitFor(() => h.server.connections[1]!.received.includes('after'))
    expect(h.server.maxConcurrent).toBe(1)
    expect(h.unhandled).toEqual([])
  })

  test("a frame over the ws client's maxPayload fails the connection, then a reconnect", async () => {
    // `maxPayload` is a ws client option; the SDK constructs with (url, protocols), so a
    // subclass carries it. Browsers have no such limit: this is the Node layer's own fault.
    class Limited extends WebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols, { maxPayload: 1024 })
      }
    }
    const { socket, log } = connect({ WebSocket: Limited })
    await socket.opened({ timeout: 5000 })
    h.server.send('small')
    await waitFor(() => names(log).includes('message'))
    h.server.send('x'.repeat(4096))
    await waitFor(() => opens(log) === 2, { timeout: 5000 })
    expect(errors(log)).toEqual(['ConnectError'])
    expect(closes(log)).toEqual([{ code: 1006, reason: '', wasClean: false, willReconnect: true }])
    // Only the small frame was emitted; the big one never reached a listener.
    expect(log.filter(([n]) => n === 'message').map(([, m]) => String(m))).toEqual(['small'])
    await waitFor(() => h.server.connections[0]!.closeCode !== undefined)
    expect(h.server.connections[0]!.closeCode).toBe(1009)
    h.server.send('small again')
    await waitFor(() => log.filter(([n]) => n === 'message').length === 2)
    expect(h.server.maxConcurrent).toBe(1)
    expect(h.unhandled).toEqual([])
  })
})

describe('the opening handshake', () => {
  test('held past connectTimeout on every attempt: each abandoned, none answered later', async () => {
    h.server.delayHandshake(600)
    const { socket, log } = connect({
      connectTimeout: 150,
      reconnect: { initialDelay: 50, maxDelay: 100, jitter: 'none' },
    })
    await waitFor(() => errors(log).length >= 3, { timeout: 5000 })
    expect(new Set(errors(log))).toEqual(new Set(['ConnectTimeoutError']))
    // The abandoned upgrades were cancelled with their TCP sockets, never answered.
    expect(h.server.totalConnections).toBe(0)
    h.server.delayHandshake(20)
    await socket.opened({ timeout: 5000 })
    expect(h.server.totalConnections).toBe(1)
    // Longer than the old hold: no held upgrade turns into a second connection.
    await new Promise((r) => setTimeout(r, 800))
    expect(h.server.totalConnections).toBe(1)
    expect(h.server.maxConcurrent).toBe(1)
    expect(h.unhandled).toEqual([])
  })

  test('cut by the server mid-upgrade: a ConnectError, then a retry that opens', async () => {
    h.server.delayHandshake(2000)
    const { socket, log } = connect({ connectTimeout: 5000 })
    await waitFor(() => socket.status === 'connecting')
    await new Promise((r) => setTimeout(r, 100))
    h.server.delayHandshake(0)
    expect(h.server.terminate()).toBe(1) // the held upgrade
    await socket.opened({ timeout: 5000 })
    expect(errors(log)).toEqual(['ConnectError'])
    expect(closes(log)).toEqual([{ code: 1006, reason: '', wasClean: false, willReconnect: true }])
    expect(h.server.totalConnections).toBe(1)
    expect(h.unhandled).toEqual([])
  })
})

describe('the server closes while the handshake option waits', () => {
  /** Sends 'auth', then resolves on 'auth-ok'; rejects when its connection closes first. */
  const handshake = (s: SteadySocket<unknown, unknown>) =>
    new Promise<void>((resolve, reject) => {
      const offMessage = s.on('message', (m) => {
        if (String(m) !== 'auth-ok') return
        offMessage()
        offClose()
        resolve()
      })
      const offClose = s.on('close', () => {
        offMessage()
        offClose()
        reject(new Error('closed before auth-ok'))
      })
      s.send('auth')
    })

  test.each([
    ['closes with 1011', (s: FaultServer) => s.closeAll(1011, 'restarting'), 1011],
    ['terminates', (s: FaultServer) => s.terminate(), 1006],
  ])('when it %s: a failed attempt, a retry, no unhandled rejection', async (_, end, code) => {
    const { socket, log } = connect({ handshake }, '/sink')
    expect(socket.send('queued')).toBe('queued')
    await waitFor(() => h.server.connections[0]?.received.includes('auth'), { timeout: 5000 })
    expect(end(h.server)).toBe(1)
    // The retry runs the handshake again on a new connection.
    await waitFor(() => h.server.connections[1]?.received.includes('auth'), { timeout: 5000 })
    expect(opens(log)).toBe(0)
    expect(closes(log)).toEqual([expect.objectContaining({ code, willReconnect: true })])
    // The stale handshake rejected when its connection closed: ignored, not a HandshakeError.
    expect(errors(log)).not.toContain('HandshakeError')
    h.server.send('auth-ok')
    await socket.opened({ timeout: 5000 })
    await socket.flush({ timeout: 5000 })
    await waitFor(() => h.server.connections[1]!.received.length === 2)
    expect(h.server.connections[0]!.received).toEqual(['auth'])
    expect(h.server.connections[1]!.received).toEqual(['auth', 'queued'])
    expect(h.server.maxConcurrent).toBe(1)
    await new Promise((r) => setImmediate(r))
    expect(h.unhandled).toEqual([])
  })
})
