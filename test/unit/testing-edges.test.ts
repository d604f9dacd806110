// `steadysocket/testing` against a real browser WebSocket (WHATWG WebSockets and DOM standards,
// and Chromium 156 as observed with a `ws` server): what an audit found the fake did differently
// (failure and close semantics, event objects, listener registration, argument handling), and
// behaviour no other suite pins.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeServer, FakeWebSocket } from '../../src/testing'

const WS_URL = 'ws://example.test/live'
const tick = () => vi.advanceTimersByTimeAsync(0)

function record(socket: FakeWebSocket): string[] {
  const log: string[] = []
  socket.addEventListener('open', () => log.push(`open rs=${socket.readyState}`))
  socket.addEventListener('message', (e) => log.push(`message ${String(e.data)}`))
  socket.addEventListener('error', () => log.push(`error rs=${socket.readyState}`))
  socket.addEventListener('close', (e) => log.push(`close ${e.code} ${e.wasClean}`))
  return log
}

async function connect(server = new FakeServer()) {
  const socket = new server.WebSocket(WS_URL)
  const connection = server.lastConnection!
  await tick()
  return { server, socket, connection }
}

/** Collects errors the kit reports asynchronously (queueMicrotask rethrow). */
function captureReported(): unknown[] {
  const reported: unknown[] = []
  vi.stubGlobal('queueMicrotask', (task: () => void) => {
    try {
      task()
    } catch (error) {
      reported.push(error)
    }
  })
  return reported
}

beforeEach(() => {
  vi.useFakeTimers()
})

afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
  document.querySelectorAll('base').forEach((b) => b.remove())
})

describe('failure and close semantics', () => {
  // WHATWG WebSockets, "feedback from the protocol": `error` is fired only if the UA was
  // required to *fail the WebSocket connection* (handshake failure, protocol error) or the
  // socket was flagged full. An abrupt TCP close after open is RFC 6455 §7.1.5 "closed" with
  // code 1006, not a failure. Chromium 156, ws server doing socket.destroy() or
  // socket.resetAndDestroy() after open: events are exactly `open`, `close 1006 false`.
  it('terminate() after open: close 1006 without an error event (Chromium, WHATWG)', async () => {
    const server = new FakeServer()
    const socket = new server.WebSocket(WS_URL)
    const log = record(socket)
    await tick()
    server.lastConnection!.terminate()
    await tick()
    expect(log).toEqual(['open rs=1', 'close 1006 false'])
  })

  it('terminate() while the client is CLOSING: close 1006 without an error event (Chromium)', async () => {
    const { socket, connection } = await connect()
    const log = record(socket)
    connection.stall() // the server does not read the client's close frame
    socket.close(4000)
    connection.terminate()
    await tick()
    expect(log).toEqual(['close 1006 false'])
  })

  // RFC 6455 §5.5.1: an endpoint receiving a Close frame sends a Close frame in response,
  // typically echoing the status code. Chromium echoes code and reason (a ws server's 'close'
  // event saw 4000 "bye" after ws.close(4000, 'bye')). After the client's close event the
  // closing handshake is over, so the server's view should be 'closed'.
  it("server close(): the client's echo arrives and the connection ends 'closed'", async () => {
    const { socket, connection } = await connect()
    const log = record(socket)
    connection.close(4000, 'bye')
    await tick()
    expect(log).toEqual(['close 4000 true'])
    expect(connection.state).toBe('closed')
    expect([connection.closeCode, connection.closeReason]).toEqual([4000, 'bye'])
  })
})

describe('event objects', () => {
  // WHATWG WebSockets, "When a WebSocket message has been received": fire an event named
  // message using MessageEvent, with the origin attribute initialized to the serialization of
  // the WebSocket's url's origin. Chromium: origin 'ws://127.0.0.1:PORT', lastEventId '',
  // source null, ports [].
  it('message events carry MessageEvent origin/lastEventId/source/ports', async () => {
    const { socket, connection } = await connect()
    let event: Record<string, unknown> | undefined
    socket.onmessage = (e) => (event = e as unknown as Record<string, unknown>)
    connection.send('hi')
    await tick()
    expect(event).toMatchObject({
      origin: 'ws://example.test',
      lastEventId: '',
      source: null,
      ports: [],
    })
  })
})

