// The echo demo's resumable endpoint (/resume: resumable() from dist/server.js behind the fault
// server): a SteadySocket with `resume: true` streams numbered messages while the demo's own
// fault commands cut the connection, and every echo comes back once, in order. The same stream on
// /echo without resume, for contrast, loses what TCP held when the connection died.
import { existsSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { SERVER_MODULE, startDemoServer } from '../../examples/echo/server.mjs'
import { SteadySocket } from '../../src/index'
import type { FaultServer } from '../support/fault-server.mjs'
import { TOOL_TIMEOUT } from './timeouts'

const servers: FaultServer[] = []
const sockets: SteadySocket<string, string>[] = []

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.dispose()
  for (const server of servers.splice(0)) await server.close()
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function until(check: () => boolean, timeout: number, what: string): Promise<void> {
  const deadline = Date.now() + timeout
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeout} ms`)
    await sleep(10)
  }
}

type Session = { id: string; resumed: boolean; unconfirmed: string[] }

/**
 * Streams `n` numbered messages in ticks of `perTick` while `faults` (at given message numbers)
 * hit the server; returns the echoes' numbers in arrival order and the session events.
 */
async function stream(
  server: FaultServer,
  path: '/resume' | '/echo',
  faults: Map<number, () => unknown>,
  n = 600,
  perTick = 20,
) {
  const socket = new SteadySocket<string, string>(`${server.url}${path}`, {
    WebSocket: WebSocket as never,
    resume: path === '/resume',
    reconnect: { delay: () => 20 },
  })
  sockets.push(socket)
  const echoes: number[] = []
  const sessions: Session[] = []
  socket.on('message', (data) => echoes.push(Number(data)))
  socket.on('session', (s) => sessions.push(s))
  await socket.opened({ timeout: 5000 })
  for (let i = 1; i <= n; i++) {
    socket.send(String(i))
    faults.get(i)?.()
    if (i % perTick === 0) await sleep(5)
  }
  return { socket, echoes, sessions }
}

describe('echo demo, resumable endpoint', { timeout: TOOL_TIMEOUT }, () => {
  it('is served from the built dist/server.js', () => {
    expect(existsSync(SERVER_MODULE), 'dist/server.js is missing: run `npm run build`').toBe(true)
  })

  it('echoes every message once and in order through drops, a close 4000 and an outage', async () => {
    const server = await startDemoServer({ port: 0 })
    servers.push(server)
    const faults = new Map<number, () => unknown>([
      [100, () => server.terminate()], // "Drop connection": TCP reset, no close frame
      [250, () => server.closeAll(4000, 'restarting')], // "Close 4000"
      [400, () => (server.refuse(150), server.terminate())], // "Server down" (shortened)
    ])
    const n = 600
    const { echoes, sessions } = await stream(server, '/resume', faults, n)
    await until(() => echoes.length >= n, 15_000, `${n} echoes (got ${echoes.length})`)
    await sleep(200) // nothing more (no duplicate) arrives
    expect(echoes).toEqual(Array.from({ length: n }, (_, i) => i + 1))
    // One session, resumed after each of the three cuts; nothing left unconfirmed.
    expect(sessions.length).toBeGreaterThanOrEqual(4)
    expect(sessions[0]).toMatchObject({ resumed: false, unconfirmed: [] })
    for (const s of sessions.slice(1)) {
      expect(s).toMatchObject({ id: sessions[0]!.id, resumed: true, unconfirmed: [] })
    }
    expect(server.totalConnections).toBe(sessions.length)
  })

  it('replays what the server could not read when the connection died (slow reader, then drop)', async () => {
    const server = await startDemoServer({ port: 0 })
    servers.push(server)
    // The demo's "Drop mid-stream": the server stops reading, the client keeps writing, the
    // connection is killed with data in TCP; the server reads again a little later.
    const faults = new Map<number, () => unknown>([
      [50, () => server.pauseReading(400)],
      [200, () => server.terminate()],
    ])
    const n = 300
    const { echoes, sessions } = await stream(server, '/resume', faults, n)
    await until(() => echoes.length >= n, 15_000, `${n} echoes (got ${echoes.length})`)
    await sleep(200)
    expect(echoes).toEqual(Array.from({ length: n }, (_, i) => i + 1))
    expect(sessions.at(-1)).toMatchObject({ resumed: true, unconfirmed: [] })
  })

  it('without resume, /echo loses what TCP held at the same cut (the contrast the page shows)', async () => {
    const server = await startDemoServer({ port: 0 })
    servers.push(server)
    const faults = new Map<number, () => unknown>([
      [50, () => server.pauseReading(400)],
      [200, () => server.terminate()],
    ])
    const n = 300
    const { echoes, sessions } = await stream(server, '/echo', faults, n)
    // Messages sent after the reconnect echo; those the server never read before the kill do not.
    await until(() => echoes.includes(n), 15_000, `the echo of #${n}`)
    await sleep(300)
    expect(sessions).toEqual([])
    expect(echoes.length).toBeLessThan(n)
  })

  it("ends the session at the client's close() (bye): the next socket gets a new one", async () => {
    const server = await startDemoServer({ port: 0 })
    servers.push(server)
    const socket = new SteadySocket<string, string>(`${server.url}/resume`, {
      WebSocket: WebSocket as never,
      resume: true,
    })
    sockets.push(socket)
    const sessions: Session[] = []
    socket.on('session', (s) => sessions.push(s))
    await socket.opened({ timeout: 5000 })
    socket.close()
    await until(() => server.liveConnections === 0, 5000, 'the connection closed')
    // A new socket gets a new session: the old one ended with the bye.
    const again = new SteadySocket<string, string>(`${server.url}/resume`, {
      WebSocket: WebSocket as never,
      resume: true,
    })
    sockets.push(again)
    const next: Session[] = []
    again.on('session', (s) => next.push(s))
    await again.opened({ timeout: 5000 })
    expect(next[0]!.id).not.toBe(sessions[0]!.id)
  })
})
