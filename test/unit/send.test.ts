import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import type { SteadySocket, SteadySocketEvents, SteadySocketOptions } from '../../src/index'
import { ClosedError, ConnectTimeoutError, HandshakeError, TimeoutError } from '../../src/index'
import { FakeServer, type FakeConnection } from '../../src/testing/index'
import { setup, tick } from './helpers'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

type Drop = SteadySocketEvents<unknown, unknown>['drop']

// Retries wait exactly initialDelay × factor^(n−1): 1000, 2000, 4000…
const RETRY = { initialDelay: 1000, jitter: 'none' } as const

/** A socket on a fresh server, opened. */
async function opened(options: SteadySocketOptions<unknown, unknown> = {}) {
  const { socket, server } = setup({ reconnect: RETRY, ...options })
  await tick()
  expect(socket.status).toBe('open')
  return { socket, server, conn: server.lastConnection! }
}

function drops(socket: SteadySocket<unknown, unknown>): Drop[] {
  const log: Drop[] = []
  socket.on('drop', (d) => log.push(d))
  return log
}

/** Watches a promise without awaiting it: `state()` is 'pending', 'resolved' or the rejection. */
function track(promise: Promise<void>) {
  let state: 'pending' | 'resolved' | unknown = 'pending'
  promise.then(
    () => (state = 'resolved'),
    (error: unknown) => (state = error),
  )
  return () => state
}

/** Terminates `conn` (no closing handshake) and waits for the socket to notice. */
async function kill(conn: FakeConnection) {
  conn.terminate()
  await tick()
}

describe('send() results', () => {
  test('returns sent when the socket is open', async () => {
    const { socket, server } = await opened()
    expect(socket.send('a')).toBe('sent')
    expect(server.received).toEqual(['a'])
    expect(socket.queueLength).toBe(0)
  })

  test('queues while connecting', () => {
    const { socket, server } = setup()
    expect(socket.status).toBe('connecting')
    expect(socket.send('a')).toBe('queued')
    expect(socket.queueLength).toBe(1)
    expect(server.received).toEqual([])
  })

  test('queues while reconnecting', async () => {
    const { socket, server, conn } = await opened()
    await kill(conn)
    expect(socket.status).toBe('reconnecting')
    expect(socket.send('a')).toBe('queued')
    expect(server.received).toEqual([])
  })

  test('queues while closed before open() with autoConnect false', async () => {
    const { socket, server } = setup({ autoConnect: false })
    expect(socket.status).toBe('closed')
    expect(socket.send('a')).toBe('queued')
    await tick(60_000)
    expect(server.connections).toHaveLength(0)
    expect(socket.queueLength).toBe(1)
  })

  test('queues after close()', async () => {
    const { socket, server } = await opened()
    socket.close()
    await tick()
    expect(socket.status).toBe('closed')
    expect(socket.send('a')).toBe('queued')
    expect(server.received).toEqual([])
  })
})

describe('the flush on open', () => {
  test('writes the queue in FIFO order on open', async () => {
    const { socket, server } = setup()
    socket.send('a')
    socket.send('b')
    socket.send('c')
    await tick()
    expect(server.received).toEqual(['a', 'b', 'c'])
    expect(socket.queueLength).toBe(0)
    expect(socket.queuedBytes).toBe(0)
  })

  test('writes the queue before the open event', async () => {
    const { socket, server } = setup()
    socket.send('a')
    socket.send('b')
    let seen: unknown[] = []
    socket.on('open', () => (seen = [...server.received]))
    await tick()
    expect(seen).toEqual(['a', 'b'])
  })

  test('writes what was queued before open() with autoConnect false', async () => {
    const { socket, server } = setup({ autoConnect: false })
    socket.send('a')
    socket.send('b')
    socket.open()
    await tick()
    expect(server.received).toEqual(['a', 'b'])
  })

  test('writes what was queued while reconnecting after the reconnect', async () => {
    const { socket, server, conn } = await opened()
    await kill(conn)
    socket.send('a')
    socket.send('b')
    await tick(1000)
    expect(socket.status).toBe('open')
    expect(server.connections[1]!.received).toEqual(['a', 'b'])
  })

  test('a send from an open listener goes after the queued messages', async () => {
    const { socket, server } = setup()
    socket.send('a')
    socket.send('b')
    const results: string[] = []
    socket.on('open', () => results.push(socket.send('from-open')))
    await tick()
    expect(server.received).toEqual(['a', 'b', 'from-open'])
    expect(results).toEqual(['sent'])
  })

  test('a send from a status listener goes after the queued messages', async () => {
    const { socket, server } = setup()
    socket.send('a')
    socket.send('b')
    socket.on('status', ({ status }) => {
      if (status === 'open') socket.send('from-status')
    })
    await tick()
    expect(server.received).toEqual(['a', 'b', 'from-status'])
  })

  test('a send from a drop listener during the flush goes after the flushed messages', async () => {
    const { socket, server } = setup({ autoConnect: false, queue: { ttl: 100 } })
    socket.send('old')
    await tick(150)
    socket.send('a')
    socket.send('b')
    socket.on('drop', () => socket.send('from-drop'))
    socket.open()
    await tick()
    expect(server.received).toEqual(['a', 'b', 'from-drop'])
  })

  test('a send from an open listener queues behind what backpressure held back', async () => {
    const server = new FakeServer()
    server.onConnection((c) => c.stall())
    const { socket } = setup({ backpressure: { highWaterMark: 10, lowWaterMark: 0 } }, server)
    socket.send('aaaaaaaa')
    socket.send('bbbbbbbb')
    socket.send('cccc')
    const results: string[] = []
    socket.on('open', () => results.push(socket.send('from-open')))
    await tick()
    // 'aaaaaaaa' and 'bbbbbbbb' went out (16 bytes > 10), 'cccc' waits.
    expect(socket.queueLength).toBe(2)
    expect(results).toEqual(['queued'])
    server.lastConnection!.resume()
    await tick(20)
    expect(server.received).toEqual(['aaaaaaaa', 'bbbbbbbb', 'cccc', 'from-open'])
  })

  test('a send while the queue is non-empty queues even if the buffer is low', async () => {
    const { socket, server, conn } = await opened({
      backpressure: { highWaterMark: 100, lowWaterMark: 20 },
    })
    conn.setBufferedAmount(101)
    socket.send('a')
    conn.setBufferedAmount(0)
    expect(socket.send('b')).toBe('queued')
    await tick(10)
    expect(server.received).toEqual(['a', 'b'])
  })
})

