import { describe, expect, test, vi } from 'vitest'
import { json, SteadySocket } from '../../src/index'
import { isSteadySocketError } from '../../src/errors'
import { TabSocket, type TabSocketOptions } from '../../src/tabs'
import { FakeServer } from '../../src/testing/index'
import { crash, FakeTabs, fakeTimersAndCleanup, settle, tabGroup } from './fake-tabs'
import { record } from './helpers'

const URL = 'ws://example.test/live'

const made = fakeTimersAndCleanup()

type Msg = string

const group = (n: number, options: TabSocketOptions<Msg, Msg> = {}) =>
  tabGroup(URL, made, n, options)

describe('TabSocket: election', () => {
  test('elects exactly one leader, which owns the only connection', async () => {
    const g = group(3)
    expect(g.sockets.map((s) => s.status)).toEqual(['connecting', 'connecting', 'connecting'])
    await settle()
    expect(g.leaders()).toHaveLength(1)
    expect(g.server.connections).toHaveLength(1)
    expect(g.server.maxConcurrent).toBe(1)
    expect(g.sockets.map((s) => s.status)).toEqual(['open', 'open', 'open'])
    expect(g.sockets.map((s) => s.getSnapshot().isLeader)).toEqual(g.sockets.map((s) => s.isLeader))
  })

  test('emits `leader` in the tab that takes the lead, and `open` in every tab', async () => {
    const g = group(1)
    const leaderEvents: boolean[] = []
    g.sockets[0]!.on('leader', ({ isLeader }) => leaderEvents.push(isLeader))
    const follower = g.add()
    const log = record(follower as never)
    await settle()
    expect(leaderEvents).toEqual([true])
    expect(follower.isLeader).toBe(false)
    expect(log.filter(([name]) => name === 'open')).toEqual([['open', { isReconnect: false }]])
    expect(log.filter(([name]) => name === 'status').map(([, p]) => p)).toEqual([
      { status: 'open', previous: 'connecting' },
    ])
  })

  test('a tab joining later follows the leader and mirrors its state', async () => {
    const g = group(1)
    await settle()
    const late = g.add()
    expect(late.status).toBe('connecting')
    await settle()
    expect(late.isLeader).toBe(false)
    expect(late.status).toBe('open')
    expect(late.getSnapshot()).toMatchObject({
      status: 'open',
      readyState: 1,
      attempt: 0,
      url: URL,
    })
    expect(g.server.connections).toHaveLength(1)
  })

  test('a follower mirrors the leader through a reconnect', async () => {
    const g = group(2)
    await settle()
    const follower = g.sockets.find((s) => !s.isLeader)!
    const log = record(follower as never)
    g.server.lastConnection!.fail()
    await settle()
    expect(follower.status).toBe('reconnecting')
    await vi.advanceTimersByTimeAsync(1000)
    await settle()
    expect(follower.status).toBe('open')
    const names = log.map(([name]) => name)
    expect(names).toEqual(['error', 'close', 'status', 'reconnecting', 'status', 'status', 'open'])
    expect(log[0]![1]).toSatisfy((e: unknown) => isSteadySocketError(e, 'ConnectError'))
    expect(follower.getSnapshot().lastError).toBe(log[0]![1])
    expect(log.at(-1)).toEqual(['open', { isReconnect: true }])
    expect(g.server.maxConcurrent).toBe(1)
  })
})

