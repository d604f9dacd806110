// The lifecycle's two rules (API.md, State): state is committed before it is announced, and any
// method may be called from any listener or callback, acting on the state as it is then. Each
// case below once broke one of them.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { SteadySocket } from '../../src/index'
import { FakeServer } from '../../src/testing/index'
import { TRANSITIONS } from '../../src/phase'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { setup, tick } from './helpers'

const WS_URL = 'ws://example.test/live'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.restoreAllMocks()
  vi.useRealTimers()
})

/** What every kind of listener saw of the socket when told about a close. */
function closeViews(socket: SteadySocket<unknown, unknown>) {
  const seen: string[] = []
  const view = (who: string) =>
    `${who}:${socket.status}/${socket.readyState}/${socket.getSnapshot().status}`
  socket.on('close', () => seen.push(view('on')))
  socket.onclose = () => seen.push(view('onclose'))
  socket.addEventListener('close', () => seen.push(view('listener')))
  return seen
}

async function opened(options = {}) {
  const { socket, server } = setup({
    reconnect: { initialDelay: 1000, jitter: 'none' },
    ...options,
  })
  await tick()
  expect(socket.status).toBe('open')
  return { socket, server, conn: server.lastConnection! }
}

describe('state is committed before it is announced', () => {
  test('after close(), every close listener sees closed and readyState 3', async () => {
    const { socket } = await opened()
    const seen = closeViews(socket)
    socket.close()
    await tick()
    expect(seen).toEqual([
      'on:closed/3/closed',
      'onclose:closed/3/closed',
      'listener:closed/3/closed',
    ])
  })

  test('after a server drop, every close listener sees reconnecting and readyState 0', async () => {
    const { socket, conn } = await opened()
    const seen = closeViews(socket)
    conn.terminate()
    await tick()
    expect(seen).toEqual([
      'on:reconnecting/0/reconnecting',
      'onclose:reconnecting/0/reconnecting',
      'listener:reconnecting/0/reconnecting',
    ])
  })

  test('after a close that ends reconnection, close listeners see closed and readyState 3', async () => {
    const { socket, conn } = await opened()
    const seen = closeViews(socket)
    conn.close(1008, 'policy')
    await tick()
    expect(seen).toEqual([
      'on:closed/3/closed',
      'onclose:closed/3/closed',
      'listener:closed/3/closed',
    ])
  })

  test('an error listener of a heartbeat timeout already sees reconnecting', async () => {
    const { socket, conn } = await opened({ heartbeat: { interval: 1000, timeout: 1000 } })
    conn.stall()
    const seen: string[] = []
    socket.on('error', () => seen.push(`${socket.status}/${socket.getSnapshot().status}`))
    await tick(2500)
    expect(seen).toEqual(['reconnecting/reconnecting'])
  })

  test('subscribers are told once per transition', async () => {
    const { socket, conn } = await opened()
    const statuses: string[] = []
    socket.subscribe(() => statuses.push(socket.getSnapshot().status))
    conn.terminate()
    await tick()
    expect(statuses).toEqual(['reconnecting'])
  })
})

