import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import type { RawData, SteadySocketOptions } from '../../src/index'
import { HeartbeatTimeoutError } from '../../src/index'
import { FakeServer } from '../../src/testing/index'
import { setup, tick } from './helpers'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

const RETRY = { initialDelay: 1000, jitter: 'none' } as const

/**
 * An open socket with a heartbeat. `answer` makes the server reply to every `ping` with that
 * frame; `since()` is the fake time elapsed since the socket opened (the heartbeat's zero).
 */
async function opened(
  heartbeat: SteadySocketOptions<unknown, unknown>['heartbeat'],
  { answer, ...options }: SteadySocketOptions<unknown, unknown> & { answer?: string } = {},
) {
  const server = new FakeServer()
  let openedAt = 0
  const { socket } = setup({ reconnect: RETRY, heartbeat, ...options }, server)
  socket.once('open', () => (openedAt = Date.now()))
  const conn = server.lastConnection!
  const pings: number[] = []
  conn.onMessage((data) => {
    if (data !== 'ping') return
    pings.push(Date.now() - openedAt)
    if (answer !== undefined) conn.send(answer)
  })
  await tick()
  expect(socket.status).toBe('open')
  const since = () => Date.now() - openedAt
  const errors: { error: unknown; at: number }[] = []
  socket.on('error', (error) => errors.push({ error, at: since() }))
  return { socket, server, conn, pings, since, errors }
}

describe('pings', () => {
  test('pings every interval', async () => {
    const { pings } = await opened({ interval: 1000, timeout: 500 }, { answer: 'pong' })
    await tick(3500)
    expect(pings).toEqual([1000, 2000, 3000])
  })

  test('sends nothing when heartbeat is off', async () => {
    const { socket, server } = setup()
    await tick(120_000)
    expect(socket.status).toBe('open')
    expect(server.received).toEqual([])
  })

  test('does not ping while connecting', async () => {
    const server = new FakeServer({ mode: 'manual' })
    setup({ heartbeat: { interval: 1000, timeout: 500 }, connectTimeout: 0 }, server)
    const conn = server.lastConnection!
    const send = vi.spyOn(conn.socket, 'send')
    await tick(5000)
    expect(send).not.toHaveBeenCalled()
  })

  test('calls message when it is a function, once per ping', async () => {
    let n = 0
    const { server } = await opened(
      { interval: 1000, timeout: 5000, message: () => `ping-${n++}` },
      {},
    )
    await tick(3500)
    expect(server.received).toEqual(['ping-0', 'ping-1', 'ping-2'])
  })

  test('sends a binary message as is', async () => {
    const frame = new Uint8Array([9])
    const { server } = await opened({ interval: 1000, timeout: 5000, message: frame })
    await tick(1000)
    expect(server.received).toEqual([frame])
  })

  test('pings again after a reconnect', async () => {
    const { socket, server, conn } = await opened({ interval: 1000, timeout: 500 })
    conn.terminate()
    await tick()
    await tick(1000)
    expect(socket.status).toBe('open')
    const second = server.lastConnection!
    expect(second).not.toBe(conn)
    await tick(1000)
    expect(second.received).toEqual(['ping'])
  })
})

