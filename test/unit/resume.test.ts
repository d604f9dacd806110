import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { HandshakeError, json, type SteadySocketOptions } from '../../src/index'
import { FakeServer } from '../../src/testing/index'
import { PROTOCOL } from '../../src/resume-wire'
import { record, setup, tick } from './helpers'

// The client side of resumable sessions against a peer driven by hand, frame by frame, so that
// each test sees exactly what goes over the wire (PROTOCOL.md). The Node server and the proof
// tests (test/node/resume-*.test.ts) run the real server.

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

const RETRY = { initialDelay: 100, jitter: 'none' } as const
const welcome = (o: { sid?: string; resumed?: boolean; ack?: number; max?: number } = {}) =>
  JSON.stringify({
    t: 'welcome',
    proto: PROTOCOL,
    sid: o.sid ?? 'S1',
    epoch: 'E1',
    resumed: o.resumed ?? false,
    ack: o.ack ?? 0,
    max: o.max ?? 1048576,
  })

/** A resume socket whose every connection the test answers itself (`welcomed` greets it). */
async function session<In = string, Out = string>(options: SteadySocketOptions<In, Out> = {}) {
  const server = new FakeServer()
  const { socket } = setup<In, Out>({ resume: true, reconnect: RETRY, ...options }, server)
  const log = record(socket as never)
  const frames = (c = server.lastConnection!) => c.received.slice()
  let seen = 0
  /** Waits for the next connection (bounded), answers its hello with `w`. */
  const connect = async (w = welcome()) => {
    for (let i = 0; i < 100 && server.connections.length === seen; i++) await tick(10)
    seen = server.connections.length
    const c = server.lastConnection!
    c.send(w)
    await tick()
    return c
  }
  return { socket, server, log, frames, connect }
}

const names = (log: [string, unknown][]) => log.map(([n]) => n).filter((n) => n !== 'status')

describe('the greeting', () => {
  test('sends hello first, then session before open, and nothing else until welcome', async () => {
    const { socket, server, log, connect } = await session()
    socket.send('early')
    await tick()
    const c = server.lastConnection!
    expect(c.received).toEqual([
      JSON.stringify({ t: 'hello', proto: PROTOCOL, ack: 0, max: 1048576 }),
    ])
    expect(socket.status).toBe('connecting')
    await connect()
    expect(c.received.slice(1)).toEqual([':early'])
    // 'drain' answers the 'queued' of the early send, as without resume.
    expect(names(log)).toEqual(['session', 'drain', 'open'])
    expect(log.find(([n]) => n === 'session')![1]).toEqual({
      id: 'S1',
      resumed: false,
      unconfirmed: [],
    })
  })

  test('runs the handshake after the session event and before the queue', async () => {
    const order: string[] = []
    const { socket, connect } = await session({
      handshake: (s) => {
        order.push('handshake:' + s.status)
        s.send('auth')
      },
    })
    socket.on('session', () => order.push('session:' + socket.status))
    socket.send('queued')
    const c = await connect()
    expect(order).toEqual(['session:connecting', 'handshake:connecting'])
    expect(c.received.slice(1)).toEqual([':auth', ':queued'])
  })

  test('a server that echoes the hello: 4460, an error naming the protocol, no retry', async () => {
    const { socket, server, log } = await session()
    await tick()
    const c = server.lastConnection!
    c.send(c.received[0] as string)
    await tick(10_000)
    expect(socket.status).toBe('closed')
    expect(server.connections).toHaveLength(1)
    expect(c.closeCode).toBe(4460)
    expect(c.closeReason).toBe(`${PROTOCOL} not spoken by the server`)
    const error = log.find(([n]) => n === 'error')![1] as Error
    expect(error).toBeInstanceOf(HandshakeError)
    expect(error.message).toContain(PROTOCOL)
    expect(names(log)).not.toContain('message')
  })

  test('a silent server: the connect timeout names the protocol, and attempts go on', async () => {
    const { socket, server, log } = await session({ connectTimeout: 1000 })
    await tick(1000)
    const error = log.find(([n]) => n === 'error')![1] as Error
    expect(error).toBeInstanceOf(HandshakeError)
    expect(error.message).toContain(`${PROTOCOL} not spoken by the server`)
    expect(socket.status).toBe('reconnecting')
    await tick(100)
    expect(server.connections).toHaveLength(2)
  })

  test('a welcome resuming a session the hello did not name fails the connection (4461)', async () => {
    const { socket, server } = await session()
    await tick()
    server.lastConnection!.send(welcome({ resumed: true }))
    await tick()
    expect(server.connections[0]!.closeCode).toBe(4461)
    expect(socket.status).toBe('reconnecting')
  })
})

