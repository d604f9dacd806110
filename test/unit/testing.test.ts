import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeConnection, FakeServer, FakeWebSocket } from '../../src/testing'
import type { FakeCloseEvent, FakeMessageEvent } from '../../src/testing'

const WS_URL = 'ws://example.test/live'
const tick = () => vi.advanceTimersByTimeAsync(0)

/** Records a socket's events as short strings. */
function record(socket: FakeWebSocket): string[] {
  const log: string[] = []
  socket.addEventListener('open', () => log.push('open'))
  socket.addEventListener('message', (e) => log.push(`message ${String(e.data)}`))
  socket.addEventListener('error', () => log.push('error'))
  socket.addEventListener('close', (e) => log.push(`close ${e.code} ${e.reason} ${e.wasClean}`))
  return log
}

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

function expectDomError(fn: () => unknown, name: string): void {
  const error = thrown(fn)
  expect(error).toBeInstanceOf(DOMException)
  expect((error as DOMException).name).toBe(name)
}

/** An open client and its connection. */
async function connect(server = new FakeServer()) {
  const socket = new server.WebSocket(WS_URL)
  const connection = server.lastConnection!
  await tick()
  return { server, socket, connection }
}

beforeEach(() => {
  vi.useFakeTimers()
})

afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

describe('FakeWebSocket surface', () => {
  it('exposes the ready-state constants on the class and on instances', () => {
    const { CONNECTING, OPEN, CLOSING, CLOSED } = FakeWebSocket
    expect([CONNECTING, OPEN, CLOSING, CLOSED]).toEqual([0, 1, 2, 3])
    const socket = new FakeWebSocket(WS_URL)
    expect([socket.CONNECTING, socket.OPEN, socket.CLOSING, socket.CLOSED]).toEqual([0, 1, 2, 3])
  })

  it('serialises the URL like new URL(url).href', () => {
    expect(new FakeWebSocket('WS://Example.TEST:80/a/../b?q').url).toBe('ws://example.test/b?q')
  })

  it('maps http: and https: URLs to ws: and wss:', () => {
    expect(new FakeWebSocket('http://example.test/a').url).toBe('ws://example.test/a')
    expect(new FakeWebSocket(new URL('https://example.test/a')).url).toBe('wss://example.test/a')
  })

  it('resolves a relative URL against location', () => {
    expect(new FakeWebSocket('/live').url).toBe(`ws://${location.host}/live`)
  })

  it.each(['http://[::1', 'ftp://example.test/', 'ws://example.test/#top', 'ws://example.test/#'])(
    'throws a SyntaxError for the URL %s',
    (url) => {
      expectDomError(() => new FakeWebSocket(url), 'SyntaxError')
    },
  )

  it.each([['a b'], [''], ['chat', 'chat']])('throws a SyntaxError for subprotocols %j', (...p) => {
    expectDomError(() => new FakeWebSocket(WS_URL, p), 'SyntaxError')
  })

  it('starts CONNECTING with no protocol, extensions or buffered bytes, binaryType blob', () => {
    const socket = new FakeWebSocket(WS_URL, 'chat')
    expect(socket.readyState).toBe(FakeWebSocket.CONNECTING)
    expect([socket.protocol, socket.extensions, socket.bufferedAmount]).toEqual(['', '', 0])
    expect(socket.binaryType).toBe('blob')
  })

  it('accepts binaryType arraybuffer and ignores unknown values, like browsers', () => {
    const socket = new FakeWebSocket(WS_URL)
    socket.binaryType = 'arraybuffer'
    socket.binaryType = 'text' as never
    expect(socket.binaryType).toBe('arraybuffer')
  })

  it('fails like a refused connection when constructed without a server', async () => {
    const socket = new FakeWebSocket(WS_URL)
    const log = record(socket)
    await tick()
    expect(log).toEqual(['error', 'close 1006  false'])
    expect(socket.readyState).toBe(FakeWebSocket.CLOSED)
  })
})