describe('addEventListener / removeEventListener (DOM standard)', () => {
  // DOM §2.7 "add an event listener": if listener's signal is aborted, return; if a signal is
  // given, add an abort algorithm that removes the listener. Chromium honours it.
  it('honours the signal option: removed when the signal aborts', async () => {
    const { socket, connection } = await connect()
    const controller = new AbortController()
    const listener = vi.fn()
    socket.addEventListener('message', listener, { signal: controller.signal } as never)
    connection.send('a')
    await tick()
    controller.abort()
    connection.send('b')
    await tick()
    expect(listener).toHaveBeenCalledOnce()
  })

  it('honours an already-aborted signal: the listener is never added', async () => {
    const socket = new new FakeServer().WebSocket(WS_URL)
    const listener = vi.fn()
    socket.addEventListener('open', listener, { signal: AbortSignal.abort() } as never)
    await tick()
    expect(listener).not.toHaveBeenCalled()
  })

  // DOM: listeners are deduplicated on (type, callback, capture). Sockets have no capture
  // phase but capture listeners still run at the target. Chromium: f added plain and with
  // capture → called twice; removeEventListener(f, true) leaves the non-capture f in place.
  it('treats (listener, capture) as a distinct registration from (listener, no capture)', async () => {
    const socket = new new FakeServer().WebSocket(WS_URL)
    const listener = vi.fn()
    socket.addEventListener('open', listener)
    socket.addEventListener('open', listener, true)
    socket.addEventListener('open', listener, { capture: true })
    await tick()
    expect(listener).toHaveBeenCalledTimes(2)
  })

  it('removeEventListener(type, f, true) does not remove the non-capture f', async () => {
    const socket = new new FakeServer().WebSocket(WS_URL)
    const listener = vi.fn()
    socket.addEventListener('open', listener)
    ;(socket.removeEventListener as (t: string, l: unknown, c: boolean) => void)(
      'open',
      listener,
      true,
    )
    await tick()
    expect(listener).toHaveBeenCalledOnce()
  })

  // WebIDL: `EventListener? callback` converts undefined to null, and DOM "add an event
  // listener" returns when callback is null. Chromium: addEventListener('open', undefined) is
  // a silent no-op.
  it('ignores addEventListener(type, undefined) without reporting an error later', async () => {
    const reported = captureReported()
    const socket = new new FakeServer().WebSocket(WS_URL)
    socket.addEventListener('open', undefined as never)
    await tick()
    expect(reported).toEqual([])
  })
})

describe('construction and send() argument handling', () => {
  // WHATWG WebSockets constructor: "Let baseURL be this's relevant settings object's API base
  // URL" (the document base URL, which <base href> changes). Chromium with
  // <base href="http://other.test/dir/">: new WebSocket('x').url === 'ws://other.test/dir/x'.
  it('resolves a relative URL against the document base URL, not location.href', () => {
    const base = document.createElement('base')
    base.href = 'http://other.test/dir/'
    document.head.append(base)
    expect(new FakeWebSocket('x').url).toBe('ws://other.test/dir/x')
  })

  // WebIDL overload resolution: a required argument missing → TypeError. Chromium:
  // "Failed to execute 'send' on 'WebSocket': 1 argument required, but only 0 present."
  it('send() with no argument throws a TypeError instead of sending "undefined"', async () => {
    const { socket, connection } = await connect()
    expect(() => (socket.send as () => void)()).toThrow(TypeError)
    expect(connection.received).toEqual([])
  })

  it('new WebSocket() with no URL throws a TypeError', () => {
    expect(() => new (FakeWebSocket as unknown as new () => FakeWebSocket)()).toThrow(TypeError)
  })

  // WHATWG send(BufferSource): the bytes are those in the buffer at the time of the call
  // (Chromium copies them synchronously: sending b=[1], then b[0]=9, then b again, the peer
  // receives [1] and [9]). A client encoder that reuses one scratch buffer is common.
  it('snapshots binary data at client send() time, as the server receives it', async () => {
    const { server, socket } = await connect()
    const scratch = new Uint8Array([1])
    socket.send(scratch)
    scratch[0] = 9
    socket.send(scratch)
    const got = server.received.map((d) => [...new Uint8Array(d as Uint8Array)])
    expect(got).toEqual([[1], [9]])
  })

  it('snapshots binary data at send() time while the connection is stalled', async () => {
    const { socket, connection } = await connect()
    connection.stall()
    const scratch = new Uint8Array([1, 2])
    socket.send(scratch)
    scratch.fill(0)
    connection.resume()
    expect([...new Uint8Array(connection.received[0] as Uint8Array)]).toEqual([1, 2])
  })

  // Chromium sends a detached ArrayBuffer (transferred with postMessage) as an empty binary frame
  // and counts 0 bytes; it does not throw.
  it('sends a detached buffer as an empty frame, as Chromium does', async () => {
    const { server, socket } = await connect()
    const buffer = new ArrayBuffer(4)
    const view = new Uint16Array(buffer)
    structuredClone(buffer, { transfer: [buffer] })
    socket.send(buffer)
    socket.send(view)
    expect(socket.bufferedAmount).toBe(0)
    expect(server.received.map((d) => (d as ArrayBuffer).byteLength)).toEqual([0, 0])
    expect(server.received[1]).toBeInstanceOf(Uint16Array)
  })

  // Kit API: ServerData is string | ArrayBuffer | ArrayBufferView ("a server sends text or
  // bytes, never a Blob"). From JS, a Blob or a number must be refused, not turned into an
  // empty or zero-filled binary frame.
  it('FakeConnection.send() rejects data that is not text or bytes', async () => {
    const { connection } = await connect()
    expect(() => connection.send(new Blob(['ab']) as never)).toThrow(TypeError)
    expect(() => connection.send(3 as never)).toThrow(TypeError)
  })
})