describe('overflow', () => {
  test("rejects a message that does not fit under 'reject'", () => {
    const { socket } = setup({ queue: { maxMessages: 2 } })
    const log = drops(socket)
    socket.send('a')
    socket.send('b')
    expect(socket.send('c')).toBe('dropped')
    expect(log).toEqual([{ messages: ['c'], reason: 'overflow' }])
    expect(socket.queueLength).toBe(2)
  })

  test("keeps the queued messages when it rejects under 'reject'", async () => {
    const { socket, server } = setup({ queue: { maxMessages: 2 } })
    socket.send('a')
    socket.send('b')
    socket.send('c')
    await tick()
    expect(server.received).toEqual(['a', 'b'])
  })

  test("evicts the oldest message under 'drop-oldest'", async () => {
    const { socket, server } = setup({ queue: { maxMessages: 2, overflow: 'drop-oldest' } })
    const log = drops(socket)
    socket.send('a')
    socket.send('b')
    expect(socket.send('c')).toBe('queued')
    expect(log).toEqual([{ messages: ['a'], reason: 'overflow' }])
    await tick()
    expect(server.received).toEqual(['b', 'c'])
  })

  test("evicts several messages in one drop event under 'drop-oldest'", () => {
    const { socket } = setup({ queue: { maxBytes: 10, overflow: 'drop-oldest' } })
    const log = drops(socket)
    socket.send('aaa')
    socket.send('bbb')
    socket.send('ccc')
    expect(socket.send('dddddddd')).toBe('queued')
    expect(log).toEqual([{ messages: ['aaa', 'bbb', 'ccc'], reason: 'overflow' }])
    expect(socket.queueLength).toBe(1)
    expect(socket.queuedBytes).toBe(8)
  })

  test('rejects by maxBytes', () => {
    const { socket } = setup({ queue: { maxBytes: 10 } })
    const log = drops(socket)
    expect(socket.send('aaaaaa')).toBe('queued')
    expect(socket.send('bbbbb')).toBe('dropped')
    expect(log).toEqual([{ messages: ['bbbbb'], reason: 'overflow' }])
    expect(socket.queuedBytes).toBe(6)
  })

  test('accepts a message that fills maxBytes exactly', () => {
    const { socket } = setup({ queue: { maxBytes: 10 } })
    socket.send('aaaaaa')
    expect(socket.send('bbbb')).toBe('queued')
    expect(socket.queuedBytes).toBe(10)
  })

  test('counts UTF-8 bytes against maxBytes', () => {
    const { socket } = setup({ queue: { maxBytes: 5 } })
    expect(socket.send('€')).toBe('queued')
    // Two UTF-16 units but 3 bytes: 6 > 5.
    expect(socket.send('€')).toBe('dropped')
  })

  test("drops a message larger than maxBytes under 'drop-oldest' without evicting", () => {
    const { socket } = setup({ queue: { maxBytes: 4, overflow: 'drop-oldest' } })
    const log = drops(socket)
    socket.send('ab')
    expect(socket.send('abcde')).toBe('dropped')
    expect(log).toEqual([{ messages: ['abcde'], reason: 'overflow' }])
    expect(socket.queueLength).toBe(1)
  })

  test("drops a message larger than maxBytes under 'reject'", () => {
    const { socket } = setup({ queue: { maxBytes: 4 } })
    const log = drops(socket)
    expect(socket.send('abcde')).toBe('dropped')
    expect(log).toEqual([{ messages: ['abcde'], reason: 'overflow' }])
    expect(socket.queueLength).toBe(0)
  })

  test('never holds more than maxMessages when a drop listener sends during an eviction', () => {
    const { socket } = setup({ queue: { maxMessages: 2, overflow: 'drop-oldest' } })
    socket.send('a')
    socket.send('b')
    socket.once('drop', () => socket.send('notice'))
    socket.send('c')
    expect(socket.queueLength).toBeLessThanOrEqual(2)
  })

  test('a send from a drop listener during an eviction goes after the message that caused it', async () => {
    const { socket, server } = setup({ queue: { maxMessages: 2, overflow: 'drop-oldest' } })
    socket.send('a')
    socket.send('b')
    socket.once('drop', () => socket.send('notice'))
    socket.send('c')
    await tick()
    expect(server.received).toContain('c')
    expect(server.received.indexOf('c')).toBeLessThan(server.received.indexOf('notice'))
  })
})