describe('FakeWebSocket events', () => {
  it('delivers events in a later task, not during the call or its microtasks', async () => {
    const server = new FakeServer()
    const log = record(new server.WebSocket(WS_URL))
    await Promise.resolve()
    expect(log).toEqual([])
    await tick()
    expect(log).toEqual(['open'])
  })

  it('delivers events with real timers too', async () => {
    vi.useRealTimers()
    const socket = new new FakeServer().WebSocket(WS_URL)
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(socket.readyState).toBe(FakeWebSocket.OPEN)
  })

  it('delivers the events of one socket in the order they happened', async () => {
    const server = new FakeServer()
    const socket = new server.WebSocket(WS_URL)
    const log = record(socket)
    server.lastConnection!.send('a')
    server.lastConnection!.send('b')
    server.lastConnection!.close(4000, 'bye')
    await tick()
    expect(log).toEqual(['open', 'message a', 'message b', 'close 4000 bye true'])
  })

  it('calls the on* handler in the slot it got when first set', async () => {
    const socket = new new FakeServer().WebSocket(WS_URL)
    const log: string[] = []
    socket.addEventListener('open', () => log.push('first'))
    socket.onopen = () => log.push('handler')
    socket.addEventListener('open', () => log.push('last'))
    socket.onopen = () => log.push('new handler')
    await tick()
    expect(log).toEqual(['first', 'new handler', 'last'])
  })

  it('stops calling an on* handler set to null', async () => {
    const socket = new new FakeServer().WebSocket(WS_URL)
    const onopen = vi.fn()
    socket.onopen = onopen
    socket.onopen = null
    await tick()
    expect(onopen).not.toHaveBeenCalled()
    expect(socket.onopen).toBeNull()
  })

  it('passes plain objects with type, target and currentTarget', async () => {
    const socket = new new FakeServer().WebSocket(WS_URL)
    const onopen = vi.fn()
    socket.onopen = onopen
    await tick()
    expect(onopen).toHaveBeenCalledWith({ type: 'open', target: socket, currentTarget: socket })
  })

  it('calls handleEvent on listener objects', async () => {
    const socket = new new FakeServer().WebSocket(WS_URL)
    const listener = { handleEvent: vi.fn() }
    socket.addEventListener('open', listener)
    await tick()
    expect(listener.handleEvent).toHaveBeenCalledOnce()
  })

  it('removes a once listener after its first call', async () => {
    const { socket, connection } = await connect()
    const listener = vi.fn()
    socket.addEventListener('message', listener, { once: true })
    connection.send('a')
    connection.send('b')
    await tick()
    expect(listener).toHaveBeenCalledOnce()
  })

  it('ignores a second addEventListener of the same listener', async () => {
    const socket = new new FakeServer().WebSocket(WS_URL)
    const listener = vi.fn()
    socket.addEventListener('open', listener)
    socket.addEventListener('open', listener)
    await tick()
    expect(listener).toHaveBeenCalledOnce()
  })

  it('stops calling a removed listener', async () => {
    const socket = new new FakeServer().WebSocket(WS_URL)
    const listener = vi.fn()
    socket.addEventListener('open', listener)
    socket.removeEventListener('open', listener)
    await tick()
    expect(listener).not.toHaveBeenCalled()
  })

  it('keeps calling other listeners when one throws, and rethrows its error asynchronously', async () => {
    const reported: unknown[] = []
    vi.stubGlobal('queueMicrotask', (task: () => void) => {
      try {
        task()
      } catch (error) {
        reported.push(error)
      }
    })
    const socket = new new FakeServer().WebSocket(WS_URL)
    const boom = new Error('boom')
    const after = vi.fn()
    socket.addEventListener('open', () => {
      throw boom
    })
    socket.addEventListener('open', after)
    await tick()
    expect(after).toHaveBeenCalledOnce()
    expect(reported).toEqual([boom])
  })
})

