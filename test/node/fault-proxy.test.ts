// The TCP fault proxy the resumable-session proofs cut connections with, checked on its own: it
// forwards bytes both ways unchanged, reset() is an abrupt loss on both sides, a black hole
// forwards nothing and cuts later, setTarget() moves new connections only, and it counts.
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net'
import { afterEach, describe, expect, test } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.mjs'
import { waitFor } from '../support/fault-server.mjs'

type Target = {
  server: Server
  port: number
  /** Server-side sockets, in order of acceptance. */
  sockets: Socket[]
  /** Bytes each server-side socket received. */
  received: Buffer[][]
  /** Error codes each server-side socket saw ('' for a close without error). */
  ends: string[]
}

const cleanup: (() => unknown)[] = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

/** A TCP server on 127.0.0.1:0 that echoes (or, with echo false, only records). */
async function startTarget(echo = true): Promise<Target> {
  const t: Target = {
    server: undefined as unknown as Server,
    port: 0,
    sockets: [],
    received: [],
    ends: [],
  }
  t.server = createServer((socket) => {
    const i = t.sockets.push(socket) - 1
    t.received[i] = []
    let code = ''
    socket.on('data', (chunk) => {
      t.received[i]!.push(chunk)
      if (echo) socket.write(chunk)
    })
    socket.on('error', (error: NodeJS.ErrnoException) => (code = error.code ?? String(error)))
    socket.on('close', () => (t.ends[i] = code))
  })
  await new Promise<void>((r) => t.server.listen(0, '127.0.0.1', r))
  t.port = (t.server.address() as { port: number }).port
  cleanup.push(() => {
    for (const s of t.sockets) s.destroy()
    return new Promise((r) => t.server.close(r))
  })
  return t
}

async function startProxy(target: number): Promise<FaultProxy> {
  const proxy = await startFaultProxy({ target })
  cleanup.push(() => proxy.close())
  return proxy
}

type Client = { socket: Socket; data: Buffer[]; end: Promise<string> }

/** A TCP client of the proxy; `end` resolves with the error code it closed with ('' if none). */
async function dial(proxy: FaultProxy): Promise<Client> {
  const socket = tcpConnect({ host: '127.0.0.1', port: proxy.port })
  cleanup.push(() => socket.destroy())
  const data: Buffer[] = []
  socket.on('data', (chunk) => data.push(chunk))
  let code = ''
  socket.on('error', (error: NodeJS.ErrnoException) => (code = error.code ?? String(error)))
  const end = new Promise<string>((r) => socket.on('close', () => r(code)))
  // A connection the proxy cuts on arrival may fail before or after 'connect': `end` tells.
  await Promise.race([new Promise((r) => socket.once('connect', r)), end])
  return { socket, data, end }
}

const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString()