describe('byte accounting', () => {
  test('counts queued text as UTF-8 bytes', () => {
    const { socket } = setup()
    socket.send('a') // 1
    socket.send('é') // 2
    socket.send('€') // 3
    socket.send('😀') // 4
    expect(socket.queuedBytes).toBe(10)
    expect(socket.queueLength).toBe(4)
  })

  test('counts queued binary by bytes', () => {
    const { socket } = setup()
    socket.send(new ArrayBuffer(5))
    socket.send(new Uint16Array(4))
    socket.send(new Blob(['abc']))
    expect(socket.queuedBytes).toBe(16)
  })

  test('reports the queued bytes as bufferedAmount while connecting', () => {
    const { socket } = setup()
    socket.send('€😀')
    expect(socket.bufferedAmount).toBe(7)
  })

  test('clears the byte count once the queue is flushed', async () => {
    const { socket } = setup()
    socket.send('€😀')
    await tick()
    expect(socket.queuedBytes).toBe(0)
    expect(socket.bufferedAmount).toBe(0)
  })

  test('bufferedAmount is the native buffer plus the queue', async () => {
    const { socket, conn } = await opened({
      backpressure: { highWaterMark: 100, lowWaterMark: 20 },
    })
    conn.setBufferedAmount(150)
    socket.send('€€')
    expect(socket.queuedBytes).toBe(6)
    expect(socket.bufferedAmount).toBe(156)
  })

  test('bufferedAmount still counts what a closing socket holds', async () => {
    const { socket, conn } = await opened()
    conn.stall()
    socket.send('aaaa')
    socket.close()
    expect(socket.status).toBe('closing')
    expect(conn.socket.bufferedAmount).toBe(4)
    expect(socket.bufferedAmount).toBe(4)
  })

  test('bufferedAmount counts UTF-8 bytes a stalled socket holds', async () => {
    const { socket, conn } = await opened()
    conn.stall()
    socket.send('é€😀')
    socket.send(new Uint32Array(2))
    expect(socket.queuedBytes).toBe(0)
    expect(socket.bufferedAmount).toBe(17)
  })
})

describe('queue: false', () => {
  test('drops with reason disabled while connecting', () => {
    const { socket } = setup({ queue: false })
    const log = drops(socket)
    expect(socket.send('a')).toBe('dropped')
    expect(log).toEqual([{ messages: ['a'], reason: 'disabled' }])
  })

  test('drops with reason disabled while reconnecting', async () => {
    const { socket, conn } = await opened({ queue: false })
    await kill(conn)
    const log = drops(socket)
    expect(socket.send('a')).toBe('dropped')
    expect(log).toEqual([{ messages: ['a'], reason: 'disabled' }])
  })

  test('sends when open', async () => {
    const { socket, server } = await opened({ queue: false })
    expect(socket.send('a')).toBe('sent')
    expect(server.received).toEqual(['a'])
  })

  test('writes straight through above the high-water mark (nowhere to hold it)', async () => {
    const { socket, server, conn } = await opened({
      queue: false,
      backpressure: { highWaterMark: 10, lowWaterMark: 0 },
    })
    conn.setBufferedAmount(1000)
    expect(socket.send('a')).toBe('sent')
    expect(server.received).toEqual(['a'])
  })
})

describe('ttl', () => {
  test('drops messages older than ttl at flush time as expired', async () => {
    const { socket, server } = setup({ autoConnect: false, queue: { ttl: 100 } })
    const log = drops(socket)
    socket.send('old1')
    socket.send('old2')
    await tick(150)
    socket.send('fresh')
    socket.open()
    await tick()
    expect(log).toEqual([{ messages: ['old1', 'old2'], reason: 'expired' }])
    expect(server.received).toEqual(['fresh'])
  })

  test('sends a message that waited less than ttl', async () => {
    const { socket, server } = setup({ autoConnect: false, queue: { ttl: 100 } })
    const log = drops(socket)
    socket.send('a')
    await tick(90)
    socket.open()
    await tick()
    expect(server.received).toEqual(['a'])
    expect(log).toEqual([])
  })

  test('does not expire anything before the flush', async () => {
    const { socket } = setup({ autoConnect: false, queue: { ttl: 100 } })
    const log = drops(socket)
    socket.send('a')
    await tick(10_000)
    expect(log).toEqual([])
    expect(socket.queueLength).toBe(1)
  })

  test('expires messages held back by backpressure when they finally flush', async () => {
    const { socket, server, conn } = await opened({
      queue: { ttl: 100 },
      backpressure: { highWaterMark: 10, lowWaterMark: 5 },
    })
    const log = drops(socket)
    conn.setBufferedAmount(50)
    socket.send('a')
    await tick(200)
    socket.send('b')
    conn.setBufferedAmount(0)
    await tick(10)
    expect(log).toEqual([{ messages: ['a'], reason: 'expired' }])
    expect(server.received).toEqual(['b'])
  })
})

describe('default options never drop', () => {
  test('a tight loop past the high-water mark queues the rest, then delivers all in order', async () => {
    const { socket, server, conn } = await opened()
    const drains = vi.fn()
    socket.on('drain', drains)
    const lost = drops(socket)
    conn.stall()
    const sent = Array.from(
      { length: 5000 },
      (_, i) => `${String(i).padStart(5, '0')}${'x'.repeat(1019)}`,
    )
    const results = sent.map((m) => socket.send(m))
    // 1 KiB each: written until the native buffer is past 1 MiB, then held (4 MiB of them).
    expect(results.indexOf('queued')).toBe(1025)
    expect(results.slice(1025).every((r) => r === 'queued')).toBe(true)
    expect(socket.queuedBytes).toBe((5000 - 1025) * 1024)
    conn.resume()
    await tick(100)
    expect(lost).toEqual([])
    expect(server.received).toEqual(sent)
    expect(drains).toHaveBeenCalledTimes(1)
  })

  test('20 000 sends while the server is down are all delivered, in order, once it is back', async () => {
    const { socket, server, conn } = await opened()
    const lost = drops(socket)
    server.mode = 'refuse'
    conn.terminate()
    await tick()
    expect(socket.status).toBe('reconnecting')
    const sent = Array.from({ length: 20_000 }, (_, i) => `${i}:${'y'.repeat(60)}`)
    expect(sent.map((m) => socket.send(m)).every((r) => r === 'queued')).toBe(true)
    await tick(3000) // two refused attempts
    expect(server.connections).toHaveLength(3)
    server.mode = 'accept'
    await tick(4000)
    expect(socket.status).toBe('open')
    expect(lost).toEqual([])
    expect(server.connections.at(-1)!.received).toEqual(sent)
  })
})