describe('liveness', () => {
  test('stays open while pings are answered', async () => {
    const { socket, errors } = await opened({ interval: 1000, timeout: 500 }, { answer: 'pong' })
    await tick(30_000)
    expect(socket.status).toBe('open')
    expect(errors).toEqual([])
  })

  test('any inbound frame proves liveness', async () => {
    const { socket, errors } = await opened(
      { interval: 1000, timeout: 500 },
      { answer: 'something else entirely' },
    )
    await tick(30_000)
    expect(socket.status).toBe('open')
    expect(errors).toEqual([])
  })

  test('an unsolicited frame after a ping counts as an answer', async () => {
    const { socket, conn, errors } = await opened({ interval: 1000, timeout: 500 })
    await tick(1100)
    conn.send('news')
    await tick(500)
    expect(socket.status).toBe('open')
    expect(errors).toEqual([])
  })

  test('emits HeartbeatTimeoutError when nothing arrives within timeout of a ping', async () => {
    const { errors } = await opened({ interval: 1000, timeout: 500 })
    await tick(2000)
    expect(errors).toHaveLength(1)
    expect(errors[0]!.error).toBeInstanceOf(HeartbeatTimeoutError)
    expect(errors[0]!.at).toBe(1500)
  })

  test('closes with 1006 and willReconnect after a heartbeat timeout', async () => {
    const { socket } = await opened({ interval: 1000, timeout: 500 })
    const closes: unknown[] = []
    socket.on('close', (c) => closes.push(c))
    await tick(1600)
    expect(closes).toEqual([
      expect.objectContaining({ code: 1006, wasClean: false, willReconnect: true }),
    ])
    expect(socket.status).toBe('reconnecting')
  })

  test('emits the error before the close', async () => {
    const { socket } = await opened({ interval: 1000, timeout: 500 })
    const order: string[] = []
    socket.on('error', () => order.push('error'))
    socket.on('close', () => order.push('close'))
    await tick(1600)
    expect(order).toEqual(['error', 'close'])
  })

  test('reconnects after a heartbeat timeout', async () => {
    const { socket, server } = await opened({ interval: 1000, timeout: 500 })
    await tick(1500 + 1000)
    expect(socket.status).toBe('open')
    expect(server.connections).toHaveLength(2)
    expect(server.maxConcurrent).toBe(1)
  })

  test('drops a dead connection without waiting for a closing handshake', async () => {
    const { socket, server, conn } = await opened({ interval: 1000, timeout: 500 })
    conn.stall() // a half-open connection: the close frame would never get through
    await tick(1600)
    expect(socket.status).toBe('reconnecting')
    expect(server.live).toEqual([])
  })

  test('with timeout < interval, dies timeout ms after the ping', async () => {
    const { errors } = await opened({ interval: 1000, timeout: 300 })
    await tick(1500)
    expect(errors.map((e) => e.at)).toEqual([1300])
  })

  test('with timeout > interval, later pings do not extend the deadline', async () => {
    const { errors, pings } = await opened({ interval: 1000, timeout: 2500 })
    await tick(5000)
    expect(pings).toEqual([1000, 2000, 3000])
    expect(errors.map((e) => e.at)).toEqual([3500])
  })

  test('after an answer, the deadline counts from the next unanswered ping', async () => {
    const { conn, errors } = await opened({ interval: 1000, timeout: 2500 })
    await tick(1000)
    conn.send('pong') // answers the ping at 1000; the pings from 2000 on go unanswered
    await tick(5000)
    expect(errors.map((e) => e.at)).toEqual([4500])
  })

  test('a pong after the deadline is too late', async () => {
    const { socket, conn, errors } = await opened({ interval: 1000, timeout: 500 })
    const messages: unknown[] = []
    socket.on('message', (m) => messages.push(m))
    await tick(1550)
    conn.send('pong')
    await tick()
    expect(errors).toHaveLength(1)
    expect(messages).toEqual([])
    expect(socket.status).toBe('reconnecting')
  })
})