describe('fault proxy', () => {
  test('forwards bytes both ways unchanged and counts them', async () => {
    const target = await startTarget()
    const proxy = await startProxy(target.port)
    const client = await dial(proxy)
    const payload = Buffer.alloc(256 * 1024, 'abcdefghij')
    client.socket.write(payload)
    await waitFor(() => Buffer.concat(client.data).length === payload.length, {
      message: 'the echo never came back whole',
    })
    expect(Buffer.concat(client.data).equals(payload)).toBe(true)
    expect(proxy.stats).toMatchObject({
      accepted: 1,
      bytesUp: payload.length,
      bytesDown: payload.length,
      cuts: 0,
    })
    expect(proxy.live).toBe(1)
  })

  test('reset() cuts every live pair with a RST: both ends see ECONNRESET', async () => {
    const target = await startTarget()
    const proxy = await startProxy(target.port)
    const a = await dial(proxy)
    const b = await dial(proxy)
    await waitFor(() => target.sockets.length === 2)
    expect(proxy.reset()).toBe(2)
    expect(await a.end).toBe('ECONNRESET')
    expect(await b.end).toBe('ECONNRESET')
    await waitFor(() => target.ends.length === 2 && target.ends.every((e) => e !== undefined))
    expect(target.ends).toEqual(['ECONNRESET', 'ECONNRESET'])
    // One command is one cut; a command that finds nothing live is no cut.
    expect(proxy.reset()).toBe(0)
    expect(proxy.stats).toMatchObject({ cuts: 1, resets: 1, pairsCut: 2 })
    expect(proxy.live).toBe(0)
  })

  test('blackhole(ms) forwards nothing either way, then cuts with a RST', async () => {
    const target = await startTarget(false)
    const proxy = await startProxy(target.port)
    const client = await dial(proxy)
    client.socket.write('before')
    await waitFor(() => text(target.received[0] ?? []) === 'before')
    target.sockets[0]!.write('down-before')
    await waitFor(() => text(client.data) === 'down-before')

    expect(proxy.blackhole(300)).toBe(1)
    expect(proxy.live).toBe(0)
    expect(proxy.holed).toBe(1)
    client.socket.write('during')
    target.sockets[0]!.write('down-during')
    // Neither side learns of the cut until it lands, and nothing written meanwhile arrives.
    expect(client.socket.destroyed).toBe(false)
    expect(await client.end).toBe('ECONNRESET')
    await waitFor(() => target.ends[0] !== undefined)
    expect(target.ends[0]).toBe('ECONNRESET')
    expect(text(target.received[0]!)).toBe('before')
    expect(text(client.data)).toBe('down-before')
    expect(proxy.stats).toMatchObject({ cuts: 1, blackholes: 1, pairsCut: 1 })
    expect(proxy.holed).toBe(0)
    expect(() => proxy.blackhole(-1)).toThrow(RangeError)
  })

  test('reset() lands the cut of a black-holed pair at once', async () => {
    const target = await startTarget()
    const proxy = await startProxy(target.port)
    const client = await dial(proxy)
    expect(proxy.blackhole(30_000)).toBe(1)
    expect(proxy.reset()).toBe(1)
    expect(await client.end).toBe('ECONNRESET')
    expect(proxy.stats).toMatchObject({ cuts: 2, blackholes: 1, resets: 1, pairsCut: 1 })
  })

  test('halfOpen() cuts the client side only; the target side stays open and quiet', async () => {
    const target = await startTarget(false)
    const proxy = await startProxy(target.port)
    const client = await dial(proxy)
    client.socket.write('hi')
    await waitFor(() => text(target.received[0] ?? []) === 'hi')
    expect(proxy.halfOpen()).toBe(1)
    expect(await client.end).toBe('ECONNRESET')
    expect(proxy.orphans).toBe(1)
    expect(proxy.live).toBe(0)
    // The target can still write (it is read and dropped) and has seen no end.
    const big = Buffer.alloc(1 << 20)
    for (let i = 0; i < 8; i++) target.sockets[0]!.write(big)
    await waitFor(() => proxy.stats.bytesDropped === 8 << 20, { message: 'target writes not read' })
    expect(target.ends[0]).toBeUndefined()
    expect(target.sockets[0]!.destroyed).toBe(false)
    // When the target ends it, the proxy lets go of it.
    target.sockets[0]!.end()
    await waitFor(() => proxy.orphans === 0 && target.ends[0] !== undefined)
    expect(proxy.stats).toMatchObject({ cuts: 1, halfOpens: 1, pairsCut: 1 })
  })

  test('holdUp() keeps client bytes back until release(), which delivers them even after halfOpen()', async () => {
    const target = await startTarget(false)
    const proxy = await startProxy(target.port)
    const client = await dial(proxy)
    client.socket.write('a')
    await waitFor(() => text(target.received[0] ?? []) === 'a')
    expect(proxy.holdUp()).toBe(1)
    client.socket.write('late')
    await waitFor(() => proxy.stats.bytesHeld === 4)
    target.sockets[0]!.write('down') // the other direction still flows
    await waitFor(() => text(client.data) === 'down')
    expect(proxy.halfOpen()).toBe(1)
    expect(await client.end).toBe('ECONNRESET')
    expect(text(target.received[0]!)).toBe('a')
    expect(proxy.release()).toBe(4)
    await waitFor(() => text(target.received[0]!) === 'alate')
    expect(proxy.stats).toMatchObject({ bytesHeld: 4, bytesReleased: 4 })
  })

  test('setTarget() sends new connections to the new port; live pairs stay', async () => {
    const first = await startTarget()
    const second = await startTarget()
    const proxy = await startProxy(first.port)
    const old = await dial(proxy)
    proxy.setTarget(second.port)
    expect(proxy.target).toBe(second.port)
    const fresh = await dial(proxy)
    old.socket.write('old')
    fresh.socket.write('new')
    await waitFor(() => text(old.data) === 'old' && text(fresh.data) === 'new')
    expect(first.received.map(text)).toEqual(['old'])
    expect(second.received.map(text)).toEqual(['new'])
    expect(() => proxy.setTarget(0)).toThrow(RangeError)
  })

  test('a connection to a target that is down is cut at once and counted as refused', async () => {
    const target = await startTarget()
    const proxy = await startProxy(target.port)
    await new Promise((r) => target.server.close(r))
    const client = await dial(proxy)
    expect(await client.end).not.toBe('')
    expect(proxy.stats).toMatchObject({ accepted: 1, refused: 1, cuts: 0 })
  })

  test('refuse() cuts new connections on arrival until accept(); live pairs stay', async () => {
    const target = await startTarget()
    const proxy = await startProxy(target.port)
    const live = await dial(proxy)
    proxy.refuse()
    expect(proxy.refusing).toBe(true)
    const turned = await dial(proxy)
    expect(await turned.end).toBe('ECONNRESET')
    live.socket.write('still')
    await waitFor(() => text(live.data) === 'still')
    proxy.accept()
    const later = await dial(proxy)
    later.socket.write('again')
    await waitFor(() => text(later.data) === 'again')
    expect(target.sockets.length).toBe(2)
    expect(proxy.stats).toMatchObject({ accepted: 2, turnedAway: 1, cuts: 0 })
  })

  test('a ws connection through it: reset() is a 1006 on both sides, without a close frame', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    await new Promise((r) => wss.once('listening', r))
    cleanup.push(() => new Promise((r) => wss.close(r)))
    const serverSide = new Promise<WebSocket>((r) => wss.once('connection', r))
    const proxy = await startProxy((wss.address() as { port: number }).port)
    const ws = new WebSocket(proxy.url)
    ws.on('error', () => {})
    cleanup.push(() => ws.terminate())
    await new Promise((r) => ws.once('open', r))
    const peer = await serverSide
    peer.on('error', () => {})
    const echoed = new Promise((r) => ws.once('message', r))
    peer.on('message', (data, binary) => peer.send(data, { binary }))
    ws.send('ping')
    expect(String(await echoed)).toBe('ping')
    const clientClose = new Promise((r) => ws.once('close', r))
    const serverClose = new Promise((r) => peer.once('close', r))
    expect(proxy.reset()).toBe(1)
    expect(await clientClose).toBe(1006)
    expect(await serverClose).toBe(1006)
  })
})