describe('TabSocket: relay', () => {
  test('sends from every tab reach the server in order, through one connection', async () => {
    const g = group(3)
    await settle()
    const results = g.sockets.flatMap((s, i) => [s.send(`${i}:a`), s.send(`${i}:b`)])
    await settle()
    expect(results).toEqual(['sent', 'sent', 'sent', 'sent', 'sent', 'sent'])
    expect(g.server.connections).toHaveLength(1)
    const received = g.server.received as string[]
    expect([...received].sort()).toEqual(['0:a', '0:b', '1:a', '1:b', '2:a', '2:b'])
    for (const i of [0, 1, 2]) {
      expect(received.indexOf(`${i}:a`)).toBeLessThan(received.indexOf(`${i}:b`))
    }
  })

  test('a follower keeps what it sends before any leader exists, and the leader writes it once', async () => {
    const g = group(2)
    // Nothing has been delivered yet: nobody leads.
    expect(g.sockets.map((s) => s.send(`early ${s.isLeader}`))).toEqual(['queued', 'queued'])
    await settle()
    expect(g.server.received).toEqual(['early false', 'early false'])
  })

  test('every tab receives every server message, decoded by its own codec', async () => {
    const world = new FakeTabs()
    const server = new FakeServer()
    type Tick = { n: number }
    const sockets = [0, 1, 2].map(() => {
      const tab = world.tab()
      return new TabSocket<Tick, Tick>(URL, {
        WebSocket: server.WebSocket,
        locks: tab.locks,
        BroadcastChannel: tab.BroadcastChannel,
        codec: json(),
      })
    })
    made.push(...sockets)
    await settle()
    const got = sockets.map(() => [] as Tick[])
    const raw = sockets.map(() => [] as unknown[])
    sockets.forEach((s, i) => {
      s.on('message', (m) => got[i]!.push(m))
      s.onmessage = (e) => raw[i]!.push(e.data)
    })
    server.broadcast('{"n":1}')
    server.broadcast('{"n":2}')
    await settle()
    expect(got).toEqual([
      [{ n: 1 }, { n: 2 }],
      [{ n: 1 }, { n: 2 }],
      [{ n: 1 }, { n: 2 }],
    ])
    expect(raw).toEqual([0, 1, 2].map(() => ['{"n":1}', '{"n":2}']))

    // A frame that does not decode: an error in every tab, each its own DecodeError.
    const errors = sockets.map(() => [] as unknown[])
    sockets.forEach((s, i) => s.on('error', (e) => errors[i]!.push(e)))
    server.broadcast('not json')
    await settle()
    for (const list of errors) {
      expect(list).toHaveLength(1)
      expect(isSteadySocketError(list[0], 'DecodeError')).toBe(true)
    }
    expect(sockets.map((s) => s.status)).toEqual(['open', 'open', 'open'])
    sockets.forEach((s) => s.dispose())
  })

  test("drops in the leader's socket are reported to the tab that sent the message", async () => {
    const g = group(2, { queue: { maxMessages: 1 } })
    g.server.mode = 'manual' // the leader's socket stays CONNECTING: sends queue there
    await settle()
    const follower = g.sockets.find((s) => !s.isLeader)!
    const leader = g.sockets.find((s) => s.isLeader)!
    const drops: unknown[] = []
    const leaderDrops: unknown[] = []
    follower.on('drop', (d) => drops.push(d))
    leader.on('drop', (d) => leaderDrops.push(d))
    expect(follower.send('first')).toBe('queued')
    await settle()
    expect(follower.send('second')).toBe('queued')
    await settle()
    expect(drops).toEqual([{ messages: ['second'], reason: 'overflow' }])
    expect(leaderDrops).toEqual([])
  })

  test('a follower emits `drain` once the leader has taken what it queued', async () => {
    const g = group(2)
    g.server.mode = 'manual'
    await settle()
    const follower = g.sockets.find((s) => !s.isLeader)!
    let drains = 0
    follower.on('drain', () => drains++)
    expect(follower.send('x')).toBe('queued')
    await settle()
    expect(drains).toBe(0) // the leader queued it too: its socket is not open
    g.server.lastConnection!.accept()
    await settle()
    expect(follower.send('y')).toBe('sent')
    await settle()
    expect(drains).toBe(1)
    expect(g.server.received).toEqual(['x', 'y'])
  })

  test('flush() in a follower resolves after the leader wrote its messages', async () => {
    const g = group(2)
    await settle()
    const follower = g.sockets.find((s) => !s.isLeader)!
    follower.send('a')
    let flushed = false
    void follower.flush().then(() => (flushed = true))
    await settle()
    expect(flushed).toBe(true)
    expect(g.server.received).toEqual(['a'])
  })

  test('open() and reconnect() in a follower act on the shared socket', async () => {
    const g = group(2)
    await settle()
    const follower = g.sockets.find((s) => !s.isLeader)!
    follower.reconnect()
    await settle()
    expect(g.server.connections).toHaveLength(2)
    expect(g.server.connections[0]!.closeCode).toBe(1000)
    expect(g.server.live).toHaveLength(1)

    g.server.lastConnection!.close(1008, 'policy') // not retried: the group's socket is closed
    await settle()
    expect(g.sockets.map((s) => s.status)).toEqual(['closed', 'closed'])
    await expect(follower.opened()).rejects.toThrow(/closed/)
    follower.open()
    await settle()
    expect(g.sockets.map((s) => s.status)).toEqual(['open', 'open'])
    expect(g.server.live).toHaveLength(1)
  })

  test('the handshake runs in the leader only, and relayed sends wait for it', async () => {
    let handshakes = 0
    const g = group(1, {
      handshake: (s) =>
        new Promise<void>((resolve) => {
          handshakes++
          s.send('auth')
          setTimeout(resolve, 50)
        }),
    })
    await settle()
    const follower = g.add()
    await settle(60)
    expect(follower.status).toBe('open')
    g.server.lastConnection!.terminate()
    await settle(5)
    follower.send('while down') // queued in the leader's socket
    await vi.advanceTimersByTimeAsync(1000)
    await settle(5) // the new connection is open, its handshake runs
    follower.send('during')
    await settle(60)
    expect(handshakes).toBe(2)
    // Not written ahead of the queue (the handshake's own sends are the only ones that are).
    expect(g.server.connections[1]!.received).toEqual(['auth', 'while down', 'during'])
  })
})