describe('isPong', () => {
  const isPong = (raw: RawData) => raw === 'pong'

  test('does not emit pong frames as messages', async () => {
    const { socket } = await opened({ interval: 1000, timeout: 500, isPong }, { answer: 'pong' })
    const messages: unknown[] = []
    socket.on('message', (m) => messages.push(m))
    await tick(3500)
    expect(messages).toEqual([])
  })

  test('emits other frames as messages', async () => {
    const { socket, conn } = await opened(
      { interval: 1000, timeout: 500, isPong },
      { answer: 'pong' },
    )
    const messages: unknown[] = []
    socket.on('message', (m) => messages.push(m))
    conn.send('hello')
    await tick(1500)
    conn.send('world')
    await tick()
    expect(messages).toEqual(['hello', 'world'])
  })

  test('a pong frame still proves liveness', async () => {
    const { socket, errors } = await opened(
      { interval: 1000, timeout: 500, isPong },
      { answer: 'pong' },
    )
    await tick(10_000)
    expect(socket.status).toBe('open')
    expect(errors).toEqual([])
  })

  test('emits every frame when no isPong is given', async () => {
    const { socket } = await opened({ interval: 1000, timeout: 500 }, { answer: 'pong' })
    const messages: unknown[] = []
    socket.on('message', (m) => messages.push(m))
    await tick(2500)
    expect(messages).toEqual(['pong', 'pong'])
  })
})

describe('stopping', () => {
  test('sends no ping into a CLOSING socket after close()', async () => {
    const { socket, conn } = await opened({ interval: 1000, timeout: 500 })
    conn.stall() // keeps the socket CLOSING: the close frame waits behind stalled data
    socket.close()
    const send = vi.spyOn(conn.socket, 'send')
    await tick(5000)
    expect(socket.status).toBe('closing')
    expect(conn.socket.readyState).toBe(2)
    expect(send).not.toHaveBeenCalled()
  })

  test('does not time out a CLOSING socket after close()', async () => {
    const { socket, conn, errors } = await opened({ interval: 1000, timeout: 500 })
    await tick(1200) // a ping is out, its deadline pending
    conn.stall()
    socket.close()
    await tick(5000)
    expect(errors).toEqual([])
    expect(socket.status).toBe('closing')
  })

  test('sends no ping after dispose()', async () => {
    const { socket, conn } = await opened({ interval: 1000, timeout: 500 })
    const send = vi.spyOn(conn.socket, 'send')
    socket.dispose()
    await tick(5000)
    expect(send).not.toHaveBeenCalled()
  })

  test('sends no ping while waiting to reconnect', async () => {
    const { socket, server, conn } = await opened(
      { interval: 1000, timeout: 500 },
      { reconnect: { initialDelay: 60_000, maxDelay: 60_000, jitter: 'none' } },
    )
    conn.terminate()
    await tick()
    expect(socket.status).toBe('reconnecting')
    const send = vi.spyOn(conn.socket, 'send')
    await tick(10_000)
    expect(send).not.toHaveBeenCalled()
    expect(server.connections).toHaveLength(1)
  })
})

describe('wall-clock jumps', () => {
  test('the first tick after a jump probes afresh instead of dying on the old deadline', async () => {
    let answering = false
    const { socket, conn, pings, errors } = await opened({ interval: 1000, timeout: 2500 })
    conn.onMessage((data) => answering && data === 'ping' && conn.send('pong'))
    await tick(1500) // ping at 1000, unanswered: deadline at 3500
    answering = true
    vi.setSystemTime(Date.now() + 60_000) // the laptop slept for a minute
    await tick(2500) // past where the old deadline was
    // The tick at 2000 (62000 on the jumped clock) saw the gap and probed with a fresh deadline.
    expect(pings).toEqual([1000, 62_000, 63_000, 64_000])
    expect(errors).toEqual([])
    expect(socket.status).toBe('open')
  })

  test('a probe after a jump still times out when nothing answers', async () => {
    const { errors } = await opened({ interval: 1000, timeout: 2500 })
    await tick(1500)
    vi.setSystemTime(Date.now() + 60_000)
    await tick(5000)
    // The probe went out at the next tick (2000, i.e. 62000 on the jumped clock) with its own 2500 ms.
    expect(errors.map((e) => e.at)).toEqual([62_000 + 2500])
    expect(errors[0]!.error).toBeInstanceOf(HeartbeatTimeoutError)
  })

  test('a deadline firing after a jump probes instead of killing', async () => {
    let answering = false
    const { socket, conn, pings, errors } = await opened({ interval: 1000, timeout: 500 })
    conn.onMessage((data) => answering && data === 'ping' && conn.send('pong'))
    await tick(1200) // ping at 1000, deadline at 1500
    answering = true
    vi.setSystemTime(Date.now() + 60_000)
    await tick(400) // the deadline fires, late by the wall clock
    expect(errors).toEqual([])
    expect(pings).toHaveLength(2)
    await tick(5000)
    expect(socket.status).toBe('open')
    expect(errors).toEqual([])
  })
})