describe('other browser behaviour', () => {
  // WHATWG close(): code/reason validation (steps 1–2) precedes the readyState checks.
  it('validates close() arguments even when already CLOSED', async () => {
    const { socket, connection } = await connect()
    connection.close()
    await tick()
    expect(() => socket.close(1005)).toThrow(
      expect.objectContaining({ name: 'InvalidAccessError' }),
    )
    expect(() => socket.close(1000, 'x'.repeat(124))).toThrow(
      expect.objectContaining({ name: 'SyntaxError' }),
    )
  })

  // Chromium: close() while CONNECTING → readyState CLOSING at once; error and close seen at
  // readyState CLOSED. Failed handshake (refuse / terminate a pending one) likewise.
  it('reports error at readyState CLOSED after close() while CONNECTING and after a pending terminate()', async () => {
    const server = new FakeServer({ mode: 'manual' })
    const a = new server.WebSocket(WS_URL)
    const logA = record(a)
    a.close()
    const b = new server.WebSocket(WS_URL)
    const logB = record(b)
    server.lastConnection!.terminate()
    await tick()
    expect(logA).toEqual(['error rs=3', 'close 1006 false'])
    expect(logB).toEqual(['error rs=3', 'close 1006 false'])
  })

  // Chromium: onopen set, set to null, set again → the new handler goes last.
  it('appends an on* handler re-set after null at the end of the listener list', async () => {
    const socket = new new FakeServer().WebSocket(WS_URL)
    const log: string[] = []
    socket.addEventListener('open', () => log.push('first'))
    socket.onopen = () => log.push('h')
    socket.addEventListener('open', () => log.push('last'))
    socket.onopen = null
    socket.onopen = () => log.push('h2')
    await tick()
    expect(log).toEqual(['first', 'last', 'h2'])
  })

  // DOM "dispatch": the listener list is cloned; removed listeners are skipped, added ones wait.
  it('skips a listener removed mid-dispatch and does not call one added mid-dispatch', async () => {
    const socket = new new FakeServer().WebSocket(WS_URL)
    const log: string[] = []
    const second = () => log.push('second')
    const late = () => log.push('late')
    socket.addEventListener('open', () => {
      log.push('first')
      socket.removeEventListener('open', second)
      socket.addEventListener('open', late)
    })
    socket.addEventListener('open', second)
    await tick()
    expect(log).toEqual(['first'])
  })

  it('calls handleEvent with this = the listener object, functions with this = the socket', async () => {
    const socket = new new FakeServer().WebSocket(WS_URL)
    const seen: unknown[] = []
    const object = {
      handleEvent() {
        seen.push(this)
      },
    }
    socket.addEventListener('open', object)
    socket.addEventListener('open', function (this: unknown) {
      seen.push(this)
    })
    await tick()
    expect(seen).toEqual([object, socket])
  })

  // WHATWG: text frames are always strings, whatever binaryType; blobs have type ''.
  it('delivers text as a string under arraybuffer, and blobs with an empty type', async () => {
    const { socket, connection } = await connect()
    const data: unknown[] = []
    socket.onmessage = (e) => data.push(e.data)
    connection.send(new ArrayBuffer(1))
    await tick()
    socket.binaryType = 'arraybuffer'
    connection.send('t')
    await tick()
    expect((data[0] as Blob).type).toBe('')
    expect(data[1]).toBe('t')
  })

  it('adds byteLength to bufferedAmount for binary sent once CLOSED', async () => {
    const { socket, connection } = await connect()
    connection.close()
    await tick()
    socket.send(new Uint8Array(7))
    socket.send(new Blob(['abc']))
    expect(socket.bufferedAmount).toBe(10)
  })

  it('runs a full exchange and a server close with real timers', async () => {
    vi.useRealTimers()
    const server = new FakeServer()
    server.onConnection((c) => c.onMessage((d) => c.send(`echo ${String(d)}`)))
    const socket = new server.WebSocket(WS_URL)
    const log = record(socket)
    socket.onopen = () => socket.send('x')
    socket.onmessage = () => server.lastConnection!.close(4001)
    await new Promise<void>((resolve) => socket.addEventListener('close', () => resolve()))
    expect(log).toEqual(['open rs=1', 'message echo x', 'close 4001 true'])
  })

  it('keeps readyState OPEN until the close event when the server closes (as Chromium)', async () => {
    const { socket, connection } = await connect()
    connection.close()
    expect(socket.readyState).toBe(FakeWebSocket.OPEN)
    await tick()
    expect(socket.readyState).toBe(FakeWebSocket.CLOSED)
  })
})