describe('TabSocket: handover', () => {
  test('when the leader crashes another tab takes over; unacknowledged sends arrive exactly once', async () => {
    const g = group(3)
    await settle()
    const leader = g.leaders()[0]!
    const [a, b] = g.sockets.filter((s) => s !== leader) as [
      TabSocket<Msg, Msg>,
      TabSocket<Msg, Msg>,
    ]
    const logA = record(a as never)
    a.send('before')
    await settle()
    crash(g, leader)
    // Sent while nobody leads: kept by the followers until a leader acknowledges them.
    expect(a.send('gap-a1')).toBe('sent')
    expect(b.send('gap-b1')).toBe('sent')
    a.send('gap-a2')
    await settle()
    expect(g.leaders()).toHaveLength(1)
    expect(g.server.live).toHaveLength(1)
    expect(g.server.received.filter((m) => m !== 'before')).toHaveLength(3)
    expect(g.server.received.indexOf('gap-a1')).toBeLessThan(g.server.received.indexOf('gap-a2'))
    for (const m of ['before', 'gap-a1', 'gap-b1', 'gap-a2']) {
      expect(g.server.received.filter((r) => r === m)).toHaveLength(1)
    }
    // In a follower the lost leader looks like a lost connection, then a reconnect.
    expect(a.status).toBe('open')
    const close = logA.find(([name]) => name === 'close')
    expect(close?.[1]).toMatchObject({ code: 1006, wasClean: false, willReconnect: true })
    expect(logA.filter(([name]) => name === 'open').at(-1)).toEqual(['open', { isReconnect: true }])
  })

  test('a send meant for the old leader is re-sent to the new one and written once, in order', async () => {
    const g = group(2)
    await settle()
    const leader = g.leaders()[0]!
    const follower = g.sockets.find((s) => s !== leader)!
    const third = g.add()
    await settle()
    const sender = third // locks go in request order: `follower` leads next
    crash(g, leader)
    sender.send('edge 1') // reaches the next tab before it leads: ignored
    // Step until the next leader took the lock but has not announced itself yet.
    // (A crashed leader sends no `bye`: the next one leads after waiting BYE_WAIT for it.)
    for (let i = 0; i < 300 && !g.leaders().length; i++) await vi.advanceTimersByTimeAsync(1)
    expect(follower.isLeader).toBe(true)
    sender.send('edge 2') // reaches the new leader first, but was meant for the old one
    await settle()
    expect(g.server.received).toEqual(['edge 1', 'edge 2'])
    expect(g.sends('edge 1')).toBe(2)
  })

  test('a message the old leader wrote is not written again when its ack was late', async () => {
    const g = group(3)
    await settle()
    const leader = g.leaders()[0]!
    // Locks are granted in request order: `b` leads next, `a` is the one re-sending.
    const [b, a] = g.sockets.filter((s) => s !== leader) as [
      TabSocket<Msg, Msg>,
      TabSocket<Msg, Msg>,
    ]
    const tab = (s: TabSocket<Msg, Msg>) => g.tabs[g.sockets.indexOf(s)]!
    // The leader's messages reach `a` late, so `a` hears of the next leader before the ack.
    // Later than the next leader's wait for a `bye` (a crashed leader sends none).
    g.world.slow(tab(leader), tab(a), 300)
    a.send('once')
    await vi.advanceTimersByTimeAsync(2) // the leader wrote it and acknowledged it
    expect(g.server.received).toEqual(['once'])
    crash(g, leader)
    await settle(400)
    expect(b.isLeader).toBe(true)
    expect(g.sends('once')).toBe(2) // `a` re-sent it to the new leader…
    expect(g.server.received).toEqual(['once']) // …which knew it was written
  })

  test('a leader that leaves hands its queue to the next leader', async () => {
    const g = group(3)
    g.server.mode = 'manual' // the leader's socket never opens: relayed sends wait in its queue
    await settle()
    const leader = g.leaders()[0]!
    const [a, b] = g.sockets.filter((s) => s !== leader) as [
      TabSocket<Msg, Msg>,
      TabSocket<Msg, Msg>,
    ]
    a.send('a1')
    b.send('b1')
    leader.send('mine')
    await settle()
    const leaderLog = record(leader as never)
    leader.on('leader', (p) => leaderLog.push(['leader', p]))
    g.server.mode = 'accept'
    leader.close()
    expect(leader.status).toBe('closed')
    expect(leader.isLeader).toBe(false)
    expect(leaderLog.map(([name]) => name)).toEqual(['leader', 'close', 'status'])
    await settle()
    expect(g.leaders()).toHaveLength(1)
    expect([...g.server.received].sort()).toEqual(['a1', 'b1'])
    // The leaving tab's own message stays with it, as with SteadySocket.close().
    leader.open()
    await settle()
    expect([...g.server.received].sort()).toEqual(['a1', 'b1', 'mine'])
    expect(g.server.live).toHaveLength(1)
  })

  test('the next leader waits for a `bye` that is slower than the lock', async () => {
    const g = group(2)
    g.server.mode = 'manual'
    await settle()
    const leader = g.leaders()[0]!
    const follower = g.sockets.find((s) => s !== leader)!
    follower.send('queued in the leader')
    await settle()
    // Channel messages now take longer than a lock grant.
    g.world.latency = 5
    g.server.mode = 'accept'
    leader.close()
    await vi.advanceTimersByTimeAsync(2)
    expect(follower.isLeader).toBe(false) // holds the lock, waits for the bye
    await settle()
    expect(follower.isLeader).toBe(true)
    expect(g.server.received).toEqual(['queued in the leader'])
  })

  test('a `bye` read after the next leader stopped waiting for it still hands the queue over', async () => {
    const g = group(2)
    g.server.mode = 'manual'
    await settle()
    const leader = g.leaders()[0]!
    const follower = g.sockets.find((s) => s !== leader)!
    follower.send('queued in the leader')
    await settle()
    g.world.latency = 300 // slower than the wait for it
    g.server.mode = 'accept'
    leader.close()
    await vi.advanceTimersByTimeAsync(200)
    expect(follower.isLeader).toBe(true)
    await settle(400)
    expect(g.server.received).toEqual(['queued in the leader'])
  })

  test('a frozen page leaves the group and joins again when resumed', async () => {
    const g = group(2) // in jsdom both "tabs" share one document: both freeze
    await settle()
    const follower = g.sockets.find((s) => !s.isLeader)!
    document.dispatchEvent(new Event('freeze'))
    expect(g.leaders()).toHaveLength(0)
    expect(g.sockets.map((s) => s.status)).toEqual(['reconnecting', 'reconnecting'])
    await settle()
    expect(g.server.live).toHaveLength(0)
    expect(g.world.holder()).toBe(null)
    expect(follower.send('while frozen')).toBe('queued')
    document.dispatchEvent(new Event('resume'))
    await settle()
    expect(g.leaders()).toHaveLength(1)
    expect(g.sockets.map((s) => s.status)).toEqual(['open', 'open'])
    expect(g.server.received).toEqual(['while frozen'])
    expect(g.server.live).toHaveLength(1)
  })

  test('a hidden page (pagehide) hands over; listeners are gone after close()', async () => {
    const g = group(1)
    await settle()
    window.dispatchEvent(new Event('pagehide'))
    await settle()
    expect(g.server.lastConnection!.closeCode).toBe(1000)
    window.dispatchEvent(new Event('pageshow'))
    await settle()
    expect(g.sockets[0]!.status).toBe('open')
    g.sockets[0]!.close()
    window.dispatchEvent(new Event('pagehide'))
    window.dispatchEvent(new Event('pageshow'))
    await settle()
    expect(g.sockets[0]!.status).toBe('closed')
    expect(g.server.live).toHaveLength(0)
  })

  test('close() in a follower only detaches that tab', async () => {
    const g = group(2)
    await settle()
    const follower = g.sockets.find((s) => !s.isLeader)!
    const leader = g.sockets.find((s) => s.isLeader)!
    follower.close()
    expect(follower.status).toBe('closed')
    await settle()
    expect(leader.status).toBe('open')
    expect(g.server.live).toHaveLength(1)
    // Messages arrive only in the tabs still in the group.
    const got: string[] = []
    follower.on('message', (m) => got.push(m))
    g.server.broadcast('hi')
    await settle()
    expect(got).toEqual([])
    expect(follower.send('later')).toBe('queued')
    follower.open()
    await settle()
    expect(follower.status).toBe('open')
    expect(g.server.received).toEqual(['later'])
    expect(g.server.connections).toHaveLength(1)
  })

  test('the connection closes when the last tab leaves', async () => {
    const g = group(3)
    await settle()
    const leaderFirst = [...g.leaders(), ...g.sockets.filter((s) => !s.isLeader)]
    for (const socket of leaderFirst) {
      socket.close()
      await settle()
      const left = g.sockets.filter((s) => !s.isClosed)
      if (left.length > 0) {
        expect(g.leaders()).toHaveLength(1)
        expect(g.server.live).toHaveLength(1)
      }
    }
    expect(g.server.live).toHaveLength(0)
    expect(g.server.lastConnection!.closeCode).toBe(1000)
    expect(g.world.holder()).toBe(null)
    expect(g.world.waiting).toBe(0)
    expect(g.world.channels.size).toBe(0)
  })

  test('dispose() reports unacknowledged messages once and leaves nothing behind', async () => {
    const g = group(1)
    await settle()
    const follower = g.add()
    g.tabs[0]!.crash() // nobody will acknowledge
    follower.send('stuck')
    const drops: unknown[] = []
    follower.on('drop', (d) => drops.push(d))
    follower.dispose()
    follower.dispose()
    expect(drops).toEqual([{ messages: ['stuck'], reason: 'disposed' }])
    expect(follower.send('after')).toBe('dropped')
    g.sockets[0]!.dispose()
    await settle()
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('TabSocket: without Web Locks or BroadcastChannel', () => {
  test('is a plain SteadySocket: same events, same results', async () => {
    const run = async (make: () => SteadySocket<Msg, Msg> | TabSocket<Msg, Msg>) => {
      const server = new FakeServer()
      server.onConnection((c) => c.onMessage((d) => c.send(d as string)))
      vi.stubGlobal('WebSocket', server.WebSocket)
      const socket = make()
      const log = record(socket as never)
      const status0 = socket.status
      const results = [socket.send('a')]
      await settle()
      results.push(socket.send('b'))
      server.lastConnection!.terminate()
      await settle()
      results.push(socket.send('c'))
      await vi.advanceTimersByTimeAsync(1000)
      await settle()
      socket.close(4000, 'done')
      await settle()
      vi.unstubAllGlobals()
      return { status0, results, log, received: server.received, snap: socket.getSnapshot() }
    }
    const options = { random: () => 1, reconnect: { initialDelay: 1000, jitter: 'none' as const } }
    const plain = await run(() => new SteadySocket<Msg, Msg>(URL, options))
    const tab = await run(() => new TabSocket<Msg, Msg>(URL, options))
    expect(tab.status0).toBe('connecting')
    expect(tab.results).toEqual(plain.results)
    expect(tab.received).toEqual(plain.received)
    expect(tab.log.map(([n]) => n)).toEqual(plain.log.map(([n]) => n))
    expect(JSON.stringify(tab.log)).toEqual(JSON.stringify(plain.log))
    expect({ ...tab.snap, isLeader: undefined }).toEqual({ ...plain.snap, isLeader: undefined })
  })

  test('is its own leader (jsdom has no navigator.locks)', () => {
    const server = new FakeServer()
    const socket = new TabSocket(URL, { WebSocket: server.WebSocket, autoConnect: false })
    expect(socket.isLeader).toBe(true)
    expect(socket.status).toBe('closed')
    socket.open()
    expect(socket.status).toBe('connecting')
    socket.dispose()
  })
})

describe('TabSocket: construction', () => {
  test('validates options like SteadySocket, and needs a channel with a URL provider', () => {
    const server = new FakeServer()
    const WebSocket = server.WebSocket
    expect(() => new TabSocket(URL, { WebSocket, queue: { maxBytes: -1 } })).toThrow(RangeError)
    expect(() => new TabSocket(URL, { WebSocket, bogus: 1 } as never)).toThrow(/unknown option/)
    expect(() => new TabSocket('ftp://x', { WebSocket })).toThrow(SyntaxError)
    expect(() => new TabSocket(() => URL, { WebSocket })).toThrow(/channel/)
    expect(() => new TabSocket(URL, { WebSocket, channel: '' })).toThrow(/channel/)
    const s = new TabSocket(() => URL, { WebSocket, channel: 'live', autoConnect: false })
    expect(s.status).toBe('closed')
    s.dispose()
  })

  test('tabs on different channels do not share', async () => {
    const g = group(1, { channel: 'one' })
    g.add({ channel: 'two' })
    await settle()
    expect(g.leaders()).toHaveLength(2)
    expect(g.server.connections).toHaveLength(2)
  })
})