describe('a timer belongs to the attempt that set it', () => {
  test('reconnect() while an async URL provider runs leaves no connect timeout behind', async () => {
    const server = new FakeServer()
    const socket = new SteadySocket(async () => WS_URL, {
      WebSocket: server.WebSocket,
      connectTimeout: 200,
    })
    const errors: string[] = []
    socket.on('error', (e) => errors.push(e.name))
    socket.reconnect() // the first attempt's provider has not resolved yet
    await tick(300) // past both attempts' 200 ms
    expect(errors).toEqual([])
    expect(socket.status).toBe('open')
    await tick(1000)
    expect(socket.status).toBe('open')
    expect(server.connections).toHaveLength(1)
    socket.dispose()
  })

  test('dispose() after reconnect() with an async provider opens nothing later', async () => {
    const server = new FakeServer()
    const socket = new SteadySocket(async () => WS_URL, {
      WebSocket: server.WebSocket,
      connectTimeout: 200,
    })
    socket.reconnect()
    socket.dispose()
    await tick(5000)
    expect(server.connections).toHaveLength(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  test('a nested reconnect() from a status listener leaves one connect timeout', async () => {
    const server = new FakeServer({ mode: 'manual' })
    const { socket } = setup({ connectTimeout: 500, reconnect: { initialDelay: 1000 } }, server)
    let once = true
    socket.on('status', ({ status }) => {
      if (status === 'connecting' && once) {
        once = false
        socket.reconnect()
      }
    })
    socket.reconnect()
    await tick(400)
    server.lastConnection!.accept()
    await tick(400)
    expect(socket.status).toBe('open')
    expect(socket.getSnapshot().lastError).toBeNull()
  })
})

describe('a callback that closes leaves nothing stuck', () => {
  for (const where of ['delay', 'random'] as const) {
    for (const how of ['close', 'dispose'] as const) {
      test(`${how}() from reconnect.${where} ends in closed, with no timer`, async () => {
        const server = new FakeServer()
        const act = () => (how === 'close' ? socket.close() : socket.dispose())
        const add = vi.spyOn(window, 'addEventListener')
        const remove = vi.spyOn(window, 'removeEventListener')
        const socket: SteadySocket<unknown, unknown> = new SteadySocket(WS_URL, {
          WebSocket: server.WebSocket,
          reconnect: where === 'delay' ? { delay: () => (act(), 1000) } : { jitter: 'full' },
          random: where === 'random' ? () => (act(), 0.5) : () => 0.5,
        })
        await tick()
        server.lastConnection!.terminate()
        await tick()
        expect(socket.status).toBe('closed')
        await expect(socket.opened()).rejects.toThrow()
        await tick(60_000)
        expect(server.connections).toHaveLength(1)
        if (how === 'close') {
          socket.open()
          await tick()
          expect(socket.status).toBe('open')
          socket.dispose()
        }
        await tick() // the fake server's own close events
        expect(vi.getTimerCount()).toBe(0)
        expect(remove.mock.calls.length).toBe(add.mock.calls.length)
      })
    }
  }
})

describe('never two live sockets', () => {
  test('reconnect() from a status listener during close() replaces the closing socket', async () => {
    const { socket, server } = await opened()
    socket.once('status', () => socket.reconnect())
    socket.close()
    await tick()
    expect(server.maxConcurrent).toBe(1)
    expect(server.live).toHaveLength(1)
    expect(socket.status).toBe('open')
  })
})

describe('nothing runs after dispose()', () => {
  test('dispose() from the close listener of a close() cut short by open() wins', async () => {
    const { socket, server, conn } = await opened()
    conn.stall() // a slow peer: our close frame waits behind what it has not read
    socket.close()
    expect(socket.status).toBe('closing')
    socket.on('close', () => socket.dispose())
    socket.open()
    await tick(30_000)
    expect(socket.status).toBe('closed')
    expect(server.connections).toHaveLength(1)
  })

  test('close() from that listener wins too', async () => {
    const { socket, server, conn } = await opened()
    conn.stall()
    socket.close()
    socket.on('close', () => socket.close())
    socket.open()
    await tick(30_000)
    expect(socket.status).toBe('closed')
    expect(server.connections).toHaveLength(1)
  })
})

describe('nothing lost or doubled across repeated reconnects', () => {
  test('a message held by a stalled connection arrives once after two reconnect() calls', async () => {
    const { socket, server, conn } = await opened()
    conn.stall()
    expect(socket.send('m1')).toBe('sent')
    socket.reconnect()
    socket.reconnect()
    await tick()
    conn.resume()
    await tick(1000)
    const got = server.connections.flatMap((c) => c.received)
    expect(got.filter((m) => m === 'm1')).toHaveLength(1)
    expect(socket.status).toBe('open')
  })

  test("a 'sent' message still buffered when the socket fails reaches the next connection", async () => {
    const { socket, server, conn } = await opened()
    socket.on('error', () => socket.reconnect())
    const drops = vi.fn()
    socket.on('drop', drops)
    conn.stall()
    expect(socket.send('m')).toBe('sent')
    conn.fail()
    await tick(1000)
    expect(server.connections.length).toBeGreaterThanOrEqual(2)
    expect(server.lastConnection!.received).toEqual(['m'])
    expect(drops).not.toHaveBeenCalled()
  })
})

describe('the transition table', () => {
  test("the README's table lists exactly the allowed transitions", () => {
    const readme = readFileSync(resolve(__dirname, '../../README.md'), 'utf8')
    const section = readme.slice(readme.indexOf('| from | may move to |'))
    const rows = section.split('\n').slice(2)
    const table: Record<string, string[]> = {}
    for (const row of rows) {
      if (!row.startsWith('|')) break
      const [from, to] = row
        .split('|')
        .slice(1, 3)
        .map((cell) => cell.trim())
      table[from!.replace(/`/g, '')] = to!.split(',').map((s) => s.trim().replace(/`/g, ''))
    }
    const expected = Object.fromEntries(
      Object.entries(TRANSITIONS).map(([from, to]) => [from, [...to]]),
    )
    expect(table).toEqual(expected)
  })
})

describe('a callback that disposes', () => {
  test("send() whose codec disposes the socket returns 'dropped' and queues nothing", () => {
    const { socket } = setup<unknown, string>({
      autoConnect: false,
      codec: {
        encode: (m) => {
          socket.dispose()
          return m
        },
        decode: (raw) => raw,
      },
    })
    expect(socket.send('m')).toBe('dropped')
    expect(socket.queueLength).toBe(0)
  })
})