describe('FakeWebSocket send()', () => {
  it('throws InvalidStateError while CONNECTING', () => {
    const socket = new new FakeServer().WebSocket(WS_URL)
    expectDomError(() => socket.send('x'), 'InvalidStateError')
  })

  it('delivers data synchronously to the connection and the server, bufferedAmount staying 0', async () => {
    const { server, socket, connection } = await connect()
    socket.send('hello')
    expect(connection.received).toEqual(['hello'])
    expect(server.received).toEqual(['hello'])
    expect(socket.bufferedAmount).toBe(0)
  })

  it('counts UTF-8 bytes for text, byteLength for buffers and views, size for blobs', async () => {
    const { socket, connection } = await connect()
    connection.stall()
    const sizes: number[] = []
    for (const data of [
      'é€😀',
      new ArrayBuffer(5),
      new Uint8Array(new ArrayBuffer(10), 2, 3),
      new Blob(['abcd']),
    ]) {
      socket.send(data)
      sizes.push(socket.bufferedAmount)
    }
    expect(sizes).toEqual([9, 14, 17, 21])
  })

  it('stringifies data that is neither text nor binary, as WebIDL does', async () => {
    const { socket, connection } = await connect()
    socket.send(42 as never)
    expect(connection.received).toEqual(['42'])
  })

  it('adds the bytes to bufferedAmount and delivers nothing once CLOSING', async () => {
    const { socket, connection } = await connect()
    socket.close()
    socket.send('abc')
    expect(socket.bufferedAmount).toBe(3)
    expect(connection.received).toEqual([])
  })

  it('adds the bytes to bufferedAmount and delivers nothing once CLOSED', async () => {
    const { socket, connection } = await connect()
    connection.close()
    await tick()
    socket.send('abcd')
    expect(socket.bufferedAmount).toBe(4)
    expect(connection.received).toEqual([])
  })
})

describe('FakeWebSocket close()', () => {
  it.each([999, 1001, 1006, 2999, 5000])('throws InvalidAccessError for code %i', async (code) => {
    const { socket } = await connect()
    expectDomError(() => socket.close(code), 'InvalidAccessError')
    expect(socket.readyState).toBe(FakeWebSocket.OPEN)
  })

  it('throws SyntaxError for a reason over 123 UTF-8 bytes', async () => {
    const { socket } = await connect()
    expectDomError(() => socket.close(1000, 'é'.repeat(62)), 'SyntaxError')
    expect(() => socket.close(1000, `${'é'.repeat(61)}a`)).not.toThrow()
  })

  it('clamps and rounds a fractional code like WebIDL', async () => {
    const { socket, connection } = await connect()
    socket.close(2999.5)
    expect(connection.closeCode).toBe(3000)
  })

  it('reaches the server as 1005 without a code, and reports 1005', async () => {
    const { socket, connection } = await connect()
    const log = record(socket)
    socket.close()
    await tick()
    expect(connection.closeCode).toBe(1005)
    expect(log).toEqual(['close 1005  true'])
  })

  it('reaches the server with the code and reason given, and reports them', async () => {
    const { socket, connection } = await connect()
    const log = record(socket)
    socket.close(4001, 'done')
    await tick()
    expect([connection.closeCode, connection.closeReason]).toEqual([4001, 'done'])
    expect(log).toEqual(['close 4001 done true'])
  })

  it('sends 1000 for a reason without a code', async () => {
    const { socket, connection } = await connect()
    socket.close(undefined, 'bye')
    expect(connection.closeCode).toBe(1000)
  })

  it('is CLOSING right after close() and CLOSED at the close event', async () => {
    const { socket } = await connect()
    let atEvent: number | undefined
    socket.onclose = () => (atEvent = socket.readyState)
    socket.close()
    expect(socket.readyState).toBe(FakeWebSocket.CLOSING)
    await tick()
    expect(atEvent).toBe(FakeWebSocket.CLOSED)
  })

  it('fails the connection while CONNECTING: error, then close 1006, and never opens', async () => {
    const server = new FakeServer()
    const socket = new server.WebSocket(WS_URL)
    const log = record(socket)
    socket.close(1000)
    expect(socket.readyState).toBe(FakeWebSocket.CLOSING)
    await tick()
    expect(log).toEqual(['error', 'close 1006  false'])
    expect(server.lastConnection!.state).toBe('closed')
  })

  it('fails with 1006 while CONNECTING even when the server had already closed', async () => {
    const server = new FakeServer()
    const socket = new server.WebSocket(WS_URL)
    const log = record(socket)
    server.lastConnection!.close(4000)
    socket.close()
    await tick()
    expect(log).toEqual(['error', 'close 1006  false'])
  })

  it('does nothing when already CLOSING or CLOSED', async () => {
    const { socket, connection } = await connect()
    const log = record(socket)
    socket.close(4000)
    socket.close(4001)
    await tick()
    socket.close(4002)
    await tick()
    expect(log).toEqual(['close 4000  true'])
    expect(connection.closeCode).toBe(4000)
  })
})

