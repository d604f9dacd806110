// TabSocket commits its state before it announces it, like SteadySocket: inside every listener
// (typed events, on* handlers, addEventListener, subscribe) `status`, `readyState` and
// `getSnapshot()` show the state the event reports, in the leader's tab and in the others. Also:
// options are normalised once per tab, and the leader's socket hands frames over raw.
import { describe, expect, test, vi } from 'vitest'
import { json, SteadySocket } from '../../src/index'
import * as options from '../../src/options'
import { INTERNAL, type Internal } from '../../src/socket'
import { TabSocket, type TabSocketOptions } from '../../src/tabs'
import { FakeServer } from '../../src/testing/index'
import { crash, fakeTimersAndCleanup, settle, tabGroup } from './fake-tabs'

vi.mock('../../src/options', async (load) => {
  const actual = await load<typeof options>()
  return { ...actual, normalizeOptions: vi.fn(actual.normalizeOptions) }
})

const URL = 'ws://example.test/tabs-state'

const made = fakeTimersAndCleanup()

type Msg = string
type Tab = TabSocket<Msg, Msg>

const group = (n: number, extra: TabSocketOptions<Msg, Msg> = {}) => tabGroup(URL, made, n, extra)

/**
 * What `socket` shows to each kind of listener of `type`, as `kind status readyState snapshot`,
 * and to every subscriber (`subscribe status readyState snapshot`).
 */
function watch(socket: Tab, type: 'close' | 'error') {
  const seen: string[] = []
  const look = (kind: string) =>
    seen.push(`${kind} ${socket.status} ${socket.readyState} ${socket.getSnapshot().status}`)
  socket.on(type, () => look('on'))
  socket[`on${type}`] = () => look('handler')
  socket.addEventListener(type, () => look('listener'))
  socket.subscribe(() => look('subscribe'))
  return seen
}

/** `seen` has each kind of event listener, and every entry shows `status` (and its readyState). */
function expectAll(seen: string[], status: string, readyState: number): void {
  const kinds = new Set(seen.map((s) => s.split(' ')[0]))
  expect([...kinds].sort()).toEqual(['handler', 'listener', 'on', 'subscribe'])
  const wanted = seen.filter((s) => !s.startsWith('subscribe'))
  for (const s of wanted) expect(s.split(' ').slice(1)).toEqual([status, `${readyState}`, status])
}

describe('TabSocket: state committed before it is announced', () => {
  test("a follower's close, when the leader tab leaves, already shows reconnecting", async () => {
    const g = group(2)
    await settle()
    const follower = g.followers()[0]!
    const seen = watch(follower, 'close')
    const closes: unknown[] = []
    follower.on('close', (c) => closes.push([c, follower.getSnapshot().lastClose]))
    g.leader().close()
    await settle(5)
    expectAll(seen, 'reconnecting', 0)
    expect(closes).toEqual([
      [
        { code: 1001, reason: 'leader tab left', wasClean: false, willReconnect: true },
        { code: 1001, reason: 'leader tab left', wasClean: false },
      ],
    ])
  })

  test("a follower's close, when the leader tab crashes, already shows reconnecting", async () => {
    const g = group(3)
    await settle()
    const watcher = g.followers()[1]!
    const seen = watch(watcher, 'close')
    crash(g, g.leader())
    await settle()
    expectAll(seen, 'reconnecting', 0)
    expect(watcher.status).toBe('open')
  })

  test('the tab taking over from a crashed leader shows reconnecting in its close', async () => {
    const g = group(2)
    await settle()
    const next = g.followers()[0]!
    const seen = watch(next, 'close')
    crash(g, g.leader())
    await settle()
    expect(next.isLeader).toBe(true)
    expectAll(seen, 'reconnecting', 0)
  })

  test('close() in a follower: its close event sees closed and readyState 3', async () => {
    const g = group(2)
    await settle()
    const follower = g.followers()[0]!
    const seen = watch(follower, 'close')
    follower.close(4001, 'bye')
    expectAll(seen, 'closed', 3)
    expect(follower.getSnapshot().lastClose).toEqual({ code: 4001, reason: 'bye', wasClean: true })
  })

  test('close() in the leader: `leader` and `close` see closed, readyState 3, isLeader false', async () => {
    const g = group(2)
    await settle()
    const leader = g.leader()
    const seen = watch(leader, 'close')
    const lead: unknown[] = []
    leader.on('leader', (e) =>
      lead.push([e.isLeader, leader.status, leader.getSnapshot().isLeader]),
    )
    leader.close()
    expectAll(seen, 'closed', 3)
    expect(lead).toEqual([[false, 'closed', false]])
  })

  test('a server drop: the close reaches every tab with reconnecting and its lastClose', async () => {
    const g = group(2)
    await settle()
    const tabs = [g.leader(), g.followers()[0]!]
    const seen = tabs.map((s) => watch(s, 'close'))
    const last = tabs.map(() => [] as unknown[])
    tabs.forEach((s, i) => s.on('close', () => last[i]!.push(s.getSnapshot().lastClose)))
    g.server.lastConnection!.close(4000, 'restart')
    await settle(5)
    for (const s of seen) expectAll(s, 'reconnecting', 0)
    const close = { code: 4000, reason: 'restart', wasClean: true }
    expect(last).toEqual([[close], [close]])
    expect(tabs.map((s) => s.getSnapshot().attempt)).toEqual([1, 1])
  })

  test('a connection error: every tab has it in its snapshot inside its `error` listeners', async () => {
    const g = group(2)
    await settle()
    const tabs = [g.leader(), g.followers()[0]!]
    const same = tabs.map(() => [] as boolean[])
    tabs.forEach((s, i) => {
      s.on('error', (e) => same[i]!.push(s.getSnapshot().lastError === e))
      s.onerror = (e) => same[i]!.push(s.getSnapshot().lastError === e.error)
    })
    g.server.lastConnection!.fail()
    await settle(5)
    expect(same).toEqual([
      [true, true],
      [true, true],
    ])
  })

  test('a hidden page: its close event already shows reconnecting', async () => {
    const g = group(1)
    await settle()
    const seen = watch(g.sockets[0]!, 'close')
    window.dispatchEvent(new Event('pagehide'))
    expectAll(seen, 'reconnecting', 0)
    window.dispatchEvent(new Event('pageshow'))
    await settle()
  })

  test('without Web Locks: close() shows closed and readyState 3 in its close event', async () => {
    const server = new FakeServer()
    const tab = new TabSocket<Msg, Msg>(URL, { WebSocket: server.WebSocket })
    made.push(tab)
    await settle(5)
    expect(tab.isLeader).toBe(true)
    const seen = watch(tab, 'close')
    tab.close()
    await settle(5)
    expectAll(seen, 'closed', 3)
  })

  test('without Web Locks: a drop shows reconnecting in the close event', async () => {
    const server = new FakeServer()
    const tab = new TabSocket<Msg, Msg>(URL, { WebSocket: server.WebSocket })
    made.push(tab)
    await settle(5)
    const seen = watch(tab, 'close')
    server.lastConnection!.terminate()
    await settle(5)
    expectAll(seen, 'reconnecting', 0)
  })
})