describe('backpressure', () => {
  const bp = { backpressure: { highWaterMark: 100, lowWaterMark: 20 } }

  test('writes while the native buffer is at the high-water mark', async () => {
    const { socket, server, conn } = await opened(bp)
    conn.setBufferedAmount(100)
    expect(socket.send('a')).toBe('sent')
    expect(server.received).toEqual(['a'])
  })

  test('queues while the native buffer is above the high-water mark', async () => {
    const { socket, server, conn } = await opened(bp)
    conn.setBufferedAmount(101)
    expect(socket.send('a')).toBe('queued')
    expect(server.received).toEqual([])
  })

  test('keeps queueing between the low and high water marks', async () => {
    const { socket, server, conn } = await opened(bp)
    conn.setBufferedAmount(101)
    socket.send('a')
    conn.setBufferedAmount(50)
    await tick(1000)
    expect(socket.send('b')).toBe('queued')
    await tick(1000)
    expect(server.received).toEqual([])
    expect(socket.queueLength).toBe(2)
  })

  test('drains the queue in order once the native buffer is at the low-water mark', async () => {
    const { socket, server, conn } = await opened(bp)
    conn.setBufferedAmount(101)
    socket.send('a')
    socket.send('b')
    conn.setBufferedAmount(20)
    await tick(10)
    expect(server.received).toEqual(['a', 'b'])
    expect(socket.queueLength).toBe(0)
  })

  test('emits drain once when the episode ends', async () => {
    const { socket, conn } = await opened(bp)
    const drains = vi.fn()
    socket.on('drain', drains)
    conn.setBufferedAmount(101)
    socket.send('a')
    socket.send('b')
    conn.setBufferedAmount(0)
    await tick(1000)
    expect(drains).toHaveBeenCalledTimes(1)
  })

  test('emits drain once per episode', async () => {
    const { socket, conn } = await opened(bp)
    const drains = vi.fn()
    socket.on('drain', drains)
    for (let episode = 0; episode < 3; episode++) {
      conn.setBufferedAmount(101)
      socket.send('a')
      conn.setBufferedAmount(0)
      await tick(100)
    }
    expect(drains).toHaveBeenCalledTimes(3)
  })

  test('does not emit drain when the buffer never passed the high-water mark', async () => {
    const { socket, conn } = await opened(bp)
    const drains = vi.fn()
    socket.on('drain', drains)
    conn.setBufferedAmount(90)
    socket.send('a')
    conn.setBufferedAmount(0)
    await tick(1000)
    expect(drains).not.toHaveBeenCalled()
  })

  test('waits for the native buffer to reach the low-water mark before drain', async () => {
    const { socket, server, conn } = await opened({
      backpressure: { highWaterMark: 10, lowWaterMark: 4 },
    })
    const drains = vi.fn()
    socket.on('drain', drains)
    conn.stall()
    socket.send('aaaaaaaaaaaa') // 12 bytes: the buffer goes above 10
    expect(socket.send('bb')).toBe('queued')
    conn.drain(8) // 4 left: at the low-water mark
    await tick(10)
    expect(socket.queueLength).toBe(0)
    expect(socket.bufferedAmount).toBe(6)
    expect(drains).not.toHaveBeenCalled()
    conn.drain(2)
    await tick(10)
    expect(drains).toHaveBeenCalledTimes(1)
    conn.resume()
    expect(server.received).toEqual(['aaaaaaaaaaaa', 'bb'])
  })

  test('writes from the queue until the buffer passes the high-water mark again', async () => {
    const { socket, server, conn } = await opened({
      backpressure: { highWaterMark: 10, lowWaterMark: 4 },
    })
    conn.stall()
    socket.send('aaaaaaaaaaa') // 11
    socket.send('bbbb')
    socket.send('cccc')
    socket.send('dddd')
    socket.send('eeee')
    conn.drain(11) // 0 left
    await tick(10)
    // b (0 → 4), c (4 → 8), d (8 → 12), then 12 > 10: e waits.
    expect(socket.queueLength).toBe(1)
    expect(socket.bufferedAmount).toBe(16)
    conn.resume()
    await tick(10)
    expect(server.received).toEqual(['aaaaaaaaaaa', 'bbbb', 'cccc', 'dddd', 'eeee'])
  })

  test('emits drain when a reconnect flushes what backpressure held back', async () => {
    const server = new FakeServer()
    server.onConnection((c) => c.stall())
    const { socket } = setup(
      { reconnect: RETRY, backpressure: { highWaterMark: 10, lowWaterMark: 4 } },
      server,
    )
    await tick()
    const drains = vi.fn()
    socket.on('drain', drains)
    const first = server.lastConnection!
    socket.send('aaaaaaaaaaa') // 11 bytes: above the high-water mark
    expect(socket.send('bbbbbb')).toBe('queued')
    first.drain(11) // everything written so far arrives…
    await kill(first) // …and the connection dies before the queue moved
    await tick(1000)
    const second = server.lastConnection!
    expect(second).not.toBe(first)
    expect(socket.queueLength).toBe(0)
    second.resume()
    await tick(1000)
    expect(second.received).toEqual(['bbbbbb'])
    expect(drains).toHaveBeenCalledTimes(1)
  })

  test('backpressure: false writes straight through', async () => {
    const { socket, server, conn } = await opened({ backpressure: false })
    conn.setBufferedAmount(100_000_000)
    expect(socket.send('a')).toBe('sent')
    expect(server.received).toEqual(['a'])
  })
})