describe('FakeServer', () => {
  it('opens connections after one tick in accept mode, with the first requested protocol', async () => {
    const server = new FakeServer()
    const socket = new server.WebSocket(WS_URL, ['v2', 'v1'])
    expect(socket.readyState).toBe(FakeWebSocket.CONNECTING)
    await tick()
    expect(socket.readyState).toBe(FakeWebSocket.OPEN)
    expect(socket.protocol).toBe('v2')
  })

  it('keeps connections CONNECTING in manual mode until accept(protocol)', async () => {
    const server = new FakeServer({ mode: 'manual' })
    const socket = new server.WebSocket(WS_URL, ['v2', 'v1'])
    await vi.advanceTimersByTimeAsync(60_000)
    expect(socket.readyState).toBe(FakeWebSocket.CONNECTING)
    server.lastConnection!.accept('v1')
    await tick()
    expect([socket.readyState, socket.protocol]).toEqual([FakeWebSocket.OPEN, 'v1'])
  })

  it('fails connections in refuse mode: error, then close 1006', async () => {
    const server = new FakeServer({ mode: 'refuse' })
    const log = record(new server.WebSocket(WS_URL))
    await tick()
    expect(log).toEqual(['error', 'close 1006  false'])
  })

  it('fails a connection refused in manual mode: error, then close 1006', async () => {
    const server = new FakeServer({ mode: 'manual' })
    const log = record(new server.WebSocket(WS_URL))
    server.lastConnection!.refuse()
    await tick()
    expect(log).toEqual(['error', 'close 1006  false'])
  })

  it('answers each connection with the mode set when it is made', async () => {
    const server = new FakeServer()
    const first = new server.WebSocket(WS_URL)
    server.mode = 'refuse'
    const second = new server.WebSocket(WS_URL)
    await tick()
    expect([first.readyState, second.readyState]).toEqual([
      FakeWebSocket.OPEN,
      FakeWebSocket.CLOSED,
    ])
  })

  it('rejects an unknown mode with a TypeError', () => {
    expect(() => new FakeServer({ mode: 'open' as never })).toThrow(TypeError)
  })

  it('throws from accept() with a protocol the client did not request', () => {
    const server = new FakeServer({ mode: 'manual' })
    new server.WebSocket(WS_URL, 'v1')
    expect(() => server.lastConnection!.accept('v2')).toThrow(/not a requested/)
  })

  it('fails the client when accept() picks no protocol although some were requested', async () => {
    const server = new FakeServer({ mode: 'manual' })
    const log = record(new server.WebSocket(WS_URL, 'v1'))
    server.lastConnection!.accept('')
    await tick()
    expect(log).toEqual(['error', 'close 1006  false'])
  })

  it('throws when a connection is answered twice', () => {
    const server = new FakeServer()
    new server.WebSocket(WS_URL)
    expect(() => server.lastConnection!.refuse()).toThrow(/already/)
  })

  it('ignores accept() after the client gave up', async () => {
    const server = new FakeServer({ mode: 'manual' })
    const socket = new server.WebSocket(WS_URL)
    const log = record(socket)
    socket.close()
    server.lastConnection!.accept()
    await tick()
    expect(log).toEqual(['error', 'close 1006  false'])
  })

  it('lists every connection in order, the latest as lastConnection', () => {
    const server = new FakeServer()
    const sockets = [new server.WebSocket(WS_URL), new server.WebSocket(WS_URL)]
    expect(server.connections.map((c) => c.socket)).toEqual(sockets)
    expect(server.lastConnection!.socket).toBe(sockets[1])
  })

  it('exposes the URL and the requested protocols on the connection', () => {
    const server = new FakeServer()
    new server.WebSocket('http://example.test/x', ['a', 'b'])
    expect(server.lastConnection!.url).toBe('ws://example.test/x')
    expect(server.lastConnection!.protocols).toEqual(['a', 'b'])
    expect(server.lastConnection).toBeInstanceOf(FakeConnection)
  })

  it('counts as live only connections whose client is CONNECTING or OPEN', async () => {
    const { server, socket } = await connect()
    const connecting = new server.WebSocket(WS_URL)
    socket.close()
    expect(server.live.map((c) => c.socket)).toEqual([connecting])
  })

  it('records the most connections live at once in maxConcurrent', async () => {
    const server = new FakeServer()
    const a = new server.WebSocket(WS_URL)
    const b = new server.WebSocket(WS_URL)
    a.close()
    b.close()
    new server.WebSocket(WS_URL)
    await tick()
    expect([server.live.length, server.maxConcurrent]).toEqual([1, 2])
  })

  it('collects the data of every client in received, in arrival order', async () => {
    const { server, socket: a } = await connect()
    const { socket: b } = await connect(server)
    a.send('a1')
    b.send('b1')
    a.send('a2')
    expect(server.received).toEqual(['a1', 'b1', 'a2'])
  })

  it('calls onConnection listeners synchronously with each connection until unsubscribed', () => {
    const server = new FakeServer()
    const listener = vi.fn()
    const off = server.onConnection(listener)
    new server.WebSocket(WS_URL)
    expect(listener).toHaveBeenCalledWith(server.lastConnection)
    off()
    new server.WebSocket(WS_URL)
    expect(listener).toHaveBeenCalledOnce()
  })

  it('lets an onConnection listener send a greeting that arrives after open', async () => {
    const server = new FakeServer()
    server.onConnection((connection) => connection.send('welcome'))
    const log = record(new server.WebSocket(WS_URL))
    await tick()
    expect(log).toEqual(['open', 'message welcome'])
  })

  it('broadcasts to open connections only', async () => {
    const { server, socket } = await connect()
    server.mode = 'manual'
    const pending = record(new server.WebSocket(WS_URL))
    const log = record(socket)
    server.broadcast('news')
    await tick()
    expect(log).toEqual(['message news'])
    expect(pending).toEqual([])
  })

  it('terminates live connections and forgets everything on reset()', async () => {
    const server = new FakeServer({ mode: 'manual' })
    const listener = vi.fn()
    server.onConnection(listener)
    const log = record(new server.WebSocket(WS_URL))
    server.mode = 'refuse'
    server.reset()
    await tick()
    expect(log).toEqual(['error', 'close 1006  false'])
    expect([server.connections, server.received, server.maxConcurrent]).toEqual([[], [], 0])
    expect(server.mode).toBe('manual')
    new server.WebSocket(WS_URL)
    expect(listener).toHaveBeenCalledOnce()
  })

  it('connects sockets made from a subclass of server.WebSocket', async () => {
    const server = new FakeServer()
    class Logged extends server.WebSocket {}
    const socket = new Logged(WS_URL)
    await tick()
    expect(socket.readyState).toBe(FakeWebSocket.OPEN)
  })
})