describe('TabSocket: options and frames', () => {
  test('normalises its options once, also in the tab that leads', async () => {
    const normalize = vi.mocked(options.normalizeOptions)
    normalize.mockClear()
    const g = group(1)
    await settle()
    expect(g.leader().isLeader).toBe(true)
    expect(normalize).toHaveBeenCalledTimes(1)
  })

  test('the leader tab decodes each frame once, with its codec; its raw frame reaches onmessage', async () => {
    const server = new FakeServer()
    let decoded = 0
    const codec = json<{ n: number }, { n: number }>()
    const tab = new TabSocket<{ n: number }, { n: number }>(URL, {
      WebSocket: server.WebSocket,
      codec: { encode: codec.encode, decode: (raw) => (decoded++, codec.decode(raw)) },
    })
    made.push(tab)
    await settle(5)
    const got: unknown[] = []
    tab.on('message', (m) => got.push(m))
    tab.onmessage = (e) => got.push(e.data)
    server.broadcast('{"n":1}')
    await settle(5)
    expect(got).toEqual([{ n: 1 }, '{"n":1}'])
    expect(decoded).toBe(1)
    expect(tab.send({ n: 2 })).toBe('sent')
    expect(server.received).toEqual(['{"n":2}'])
  })
})

describe('TabSocket: the leader tab sees its own socket', () => {
  test('the handshake sees the subprotocol the server chose, in a group and alone', async () => {
    const seen: string[] = []
    const handshake = (s: Tab) => void seen.push(s.protocol)
    group(1, { protocols: ['chat', 'v2'], handshake })
    await settle()
    const server = new FakeServer()
    const alone = new TabSocket<Msg, Msg>(URL, {
      WebSocket: server.WebSocket,
      protocols: 'v2',
      handshake,
    })
    made.push(alone)
    await settle(5)
    expect(seen).toEqual(['chat', 'v2'])
  })
})

describe("SteadySocket's internal path", () => {
  test('takes normalised options as they are, and its tap gets raw frames (pongs aside) in place of decoding', async () => {
    const server = new FakeServer()
    const decode = vi.fn((raw: unknown) => raw)
    const normalized = options.normalizeOptions<unknown, string, unknown>({
      WebSocket: server.WebSocket,
      codec: { encode: (s: string) => s, decode },
      heartbeat: { interval: 1000, isPong: (raw) => raw === 'pong' },
    })
    const frames: unknown[] = []
    const internal: Internal<unknown, string> = {
      options: normalized,
      tap: (raw) => frames.push(raw),
    }
    const normalize = vi.mocked(options.normalizeOptions)
    normalize.mockClear()
    const socket = new SteadySocket<unknown, string>(URL, { [INTERNAL]: internal } as never)
    made.push(socket)
    expect(normalize).not.toHaveBeenCalled()
    const messages: unknown[] = []
    socket.on('message', (m) => messages.push(m))
    await settle(5)
    server.broadcast('a')
    server.broadcast('pong')
    server.broadcast('b')
    await settle(5)
    expect(frames).toEqual(['a', 'b'])
    expect(messages).toEqual([])
    expect(decode).not.toHaveBeenCalled()
  })
})

describe('TabSocket: a follower that closes right after sending', () => {
  test('hears the acknowledgement, so dispose() reports nothing the leader wrote', async () => {
    const g = group(2)
    await settle()
    const follower = g.followers()[0]!
    const drops: unknown[] = []
    follower.on('drop', (d) => drops.push(d))
    expect(follower.send('m')).toBe('sent')
    follower.close() // before the leader's ack crossed the channel
    await settle()
    expect(g.server.received).toEqual(['m'])
    follower.dispose()
    expect(drops).toEqual([])
  })
})

describe('TabSocket: options are a plain object, read by own properties', () => {
  test('a Map as the options throws a TypeError naming them', () => {
    expect(() => new TabSocket(URL, new Map() as never)).toThrow(TypeError)
    expect(() => new TabSocket(URL, new Map() as never)).toThrow('options')
  })

  test('a polluted Object.prototype.channel changes nothing', () => {
    const proto = Object.prototype as { channel?: unknown }
    proto.channel = 42
    try {
      const g = group(1)
      expect(g.sockets[0]!.status).not.toBe('closed')
    } finally {
      delete proto.channel
    }
  })
})