describe('a socket the heartbeat gives up on', () => {
  // Chromium's close() does not discard what the socket buffered: it transmits it before the
  // close frame if the peer reads again. So what to re-send is decided at the close event.
  const options = {
    heartbeat: { interval: 1000, timeout: 500 },
    reconnect: { initialDelay: 100, jitter: 'none' as const },
    connectTimeout: 5000,
  }

  const noPings = (frames: readonly unknown[]) => frames.filter((f) => f !== 'ping')

  test('re-sends nothing that the abandoned socket still delivered', async () => {
    const { socket, server } = setup(options)
    await tick()
    const first = server.lastConnection!
    first.stall()
    for (const m of ['a', 'b', 'c']) socket.send(m)
    await tick(1600) // ping at 1000, deadline at 1500: given up, reconnect after 100 ms
    expect(server.connections).toHaveLength(2)
    expect(socket.status).toBe('connecting') // open underneath, queue held for the old socket
    socket.send('d')
    first.resume() // the slow peer reads again: a, b, c and the close frame go through
    await tick()
    expect(socket.status).toBe('open')
    expect(noPings(first.received)).toEqual(['a', 'b', 'c'])
    expect(noPings(server.connections[1]!.received)).toEqual(['d'])
  })

  test('re-sends, first and in order, what the abandoned socket still held at the bound', async () => {
    const { socket, server } = setup(options)
    await tick()
    const first = server.lastConnection!
    first.stall()
    for (const m of ['a', 'b', 'c']) socket.send(m)
    await tick(1600)
    socket.send('d')
    expect(noPings(server.connections[1]!.received)).toEqual([])
    await tick(5000) // the bound (connectTimeout) from the give-up
    expect(socket.status).toBe('open')
    expect(noPings(first.received)).toEqual([])
    expect(noPings(server.connections[1]!.received)).toEqual(['a', 'b', 'c', 'd'])
  })

  test('does not hold the next connection when only pings were left unsent', async () => {
    const { socket, server } = setup(options)
    await tick()
    server.lastConnection!.stall() // half-open and idle: only the ping piles up
    await tick(1600)
    expect(server.connections).toHaveLength(2)
    expect(socket.status).toBe('open')
    expect(socket.send('a')).toBe('sent')
    await tick()
    expect(noPings(server.connections[1]!.received)).toEqual(['a'])
  })

  test('stops holding at the next open once the abandoned socket transmitted its messages', async () => {
    const { socket, server } = setup(options)
    await tick()
    const first = server.lastConnection!
    first.stall()
    socket.send('a')
    await tick(1550) // ping at 1000, given up at 1500 with 'a' and the ping unsent
    first.drain(1) // the slow peer reads 'a'; the ping (and the close frame) stay behind
    expect(first.received).toEqual(['a'])
    await tick(100) // the reconnect opens: nothing but a ping left on the old socket
    expect(socket.status).toBe('open')
    socket.send('b')
    await tick()
    expect(noPings(server.connections[1]!.received)).toEqual(['b'])
  })

  test('flush() waits for the abandoned socket to settle', async () => {
    const { socket, server } = setup(options)
    await tick()
    server.lastConnection!.stall()
    socket.send('a')
    await tick(1600)
    let done = false
    void socket.flush().then(() => (done = true))
    await tick(1000)
    expect(done).toBe(false)
    await tick(5000)
    expect(done).toBe(true)
    expect(noPings(server.connections[1]!.received)).toEqual(['a'])
  })
})