describe('recovery of unsent bytes', () => {
  test('puts back exactly the untransmitted tail, in order', async () => {
    const { socket, conn } = await opened()
    conn.stall()
    socket.send('aaaa')
    socket.send('bbbb')
    socket.send('cccc')
    conn.drain(4)
    await kill(conn)
    expect(socket.status).toBe('reconnecting')
    expect(socket.queueLength).toBe(2)
    expect(socket.queuedBytes).toBe(8)
    expect(socket.clearQueue()).toEqual(['bbbb', 'cccc'])
  })

  test('re-sends the tail after the reconnect without duplicating what arrived', async () => {
    const { socket, server, conn } = await opened()
    conn.stall()
    socket.send('aaaa')
    socket.send('bbbb')
    socket.send('cccc')
    conn.drain(4)
    await kill(conn)
    await tick(1000)
    expect(socket.status).toBe('open')
    expect(server.connections[0]!.received).toEqual(['aaaa'])
    expect(server.connections[1]!.received).toEqual(['bbbb', 'cccc'])
    expect(server.received).toEqual(['aaaa', 'bbbb', 'cccc'])
  })

  test('does not replay frames the handshake sent (the next open runs its own)', async () => {
    const server = new FakeServer()
    server.onConnection((c) => c.stall())
    let opens = 0
    const { socket } = setup(
      {
        reconnect: RETRY,
        handshake: (s) => {
          s.send(`auth-${++opens}`)
        },
      },
      server,
    )
    await tick()
    expect(socket.status).toBe('open')
    socket.send('user')
    await kill(server.lastConnection!)
    // Only the user's message comes back; the stale auth frame is not queued again.
    expect(socket.clearQueue()).toEqual(['user'])
    socket.close()
  })

  test('re-sends a partially transmitted message whole', async () => {
    const { socket, server, conn } = await opened()
    conn.stall()
    socket.send('aaaa')
    socket.send('bbbb')
    socket.send('cccc')
    conn.drain(6) // 'aaaa' and half of 'bbbb'
    await kill(conn)
    await tick(1000)
    expect(server.connections[0]!.received).toEqual(['aaaa'])
    expect(server.connections[1]!.received).toEqual(['bbbb', 'cccc'])
  })

  test('counts multi-byte text by UTF-8 bytes when finding the tail', async () => {
    const { socket, server, conn } = await opened()
    conn.stall()
    socket.send('€€') // 6 bytes
    socket.send('😀') // 4 bytes
    socket.send('é') // 2 bytes
    conn.drain(6)
    await kill(conn)
    await tick(1000)
    expect(server.connections[0]!.received).toEqual(['€€'])
    expect(server.connections[1]!.received).toEqual(['😀', 'é'])
  })

  test('puts the tail ahead of messages queued while reconnecting', async () => {
    const { socket, server, conn } = await opened()
    conn.stall()
    socket.send('aaaa')
    socket.send('bbbb')
    await kill(conn)
    socket.send('cccc')
    await tick(1000)
    expect(server.connections[1]!.received).toEqual(['aaaa', 'bbbb', 'cccc'])
  })

  test('puts the tail ahead of messages backpressure held back', async () => {
    const { socket, server, conn } = await opened({
      backpressure: { highWaterMark: 8, lowWaterMark: 0 },
    })
    conn.stall()
    socket.send('aaaa')
    socket.send('bbbb')
    socket.send('cccc') // 8 ≤ 8: written
    expect(socket.send('dddd')).toBe('queued') // 12 > 8
    await kill(conn)
    expect(socket.queueLength).toBe(4)
    await tick(1000)
    expect(server.connections[1]!.received).toEqual(['aaaa', 'bbbb', 'cccc', 'dddd'])
  })

  test('recovers nothing when every byte was transmitted', async () => {
    const { socket, server, conn } = await opened()
    socket.send('aaaa')
    socket.send('bbbb')
    await kill(conn)
    expect(socket.queueLength).toBe(0)
    await tick(1000)
    expect(server.connections[1]!.received).toEqual([])
  })

  test('recovers binary messages by byte length', async () => {
    const { socket, server, conn } = await opened()
    conn.stall()
    const a = new Uint16Array([1, 2]) // 4 bytes
    const b = new Uint8Array([3, 4, 5])
    socket.send(a)
    socket.send(b)
    conn.drain(4)
    await kill(conn)
    expect(socket.clearQueue()).toEqual([b])
    expect(server.connections[0]!.received).toEqual([a])
  })

  test('recovers the exact tail after more than 64 writes', async () => {
    const { socket, server, conn } = await opened()
    conn.stall()
    const sent = Array.from({ length: 200 }, (_, i) => `m${String(i).padStart(3, '0')}`)
    for (const m of sent.slice(0, 100)) socket.send(m)
    conn.drain(4 * 90)
    for (const m of sent.slice(100)) socket.send(m)
    conn.drain(4 * 50) // 140 delivered in all
    await kill(conn)
    expect(socket.queueLength).toBe(60)
    await tick(1000)
    expect(server.connections[0]!.received).toEqual(sent.slice(0, 140))
    expect(server.connections[1]!.received).toEqual(sent.slice(140))
  })

  test('recovers after a server close it did not ask for', async () => {
    const { socket, server, conn } = await opened()
    conn.stall()
    socket.send('aaaa')
    socket.send('bbbb')
    conn.drain(4)
    conn.close(1001, 'going away')
    await tick()
    expect(socket.status).toBe('reconnecting')
    await tick(1000)
    expect(server.connections[1]!.received).toEqual(['bbbb'])
  })

  test('does not re-send heartbeat frames that were in the tail', async () => {
    const { socket, server, conn } = await opened({
      heartbeat: { interval: 1000, timeout: 5000, message: 'ping' },
    })
    conn.stall()
    socket.send('aaaa')
    await tick(1000) // a ping goes into the stalled buffer
    socket.send('bbbb')
    expect(socket.bufferedAmount).toBe(12)
    await kill(conn)
    expect(socket.clearQueue()).toEqual(['aaaa', 'bbbb'])
    expect(server.received).toEqual([])
  })

  test('recovers nothing after the client closes the socket itself', async () => {
    const { socket, server, conn } = await opened()
    conn.stall()
    socket.send('aaaa')
    socket.send('bbbb')
    socket.close()
    conn.terminate()
    await tick()
    expect(socket.status).toBe('closed')
    expect(socket.queueLength).toBe(0)
    socket.open()
    await tick()
    expect(server.connections[1]!.received).toEqual([])
  })

  test('recovers nothing with recoverUnsent: false', async () => {
    const { socket, server, conn } = await opened({ recoverUnsent: false })
    conn.stall()
    socket.send('aaaa')
    socket.send('bbbb')
    await kill(conn)
    expect(socket.queueLength).toBe(0)
    await tick(1000)
    expect(server.connections[1]!.received).toEqual([])
  })
})

