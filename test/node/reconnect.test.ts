import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { WebSocket } from 'ws'
import { SteadySocket, json, type SteadySocketOptions } from '../../src/index'
import { startFaultServer, waitFor, type FaultServer } from '../support/fault-server.mjs'

let server: FaultServer
const sockets: SteadySocket<unknown, unknown>[] = []

beforeEach(async () => {
  server = await startFaultServer()
})
afterEach(async () => {
  for (const s of sockets.splice(0)) s.dispose()
  await server.close()
})

function connect<In = unknown, Out = unknown>(
  options: SteadySocketOptions<In, Out> = {},
  path = '/echo',
) {
  const socket = new SteadySocket<In, Out>(`${server.url}${path}`, {
    WebSocket,
    reconnect: { initialDelay: 50, maxDelay: 200, jitter: 'none', minUptime: 300 },
    ...options,
  })
  sockets.push(socket as SteadySocket<unknown, unknown>)
  return socket
}

describe('against a real ws server', () => {
  test('connects, echoes and closes with the code it sent', async () => {
    const socket = connect<string, string>()
    const got: string[] = []
    socket.on('message', (m) => got.push(String(m)))
    await socket.opened({ timeout: 5000 })
    expect(socket.send('hello')).toBe('sent')
    await waitFor(() => got.length === 1)
    expect(got).toEqual(['hello'])
    const closed = new Promise((r) => socket.once('close', r))
    socket.close(4001, 'bye')
    expect(await closed).toEqual({
      code: 4001,
      reason: 'bye',
      wasClean: true,
      willReconnect: false,
    })
    await waitFor(() => server.connections[0]!.closeCode !== undefined)
    expect(server.connections[0]!.closeCode).toBe(4001)
  })

  test('reconnects after the server terminates the connection, and keeps one connection', async () => {
    const socket = connect()
    await socket.opened({ timeout: 5000 })
    const reopened = new Promise<{ isReconnect: boolean }>((r) => socket.once('open', r))
    server.terminate()
    expect(await reopened).toEqual({ isReconnect: true })
    expect(server.totalConnections).toBe(2)
    expect(server.maxConcurrent).toBe(1)
  })

  test('backs off while the server refuses, then recovers when it accepts again', async () => {
    const socket = connect()
    await socket.opened({ timeout: 5000 })
    server.refuse()
    const attempts: number[] = []
    socket.on('reconnecting', ({ attempt }) => attempts.push(attempt))
    server.terminate()
    await waitFor(() => attempts.length >= 3, { timeout: 5000 })
    expect(attempts.slice(0, 3)).toEqual([1, 2, 3])
    server.accept()
    await socket.opened({ timeout: 5000 })
    expect(socket.status).toBe('open')
    expect(server.liveConnections).toBe(1)
  })

  test('queues while down and delivers in order after the reconnect', async () => {
    const socket = connect<unknown, { n: number }>({ codec: json() })
    await socket.opened({ timeout: 5000 })
    server.refuse()
    server.terminate()
    await waitFor(() => socket.status === 'reconnecting')
    for (let n = 0; n < 100; n++) expect(socket.send({ n })).toBe('queued')
    server.accept()
    await socket.flush({ timeout: 5000 })
    const last = server.connections.at(-1)!
    await waitFor(() => last.received.length === 100)
    expect(last.received.map((m) => JSON.parse(String(m)).n)).toEqual([...Array(100).keys()])
  })

  test('a connect timeout abandons a held handshake without an unhandled error, then retries', async () => {
    server.delayHandshake(1000)
    const socket = connect({ connectTimeout: 100 })
    const errors: string[] = []
    socket.on('error', (e) => errors.push(e.name))
    await waitFor(() => errors.length >= 1, { timeout: 5000 })
    expect(errors[0]).toBe('ConnectTimeoutError')
    server.delayHandshake(0)
    await socket.opened({ timeout: 5000 })
    expect(server.maxConcurrent).toBe(1)
  })

  test('stops after a policy-violation close (1008)', async () => {
    const socket = connect()
    await socket.opened({ timeout: 5000 })
    server.closeAll(1008, 'go away')
    await waitFor(() => socket.status === 'closed')
    expect(socket.getSnapshot().lastClose).toEqual({
      code: 1008,
      reason: 'go away',
      wasClean: true,
    })
    await new Promise((r) => setTimeout(r, 300))
    expect(server.totalConnections).toBe(1)
  })

  test('after close() no connection ever reaches the server again', async () => {
    const socket = connect()
    await socket.opened({ timeout: 5000 })
    server.terminate()
    await waitFor(() => socket.status === 'reconnecting')
    socket.close()
    await new Promise((r) => setTimeout(r, 600))
    expect(server.totalConnections).toBe(1)
    expect(socket.status).toBe('closed')
  })

  test('a URL provider runs per attempt (token refresh)', async () => {
    let n = 0
    const socket = new SteadySocket(async () => `${server.url}/echo?token=${++n}`, {
      WebSocket,
      reconnect: { initialDelay: 20, jitter: 'none' },
    })
    sockets.push(socket)
    await socket.opened({ timeout: 5000 })
    server.terminate()
    await waitFor(() => server.totalConnections === 2 && socket.isOpen, { timeout: 5000 })
    expect(socket.url).toBe(`${server.url}/echo?token=2`)
  })
})