describe('numbering and acknowledgements', () => {
  test('text gets a one-byte header, binary none, and a payload may start with anything', async () => {
    const { socket, connect } = await session<unknown, unknown>()
    const c = await connect()
    socket.send(':{x')
    socket.send(new Uint8Array([1, 2]))
    expect(c.received[1]).toBe('::{x')
    expect(new Uint8Array(c.received[2] as ArrayBuffer)).toEqual(new Uint8Array([1, 2]))
  })

  test('takes the header off inbound text, passes binary through, hides control frames', async () => {
    const { socket, connect } = await session<unknown, unknown>({ binaryType: 'arraybuffer' })
    const got: unknown[] = []
    socket.on('message', (m) => got.push(m))
    const c = await connect()
    c.send(':hi')
    c.send('0::x')
    c.send(new Uint8Array([7]))
    c.send('{"t":"ping"}')
    c.send('{"t":"future","x":1}')
    await tick()
    expect(got.slice(0, 2)).toEqual(['hi', ':x'])
    expect(new Uint8Array(got[2] as ArrayBuffer)).toEqual(new Uint8Array([7]))
    expect(got).toHaveLength(3)
    expect(c.received).toContain('{"t":"pong"}')
  })

  test('acknowledges after 32 messages, at the end of the turn, in one ack frame', async () => {
    const { connect } = await session()
    const c = await connect()
    for (let i = 0; i < 31; i++) c.send(':m')
    await tick()
    expect(c.received.slice(1)).toEqual([])
    c.send(':m')
    await tick()
    expect(c.received.slice(1)).toEqual(['32'])
  })

  test('acknowledges one message 100 ms after it arrived', async () => {
    const { connect } = await session()
    const c = await connect()
    c.send(':m')
    await tick(50)
    expect(c.received.slice(1)).toEqual([])
    await tick(50)
    expect(c.received.slice(1)).toEqual(['1'])
  })

  test('a due acknowledgement rides on the text frame sent in the same turn', async () => {
    const { socket, connect } = await session()
    socket.on('message', () => socket.send('reply'))
    const c = await connect()
    for (let i = 0; i < 32; i++) c.send(':m')
    await tick()
    // The 32nd message made it due: the reply written in that turn carries it.
    expect(c.received.slice(1, 32)).toEqual(Array(31).fill(':reply'))
    expect(c.received[32]).toBe('32:reply')
    expect(c.received).toHaveLength(33)
  })

  test('acknowledgements within a quarter of the server bound in bytes', async () => {
    const { connect } = await session()
    const c = await connect(welcome({ max: 400 }))
    c.send(':' + 'x'.repeat(99))
    await tick()
    expect(c.received.slice(1)).toEqual([])
    c.send(':x')
    await tick()
    expect(c.received.slice(1)).toEqual(['2'])
  })

  test('an acknowledgement past what was sent fails the connection (4461), then resumes', async () => {
    const { socket, server, connect } = await session()
    const c = await connect()
    socket.send('a')
    c.send('2')
    await tick()
    expect(c.closeCode).toBe(4461)
    expect(c.closeReason).toBe(`${PROTOCOL}: invalid ack`)
    await tick(100)
    expect(server.connections).toHaveLength(2)
    expect(JSON.parse(server.lastConnection!.received[0] as string)).toMatchObject({
      sid: 'S1',
      epoch: 'E1',
    })
  })

  test('an unknown frame fails the connection with the reason', async () => {
    const { connect } = await session()
    const c = await connect()
    c.send('hello')
    await tick()
    expect(c.closeCode).toBe(4461)
    expect(c.closeReason).toBe(`${PROTOCOL}: invalid frame`)
  })
})

describe('a reconnect', () => {
  test('replays what the server did not acknowledge and goes on counting', async () => {
    const { socket, log, connect } = await session()
    const c1 = await connect()
    socket.send('a')
    socket.send('b')
    socket.send('c')
    c1.send(':x')
    c1.send('1')
    await tick()
    c1.terminate()
    const c2 = await connect(welcome({ resumed: true, ack: 2 }))
    expect(JSON.parse(c2.received[0] as string)).toEqual({
      t: 'hello',
      proto: PROTOCOL,
      sid: 'S1',
      epoch: 'E1',
      ack: 1,
      max: 1048576,
    })
    expect(c2.received.slice(1)).toEqual([':c'])
    expect(log.filter(([n]) => n === 'session').map(([, s]) => s)).toEqual([
      { id: 'S1', resumed: false, unconfirmed: [] },
      { id: 'S1', resumed: true, unconfirmed: [] },
    ])
    // The server's next message is its number 2: it is delivered as is.
    const got: unknown[] = []
    socket.on('message', (m) => got.push(m))
    c2.send(':y')
    await tick()
    expect(got).toEqual(['y'])
  })

  test('a new session reports the unacknowledged messages, decoded, and does not re-send them', async () => {
    const { socket, log, connect } = await session<unknown, unknown>({ codec: json() })
    const c1 = await connect()
    socket.send({ n: 1 })
    socket.send({ n: 2 })
    c1.send('1')
    await tick()
    c1.terminate()
    const c2 = await connect(welcome({ sid: 'S2' }))
    expect(log.filter(([n]) => n === 'session').at(-1)![1]).toEqual({
      id: 'S2',
      resumed: false,
      unconfirmed: [{ n: 2 }],
    })
    expect(c2.received.slice(1)).toEqual([])
    socket.send({ n: 3 })
    expect(c2.received.slice(1)).toEqual([':{"n":3}'])
  })

  test('past maxBytes the queue holds messages and drains as acknowledgements come', async () => {
    const { socket, connect } = await session({ resume: { maxBytes: 10 } })
    const c = await connect()
    const results = ['aaaa', 'bbbb', 'cccc', 'dddd'].map((m) => socket.send(m))
    expect(results).toEqual(['sent', 'sent', 'queued', 'queued'])
    expect(c.received.slice(1)).toEqual([':aaaa', ':bbbb'])
    let drained = 0
    socket.on('drain', () => drained++)
    c.send('1')
    await tick()
    expect(c.received.slice(1)).toEqual([':aaaa', ':bbbb', ':cccc'])
    expect(drained).toBe(0)
    c.send('3')
    await tick()
    expect(c.received.slice(1)).toEqual([':aaaa', ':bbbb', ':cccc', ':dddd'])
    expect(drained).toBe(1)
  })

  test('one message larger than maxBytes still goes, alone', async () => {
    const { socket, connect } = await session({ resume: { maxBytes: 4 } })
    const c = await connect()
    expect(socket.send('0123456789')).toBe('sent')
    expect(socket.send('x')).toBe('queued')
    c.send('1')
    await tick()
    expect(c.received.slice(1)).toEqual([':0123456789', ':x'])
  })
})