describe('bytes taken at send()', () => {
  /** A server whose sockets note every frame handed to their native send(). */
  function spied() {
    const server = new FakeServer()
    const frames: unknown[] = []
    const WebSocket = class extends server.WebSocket {
      override send(data: never): void {
        frames.push(data)
        super.send(data)
      }
    }
    return { server, frames, WebSocket }
  }

  test('a queued buffer changed after send() goes out as it was at the call', async () => {
    const { socket, server } = setup({ reconnect: RETRY })
    const bytes = new Uint8Array([1, 2, 3])
    expect(socket.send(bytes)).toBe('queued')
    bytes.fill(9)
    await tick()
    expect(server.received).toEqual([new Uint8Array([1, 2, 3])])
  })

  test('a queued ArrayBuffer transferred after send() still goes out whole', async () => {
    const { socket, server } = setup({ reconnect: RETRY })
    const buffer = new Uint8Array([4, 5, 6]).buffer
    socket.send(buffer)
    structuredClone(buffer, { transfer: [buffer] })
    expect(buffer.byteLength).toBe(0) // detached
    await tick()
    expect(server.received.map((f) => [...new Uint8Array(f as ArrayBuffer)])).toEqual([[4, 5, 6]])
  })

  test('a queued view keeps its kind and only its own bytes', async () => {
    const { socket, server } = setup({ reconnect: RETRY })
    const backing = new Uint16Array([7, 8, 9, 10])
    socket.send(backing.subarray(1, 3))
    socket.send(new DataView(backing.buffer, 2, 2))
    backing.fill(0)
    await tick()
    const [view, data] = server.received as [Uint16Array, DataView]
    expect(view).toEqual(new Uint16Array([8, 9]))
    expect(data).toBeInstanceOf(DataView)
    expect(data.getUint16(0, true)).toBe(8)
  })

  test('recovery re-sends the bytes that were sent, not what the buffer holds later', async () => {
    const { socket, server, conn } = await opened()
    conn.stall()
    const bytes = new Uint8Array([1, 2, 3])
    expect(socket.send(bytes)).toBe('sent')
    bytes.fill(9)
    await kill(conn)
    await tick(1000)
    expect(server.connections[1]!.received).toEqual([new Uint8Array([1, 2, 3])])
  })

  test('recovery re-sends a transferred buffer whole', async () => {
    const { socket, server, conn } = await opened()
    conn.stall()
    const buffer = new Uint8Array([1, 2, 3]).buffer
    socket.send(buffer)
    structuredClone(buffer, { transfer: [buffer] })
    await kill(conn)
    await tick(1000)
    const [again] = server.connections[1]!.received as [ArrayBuffer]
    expect([...new Uint8Array(again)]).toEqual([1, 2, 3])
  })

  test('a buffer written straight through without the recovery log is not copied', async () => {
    const { WebSocket, frames } = spied()
    const { socket } = setup({ WebSocket, recoverUnsent: false })
    await tick()
    const bytes = new Uint8Array([1])
    socket.send(bytes)
    expect(frames[0]).toBe(bytes)
  })

  test('text is never copied, logged or not', async () => {
    const { WebSocket, frames } = spied()
    const { socket } = setup({ WebSocket })
    await tick()
    const text = `t${Math.random()}`
    socket.send(text)
    expect(frames[0]).toBe(text)
  })

  test('a detached buffer is sent as an empty frame, as native does', async () => {
    const { socket, server } = await opened()
    const buffer = new ArrayBuffer(4)
    structuredClone(buffer, { transfer: [buffer] })
    expect(socket.send(buffer)).toBe('sent')
    await tick()
    expect((server.received[0] as ArrayBuffer).byteLength).toBe(0)
  })

  test('finds the exact tail of multi-byte text after more than 64 writes', async () => {
    const { socket, server, conn } = await opened()
    conn.stall()
    // 2 UTF-16 units, 6 UTF-8 bytes each: trimming the log by length must not lose any.
    const sent = Array.from({ length: 150 }, (_, i) => `€${String.fromCharCode(0x4e00 + i)}`)
    for (const m of sent.slice(0, 100)) socket.send(m)
    conn.drain(6 * 90)
    for (const m of sent.slice(100)) socket.send(m)
    conn.drain(6 * 20) // 110 delivered in all
    await kill(conn)
    expect(socket.queueLength).toBe(40)
    await tick(1000)
    expect(server.connections[0]!.received).toEqual(sent.slice(0, 110))
    expect(server.connections[1]!.received).toEqual(sent.slice(110))
  })
})