describe('FakeConnection', () => {
  it('delivers send() to the client as a message event', async () => {
    const { socket, connection } = await connect()
    const onmessage = vi.fn()
    socket.onmessage = onmessage
    connection.send('hi')
    await tick()
    expect(onmessage).toHaveBeenCalledWith({
      type: 'message',
      data: 'hi',
      origin: 'ws://example.test',
      lastEventId: '',
      source: null,
      ports: [],
      target: socket,
      currentTarget: socket,
    })
  })

  it('delivers binary as a Blob by default and as an ArrayBuffer with binaryType arraybuffer', async () => {
    const { socket, connection } = await connect()
    const data: unknown[] = []
    socket.onmessage = (e: FakeMessageEvent) => data.push(e.data)
    connection.send(new Uint8Array([1, 2]))
    await tick()
    socket.binaryType = 'arraybuffer'
    connection.send(new Uint8Array([3]))
    await tick()
    expect(data[0]).toBeInstanceOf(Blob)
    expect(new Uint8Array(await (data[0] as Blob).arrayBuffer())).toEqual(new Uint8Array([1, 2]))
    expect(new Uint8Array(data[1] as ArrayBuffer)).toEqual(new Uint8Array([3]))
  })

  it('snapshots binary data at send() time', async () => {
    const { socket, connection } = await connect()
    socket.binaryType = 'arraybuffer'
    let received: ArrayBuffer | undefined
    socket.onmessage = (e) => (received = e.data as ArrayBuffer)
    const bytes = new Uint8Array([1])
    connection.send(bytes)
    bytes[0] = 9
    await tick()
    expect(new Uint8Array(received!)).toEqual(new Uint8Array([1]))
  })

  it('throws from send() before the connection is accepted', () => {
    const server = new FakeServer({ mode: 'manual' })
    new server.WebSocket(WS_URL)
    expect(() => server.lastConnection!.send('x')).toThrow(/accept/)
  })

  it('ignores send() once the server has closed', async () => {
    const { socket, connection } = await connect()
    const log = record(socket)
    connection.close()
    connection.send('late')
    await tick()
    expect(log).toEqual(['close 1000  true'])
  })

  it('drops messages that arrive after the client called close()', async () => {
    const { socket, connection } = await connect()
    const log = record(socket)
    connection.send('in flight')
    socket.close()
    await tick()
    expect(log).toEqual(['close 1005  true'])
  })

  it('closes cleanly with the code and reason given', async () => {
    const { socket, connection } = await connect()
    let event: FakeCloseEvent | undefined
    socket.onclose = (e) => (event = e)
    connection.close(1001, 'going away')
    await tick()
    expect(event).toMatchObject({ code: 1001, reason: 'going away', wasClean: true })
    // The client echoed the close frame, as browsers do: the handshake is complete.
    expect(connection.state).toBe('closed')
    expect([connection.closeCode, connection.closeReason]).toEqual([1001, 'going away'])
  })

  it('closes with 1000 and no reason by default', async () => {
    const { socket, connection } = await connect()
    const log = record(socket)
    connection.close()
    await tick()
    expect(log).toEqual(['close 1000  true'])
  })

  it('closes without a status code for close(1005): the client reports 1005', async () => {
    const { socket, connection } = await connect()
    const log = record(socket)
    connection.close(1005)
    await tick()
    expect(log).toEqual(['close 1005  true'])
  })

  it.each([999, 1004, 1006, 1015, 5000])('refuses to put %i in a close frame', async (code) => {
    const { connection } = await connect()
    expect(() => connection.close(code)).toThrow(RangeError)
  })

  it('terminates an open connection: close 1006 with wasClean false and no error, as in Chromium', async () => {
    const { socket, connection } = await connect()
    const log = record(socket)
    connection.terminate()
    await tick()
    expect(log).toEqual(['close 1006  false'])
    expect(connection.state).toBe('closed')
  })

  it('fails an open connection like a protocol error: error, then close 1006', async () => {
    const { socket, connection } = await connect()
    const log = record(socket)
    connection.fail()
    await tick()
    expect(log).toEqual(['error', 'close 1006  false'])
    expect(connection.state).toBe('closed')
  })

  it('reports only the first close when the server closes and then terminates', async () => {
    const { socket, connection } = await connect()
    const log = record(socket)
    connection.close(4000)
    connection.terminate()
    await tick()
    expect(log).toEqual(['close 4000  true'])
  })

  it('buffers what the client sends after terminate() but before it learns of it', async () => {
    const { socket, connection } = await connect()
    connection.terminate()
    socket.send('lost')
    expect(socket.bufferedAmount).toBe(4)
    expect(connection.received).toEqual([])
  })

  it('reads what the client sends after the server closed, until the close event', async () => {
    const { socket, connection } = await connect()
    connection.close()
    socket.send('crossing')
    expect(connection.received).toEqual(['crossing'])
  })

  it('calls onMessage listeners with each message until unsubscribed', async () => {
    const { socket, connection } = await connect()
    const listener = vi.fn()
    const off = connection.onMessage(listener)
    socket.send('a')
    off()
    socket.send('b')
    expect(listener.mock.calls).toEqual([['a', connection]])
  })

  it('reports whether the client is live', async () => {
    const { socket, connection } = await connect()
    expect(connection.isLive).toBe(true)
    socket.close()
    expect(connection.isLive).toBe(false)
  })
})