describe('ending', () => {
  test.each([
    ['acknowledged before close(): nothing is unconfirmed', true, []],
    // A browser drops what arrives after close(), the server's answer to the bye included.
    ['not acknowledged before close(): it is unconfirmed', false, ['a']],
  ])('close() sends bye before the close frame; a message %s', async (_, acked, unconfirmed) => {
    const { socket, server, log, connect } = await session()
    const c1 = await connect()
    c1.send(':x')
    await tick()
    socket.send('a')
    if (acked) c1.send('1')
    await tick()
    socket.close(4000, 'done')
    expect(c1.received.slice(1)).toEqual([':a', '{"t":"bye"}'])
    await tick()
    expect(c1.closeCode).toBe(4000)
    socket.open()
    await tick()
    // A new session: no sid, no epoch, nothing received (a stale one would be refused).
    expect(JSON.parse(server.lastConnection!.received[0] as string)).toEqual({
      t: 'hello',
      proto: PROTOCOL,
      ack: 0,
      max: 1048576,
    })
    await connect(welcome({ sid: 'S2' }))
    expect(log.filter(([n]) => n === 'session').at(-1)![1]).toEqual({
      id: 'S2',
      resumed: false,
      unconfirmed,
    })
  })

  test('close() while disconnected ends the session: the next one reports what was unconfirmed', async () => {
    const { socket, log, connect } = await session()
    const c1 = await connect()
    socket.send('a')
    c1.terminate()
    await tick()
    socket.close()
    socket.open()
    await connect(welcome({ sid: 'S2' }))
    expect(log.filter(([n]) => n === 'session').at(-1)![1]).toEqual({
      id: 'S2',
      resumed: false,
      unconfirmed: ['a'],
    })
  })

  test('bye from the server ends the session: the reconnect starts a new one', async () => {
    const { server, connect } = await session()
    const c1 = await connect()
    c1.send(':x')
    c1.send('{"t":"bye"}')
    c1.close(1000)
    await tick(100)
    expect(server.connections).toHaveLength(2)
    expect(JSON.parse(server.lastConnection!.received[0] as string)).toEqual({
      t: 'hello',
      proto: PROTOCOL,
      ack: 0,
      max: 1048576,
    })
  })

  test('dispose() leaves no timer behind, also with an acknowledgement owed', async () => {
    const { socket, connect } = await session()
    const c = await connect()
    c.send(':m')
    await tick()
    socket.dispose()
    // The fake server's own close takes a task; the 100 ms acknowledgement timer would still run.
    await tick()
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('the heartbeat in a session', () => {
  test('pings with the protocol ping, and the pong is no message', async () => {
    const { socket, connect } = await session({
      heartbeat: { interval: 1000, timeout: 500, message: 'user-ping' },
    })
    const got: unknown[] = []
    socket.on('message', (m) => got.push(m))
    const c = await connect()
    c.onMessage((d) => d === '{"t":"ping"}' && c.send('{"t":"pong"}'))
    await tick(1000)
    expect(c.received.slice(1)).toEqual(['{"t":"ping"}'])
    await tick(600)
    expect(socket.status).toBe('open')
    expect(got).toEqual([])
  })
})

describe('options', () => {
  test.each([0, -1, 1.5, Infinity, '1'])('resume.maxBytes %s throws', (maxBytes) => {
    expect(() => setup({ resume: { maxBytes: maxBytes as number } })).toThrow(/resume\.maxBytes/)
  })

  test('resume: true takes the defaults; the hello says max 1048576', async () => {
    const { server } = await session({ resume: true })
    await tick()
    expect(JSON.parse(server.lastConnection!.received[0] as string).max).toBe(1048576)
  })
})