describe('flush()', () => {
  test('resolves at once when nothing is queued or buffered', async () => {
    const { socket } = await opened()
    const state = track(socket.flush())
    await tick()
    expect(state()).toBe('resolved')
  })

  test('waits for the native buffer to empty', async () => {
    const { socket, conn } = await opened()
    conn.stall()
    socket.send('aaaa')
    const state = track(socket.flush())
    await tick(1000)
    expect(state()).toBe('pending')
    conn.drain(2)
    await tick(1000)
    expect(state()).toBe('pending')
    conn.drain(2)
    await tick(10)
    expect(state()).toBe('resolved')
  })

  test('waits for the queue to empty', async () => {
    const { socket, conn } = await opened({
      backpressure: { highWaterMark: 10, lowWaterMark: 0 },
    })
    conn.setBufferedAmount(11)
    socket.send('a')
    const state = track(socket.flush())
    await tick(1000)
    expect(state()).toBe('pending')
    conn.setBufferedAmount(0)
    await tick(10)
    expect(state()).toBe('resolved')
    expect(socket.queueLength).toBe(0)
  })

  test('waits across a reconnect', async () => {
    const { socket, server, conn } = await opened()
    conn.stall()
    socket.send('aaaa')
    const state = track(socket.flush())
    await kill(conn)
    expect(socket.status).toBe('reconnecting')
    expect(state()).toBe('pending')
    await tick(1000)
    expect(state()).toBe('resolved')
    expect(server.connections[1]!.received).toEqual(['aaaa'])
  })

  test('rejects at once when the socket is closed with messages queued', async () => {
    const { socket } = setup({ autoConnect: false })
    socket.send('a')
    const state = track(socket.flush())
    await tick()
    expect(state()).toBeInstanceOf(ClosedError)
  })

  test('rejects when the socket becomes closed', async () => {
    const { socket, conn } = await opened()
    await kill(conn)
    socket.send('a')
    const state = track(socket.flush())
    await tick()
    expect(state()).toBe('pending')
    socket.close()
    await tick()
    expect(state()).toBeInstanceOf(ClosedError)
  })

  test('rejects when the socket is disposed with messages queued', async () => {
    const { socket, conn } = await opened()
    await kill(conn)
    socket.send('a')
    const state = track(socket.flush())
    socket.dispose()
    await tick()
    expect(state()).toBeInstanceOf(ClosedError)
  })

  test('does not resolve while a closing socket still holds unsent bytes', async () => {
    const { socket, conn } = await opened()
    conn.stall()
    socket.send('aaaa')
    socket.close()
    const state = track(socket.flush())
    await tick(1000)
    expect(socket.status).toBe('closing')
    expect(conn.socket.bufferedAmount).toBe(4)
    expect(state()).toBe('pending')
  })

  test('rejects on timeout', async () => {
    const { socket, conn } = await opened()
    conn.stall()
    socket.send('aaaa')
    const start = Date.now()
    let at = 0
    const state = track(socket.flush({ timeout: 500 }).finally(() => (at = Date.now())))
    await tick(1000)
    expect(state()).toBeInstanceOf(TimeoutError)
    expect(at - start).toBe(500)
  })
})

describe('clearQueue()', () => {
  test('returns the queued messages in order', () => {
    const { socket } = setup()
    socket.send('a')
    socket.send('b')
    expect(socket.clearQueue()).toEqual(['a', 'b'])
  })

  test('removes them without a drop event', async () => {
    const { socket, server } = setup()
    const log = drops(socket)
    socket.send('a')
    socket.send('b')
    socket.clearQueue()
    expect(socket.queueLength).toBe(0)
    expect(socket.queuedBytes).toBe(0)
    await tick()
    expect(server.received).toEqual([])
    expect(log).toEqual([])
  })

  test('returns an empty array when nothing is queued', () => {
    const { socket } = setup()
    expect(socket.clearQueue()).toEqual([])
  })
})

describe('dispose()', () => {
  test('reports the queued messages in one disposed drop', () => {
    const { socket } = setup()
    const log = drops(socket)
    socket.send('a')
    socket.send('b')
    socket.dispose()
    expect(log).toEqual([{ messages: ['a', 'b'], reason: 'disposed' }])
    expect(socket.queueLength).toBe(0)
  })

  test('reports them only once', () => {
    const { socket } = setup()
    const drop = vi.fn()
    socket.on('drop', drop)
    socket.send('a')
    socket.dispose()
    socket.dispose()
    expect(drop).toHaveBeenCalledTimes(1)
  })

  test('reports nothing when nothing is queued', async () => {
    const { socket } = await opened()
    const log = drops(socket)
    socket.dispose()
    expect(log).toEqual([])
  })

  test('send after dispose returns dropped and writes nothing', async () => {
    const { socket, server } = await opened()
    socket.dispose()
    expect(socket.send('a')).toBe('dropped')
    expect(socket.queueLength).toBe(0)
    await tick(10_000)
    expect(server.received).toEqual([])
  })
})