describe('FakeConnection stall()', () => {
  it('holds back what the client sends and counts it in bufferedAmount', async () => {
    const { socket, connection } = await connect()
    connection.stall()
    socket.send('abc')
    socket.send('de')
    expect(connection.received).toEqual([])
    expect(socket.bufferedAmount).toBe(5)
  })

  it('delivers everything pending in order on resume() and brings bufferedAmount to 0', async () => {
    const { server, socket, connection } = await connect()
    connection.stall()
    socket.send('abc')
    socket.send('de')
    connection.resume()
    expect(connection.received).toEqual(['abc', 'de'])
    expect(server.received).toEqual(['abc', 'de'])
    expect(socket.bufferedAmount).toBe(0)
    socket.send('f')
    expect(connection.received).toEqual(['abc', 'de', 'f'])
  })

  it('drains whole messages only, counting partly sent bytes as transmitted', async () => {
    const { socket, connection } = await connect()
    connection.stall()
    for (const data of ['aaaa', 'bbbb', 'cc']) socket.send(data)
    connection.drain(6)
    expect(connection.received).toEqual(['aaaa'])
    expect(socket.bufferedAmount).toBe(4)
    connection.drain(2)
    expect(connection.received).toEqual(['aaaa', 'bbbb'])
    expect(socket.bufferedAmount).toBe(2)
    socket.send('d')
    expect(connection.received).toEqual(['aaaa', 'bbbb'])
  })

  it('keeps the untransmitted bytes in bufferedAmount when the server closes', async () => {
    const { server, socket, connection } = await connect()
    connection.stall()
    socket.send('unsent')
    connection.close(1001)
    await tick()
    connection.resume()
    expect(socket.readyState).toBe(FakeWebSocket.CLOSED)
    expect(socket.bufferedAmount).toBe(6)
    expect([connection.received, server.received]).toEqual([[], []])
  })

  it('keeps the untransmitted bytes in bufferedAmount when the server terminates', async () => {
    const { server, socket, connection } = await connect()
    connection.stall()
    socket.send('unsent')
    connection.drain(2)
    connection.terminate()
    await tick()
    expect(socket.bufferedAmount).toBe(4)
    expect([connection.received, server.received]).toEqual([[], []])
  })

  it('queues the client close frame behind the stalled data', async () => {
    const { socket, connection } = await connect()
    const log = record(socket)
    connection.stall()
    socket.send('last words')
    socket.close(1000)
    await tick()
    expect([log, connection.closeCode]).toEqual([[], undefined])
    connection.resume()
    await tick()
    expect(connection.received).toEqual(['last words'])
    expect(log).toEqual(['close 1000  true'])
  })

  it('sets the client bufferedAmount with setBufferedAmount()', async () => {
    const { socket, connection } = await connect()
    connection.setBufferedAmount(2_000_000)
    expect(socket.bufferedAmount).toBe(2_000_000)
  })
})