describe('handshake', () => {
  test('runs before the queue flush', async () => {
    let seen: unknown[] | undefined
    const { socket, server } = setup({
      handshake: () => {
        seen = [...server.received]
      },
    })
    socket.send('q1')
    await tick()
    expect(seen).toEqual([])
    expect(server.received).toEqual(['q1'])
  })

  test('sends made in the handshake go ahead of the queue', async () => {
    const results: string[] = []
    const { socket, server } = setup({
      handshake: (s) => {
        results.push(s.send('auth'))
      },
    })
    socket.send('q1')
    socket.send('q2')
    await tick()
    expect(results).toEqual(['sent'])
    expect(server.received).toEqual(['auth', 'q1', 'q2'])
  })

  test('the open event comes after the handshake and the flush', async () => {
    const { socket, server } = setup({
      handshake: (s) => {
        s.send('auth')
      },
    })
    socket.send('q1')
    let seen: unknown[] = []
    socket.on('open', () => (seen = [...server.received]))
    await tick()
    expect(seen).toEqual(['auth', 'q1'])
  })

  test('sends made in the handshake ignore the high-water mark', async () => {
    const server = new FakeServer()
    server.onConnection((c) => c.stall())
    const results: string[] = []
    setup(
      {
        backpressure: { highWaterMark: 4, lowWaterMark: 0 },
        handshake: (s) => {
          results.push(s.send('hello-hello'), s.send('auth'))
        },
      },
      server,
    )
    await tick()
    expect(results).toEqual(['sent', 'sent'])
    expect(server.lastConnection!.socket.bufferedAmount).toBe(15)
  })

  test('an async handshake holds the flush and the open event until it resolves', async () => {
    const { socket, server } = setup({
      handshake: async (s) => {
        s.send('auth')
        await new Promise((resolve) => s.once('message', resolve))
        s.send('subscribe')
      },
    })
    socket.send('q1')
    const open = vi.fn()
    socket.on('open', open)
    await tick()
    expect(server.received).toEqual(['auth'])
    expect(socket.status).toBe('connecting')
    expect(open).not.toHaveBeenCalled()
    server.lastConnection!.send('welcome')
    await tick()
    expect(server.received).toEqual(['auth', 'subscribe', 'q1'])
    expect(open).toHaveBeenCalledTimes(1)
    expect(socket.status).toBe('open')
  })

  test('runs again on every reconnect, ahead of the queue', async () => {
    const { socket, server, conn } = await opened({
      handshake: (s) => {
        s.send('auth')
      },
    })
    await kill(conn)
    socket.send('q1')
    await tick(1000)
    expect(server.connections[1]!.received).toEqual(['auth', 'q1'])
  })

  test('a rejecting handshake is a failed attempt with a HandshakeError', async () => {
    const { socket, server } = setup({
      reconnect: RETRY,
      handshake: () => Promise.reject(new Error('denied')),
    })
    const errors: unknown[] = []
    const closes: unknown[] = []
    socket.on('error', (e) => errors.push(e))
    socket.on('close', (c) => closes.push(c))
    socket.send('q1')
    await tick()
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(HandshakeError)
    expect((errors[0] as HandshakeError).cause).toEqual(new Error('denied'))
    expect(closes).toEqual([
      expect.objectContaining({ code: 1006, wasClean: false, willReconnect: true }),
    ])
    expect(socket.status).toBe('reconnecting')
    expect(server.received).toEqual([])
    expect(socket.queueLength).toBe(1)
  })

  test('a throwing handshake is a failed attempt with a HandshakeError', async () => {
    const { socket } = setup({
      reconnect: RETRY,
      handshake: () => {
        throw new Error('boom')
      },
    })
    const errors: unknown[] = []
    socket.on('error', (e) => errors.push(e))
    await tick()
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(HandshakeError)
    expect(socket.status).toBe('reconnecting')
  })

  test('a failing handshake never emits open', async () => {
    const { socket } = setup({
      reconnect: RETRY,
      handshake: () => Promise.reject(new Error('denied')),
    })
    const open = vi.fn()
    socket.on('open', open)
    await tick(10_000)
    expect(open).not.toHaveBeenCalled()
  })

  test('a failing handshake retries with backoff', async () => {
    const { socket, server } = setup({
      reconnect: RETRY,
      handshake: () => Promise.reject(new Error('denied')),
    })
    const retries: unknown[] = []
    const failedAt: number[] = []
    const connectedAt: number[] = []
    socket.on('reconnecting', (r) => {
      retries.push(r)
      failedAt.push(Date.now())
    })
    server.onConnection(() => connectedAt.push(Date.now()))
    await tick()
    expect(retries).toEqual([{ attempt: 1, delay: 1000 }])
    await tick(1000)
    expect(server.connections).toHaveLength(2)
    expect(connectedAt[0]! - failedAt[0]!).toBe(1000)
    expect(retries).toEqual([
      { attempt: 1, delay: 1000 },
      { attempt: 2, delay: 2000 },
    ])
    expect(server.maxConcurrent).toBe(1)
  })

  test('a handshake that never settles is cut by connectTimeout', async () => {
    const { socket, server } = setup({
      reconnect: RETRY,
      connectTimeout: 3000,
      handshake: () => new Promise<void>(() => {}),
    })
    const start = Date.now()
    const errors: unknown[] = []
    let at = 0
    socket.on('error', (e) => {
      errors.push(e)
      at = Date.now()
    })
    socket.send('q1')
    await tick(2000)
    expect(socket.status).toBe('connecting')
    expect(errors).toEqual([])
    await tick(1000)
    expect(at - start).toBe(3000)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(ConnectTimeoutError)
    expect(socket.status).toBe('reconnecting')
    expect(server.live).toHaveLength(0)
    expect(server.received).toEqual([])
  })
})
