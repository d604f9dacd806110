// Edges of `steadysocket/tabs` found by an audit against API.md and the README's "One connection
// for all tabs": late joiners, handovers slower than a lock grant, flush() across leaders,
// snapshots during the `leader` event, and what a hidden leader hands over.
import { describe, expect, test, vi } from 'vitest'
import { json } from '../../src/index'
import { isSteadySocketError } from '../../src/errors'
import { TabSocket, type TabSocketOptions } from '../../src/tabs'
import { FakeServer } from '../../src/testing/index'
import { crash, FakeTabs, fakeTimersAndCleanup, settle, tabGroup } from './fake-tabs'
import { record } from './helpers'

const URL = 'ws://example.test/tabs-edges'

const made = fakeTimersAndCleanup()

type Msg = string

const group = (n: number, options: TabSocketOptions<Msg, Msg> = {}) =>
  tabGroup(URL, made, n, options)

/** Constructs a tab whose window/document listeners do not attach (so a shared jsdom pagehide skips it). */
function withoutPageEvents<T>(make: () => T): T {
  const w = window.addEventListener
  const d = document.addEventListener
  window.addEventListener = (() => {}) as never
  document.addEventListener = (() => {}) as never
  try {
    return make()
  } finally {
    window.addEventListener = w
    document.addEventListener = d
  }
}

// ---------------------------------------------------------------------------------------------
// Discrepancies
// ---------------------------------------------------------------------------------------------

describe('TabSocket discrepancies', () => {
  test('a late-joining follower never emits `message` before its `open`', async () => {
    // API.md "Order on open: handshake → queue flush → open event"; a SteadySocket never emits
    // a message while not open. README: a follower's status mirrors the leader's connection.
    const g = group(2)
    await settle()
    g.server.broadcast('in flight') // the leader casts it before it hears the newcomer's hello
    const late = g.add()
    const seen: string[] = []
    late.on('message', (m) => seen.push(`message:${m}@${late.status}`))
    late.on('open', () => seen.push('open'))
    await settle()
    expect(late.status).toBe('open')
    for (const entry of seen) if (entry.startsWith('message')) expect(entry).toMatch(/@open$/)
  })

  test('followers receive a frame the server sends right on connect (every message reaches every tab)', async () => {
    // README: "Every message the server sends reaches every tab."
    const g = group(2)
    g.server.onConnection((c) => c.send('welcome'))
    const got = g.sockets.map(() => [] as string[])
    g.sockets.forEach((s, i) => s.on('message', (m) => got[i]!.push(m)))
    await settle()
    expect(got).toEqual([['welcome'], ['welcome']])
  })

  test("the leader's clearQueue() does not resolve a follower's flush() while its messages are still queued", async () => {
    // README: "flush() resolves when the leader's socket flushed this tab's messages"; "the
    // leader's [clearQueue] returns its own and keeps the others'".
    const g = group(2)
    g.server.mode = 'manual' // the shared socket stays CONNECTING: relays wait in the leader's queue
    await settle()
    const follower = g.followers()[0]!
    const leader = g.leader()
    expect(follower.send('f1')).toBe('queued')
    await settle()
    let flushed: string = 'pending'
    follower.flush().then(
      () => (flushed = 'resolved'),
      () => (flushed = 'rejected'),
    )
    await settle()
    expect(flushed).toBe('pending')
    expect(leader.clearQueue()).toEqual([])
    await settle()
    expect(g.server.received).toEqual([])
    expect(flushed).toBe('pending') // f1 is still queued in the leader
    g.server.lastConnection!.accept()
    await settle()
    expect(g.server.received).toEqual(['f1'])
    expect(flushed).toBe('resolved')
  })

  test('flush() in a leader whose page is hidden does not resolve before its message is written', async () => {
    // README: "flush() resolves when the leader's socket flushed this tab's messages"; API.md
    // flush "resolves when the queue is empty and the native bufferedAmount is 0".
    const g = group(1)
    g.server.mode = 'manual'
    await settle()
    const tab = g.sockets[0]!
    expect(tab.send('mine')).toBe('queued')
    let flushed: string = 'pending'
    tab.flush().then(
      () => (flushed = 'resolved'),
      () => (flushed = 'rejected'),
    )
    window.dispatchEvent(new Event('pagehide'))
    await settle()
    expect(tab.status).toBe('reconnecting')
    expect(g.server.received).toEqual([])
    expect(flushed).toBe('pending') // 'mine' has not been written anywhere
    g.server.mode = 'accept'
    window.dispatchEvent(new Event('pageshow'))
    await settle()
    expect(g.server.received).toEqual(['mine'])
    expect(flushed).toBe('resolved')
  })

  test("the next leader does not write its own message again when the old leader's ack is late", async () => {
    // README: "Messages carry ids, and a leader skips those already written, so the handover
    // delivers nothing twice."
    const g = group(2)
    await settle()
    const old = g.leader()
    const next = g.followers()[0]!
    g.world.latency = 5 // channel messages slower than a lock grant (as the existing bye test does)
    next.send('x')
    await vi.advanceTimersByTimeAsync(6) // the old leader wrote x; its ack is still on the way
    expect(g.server.received).toEqual(['x'])
    crash(g, old)
    await settle(300)
    expect(next.isLeader).toBe(true)
    expect(g.server.received).toEqual(['x'])
  })

  test('the next leader writes its own unacknowledged message after the queue handed over to it (order)', async () => {
    // README: a follower "sends what is unacknowledged to the next leader, in order"; "A leader
    // that leaves cleanly ... hands its queue to the next one."
    const g = group(2)
    g.server.mode = 'manual'
    await settle()
    const old = g.leader()
    const next = g.followers()[0]!
    next.send('b1')
    await settle() // acknowledged 'queued': it waits in the old leader's queue
    g.world.latency = 5
    next.send('b2') // never reaches the old leader: it leaves now
    g.server.mode = 'accept'
    old.close()
    await settle(300)
    expect(next.isLeader).toBe(true)
    expect(g.server.received).toEqual(['b1', 'b2'])
  })

  test("a follower's own DecodeError is the one in its snapshot (lastError)", async () => {
    // API.md: codec decode failure "emits error (a DecodeError ...)"; snapshot `lastError`.
    // README: "each tab decodes it with its own codec". The existing suite expects the snapshot's
    // lastError to be the object the `error` event carried.
    const world = new FakeTabs()
    const server = new FakeServer()
    const sockets = [0, 1].map(() => {
      const tab = world.tab()
      const s = new TabSocket<unknown, unknown>(URL, {
        WebSocket: server.WebSocket,
        locks: tab.locks,
        BroadcastChannel: tab.BroadcastChannel,
        codec: json(),
      })
      made.push(s)
      return s
    })
    await settle()
    const follower = sockets.find((s) => !s.isLeader)!
    const errors: unknown[] = []
    follower.on('error', (e) => errors.push(e))
    server.broadcast('not json')
    await settle()
    expect(errors).toHaveLength(1)
    expect(isSteadySocketError(errors[0], 'DecodeError')).toBe(true)
    expect(follower.getSnapshot().lastError).toBe(errors[0])
  })

  test('during the `leader` event, getSnapshot().isLeader already says the same', async () => {
    // README: "`socket.isLeader` (and `isLeader` in the snapshot) says which tab this is; the
    // `leader` event fires when that changes."
    const g = group(1, { autoConnect: false })
    const s = g.sockets[0]!
    const seen: [boolean, boolean, boolean][] = []
    s.on('leader', ({ isLeader }) => seen.push([isLeader, s.isLeader, s.getSnapshot().isLeader]))
    s.open()
    await settle()
    s.close()
    expect(seen).toEqual([
      [true, true, true],
      [false, false, false],
    ])
  })

  test('reconnect() from a detached follower connects now even while the shared socket waits in backoff', async () => {
    // API.md reconnect: "close the current socket, reset the backoff, connect now"; README:
    // "open() and reconnect() from any tab act on the shared socket".
    const g = group(2, { reconnect: { initialDelay: 60_000, jitter: 'none' } })
    await settle()
    const follower = g.followers()[0]!
    follower.close()
    g.server.mode = 'refuse'
    g.server.lastConnection!.terminate()
    await settle()
    expect(g.leader().status).toBe('reconnecting')
    const before = g.server.connections.length
    follower.reconnect()
    await settle()
    expect(g.server.connections.length).toBe(before + 1)
  })

  test('after a handover the snapshot lastClose is the close the follower just reported', async () => {
    // API.md snapshot `{ ..., lastClose, ... }` (the last close); README: "To the followers a
    // handover looks like a reconnect (close, then open with isReconnect: true)".
    const g = group(3)
    await settle()
    const old = g.leader()
    const watcher = g.followers()[1]!
    const closes: unknown[] = []
    watcher.on('close', (c) => closes.push(c))
    crash(g, old)
    await settle()
    expect(closes).toHaveLength(1)
    expect(watcher.getSnapshot().lastClose).toMatchObject({
      code: (closes[0] as { code: number }).code,
    })
  })

  test('a leader whose page is hidden hands its own queued messages to the next leader', async () => {
    // README: "A leader that leaves cleanly (close(), page hidden or frozen) hands its queue to
    // the next one." A hidden page may be navigating away for good.
    const g = group(1)
    g.server.mode = 'manual'
    await settle()
    const hidden = g.sockets[0]!
    const other = withoutPageEvents(() => g.add())
    await settle()
    expect(hidden.isLeader).toBe(true)
    expect(hidden.send('mine')).toBe('queued')
    g.server.mode = 'accept'
    window.dispatchEvent(new Event('pagehide'))
    await settle()
    expect(other.isLeader).toBe(true)
    expect(other.status).toBe('open')
    expect(g.server.received).toEqual(['mine'])
    // Back from the back-forward cache: its re-send of 'mine' is recognised as written.
    window.dispatchEvent(new Event('pageshow'))
    await settle()
    expect(hidden.status).toBe('open')
    expect(hidden.queueLength).toBe(0)
    expect(g.server.received).toEqual(['mine'])
  })
})

// ---------------------------------------------------------------------------------------------
// Probes that pass (behaviour not covered by tabs.test.ts / adapter-edges.test.ts)
// ---------------------------------------------------------------------------------------------

describe('TabSocket behaviour that holds', () => {
  test("drop-oldest in the leader's queue reports the evicted follower message to that follower, once", async () => {
    const g = group(2, { queue: { maxMessages: 2, overflow: 'drop-oldest' } })
    g.server.mode = 'manual'
    await settle()
    const leader = g.leader()
    const follower = g.followers()[0]!
    const fDrops: unknown[] = []
    const lDrops: unknown[] = []
    follower.on('drop', (d) => fDrops.push(d))
    leader.on('drop', (d) => lDrops.push(d))
    follower.send('f1')
    await settle()
    follower.send('f2')
    await settle()
    leader.send('l1') // evicts f1
    await settle()
    expect(fDrops).toEqual([{ messages: ['f1'], reason: 'overflow' }])
    expect(lDrops).toEqual([])
    g.server.lastConnection!.accept()
    await settle()
    expect(g.server.received).toEqual(['f2', 'l1'])
    expect(fDrops).toHaveLength(1)
  })

  test('reconnect() from a joined follower resets the backoff and connects now', async () => {
    const g = group(2, { reconnect: { initialDelay: 60_000, jitter: 'none' } })
    await settle()
    const follower = g.followers()[0]!
    g.server.lastConnection!.terminate()
    await settle()
    expect(follower.status).toBe('reconnecting')
    expect(follower.attempt).toBe(1)
    follower.reconnect()
    await settle()
    expect(follower.status).toBe('open')
    expect(g.server.live).toHaveLength(1)
  })

  test("a follower's flush() pending when the leader crashes resolves once the next leader wrote its message", async () => {
    const g = group(3)
    g.server.mode = 'manual'
    await settle()
    const old = g.leader()
    const f = g.followers()[1]!
    g.tabOf(old).crash() // before f's message reaches it
    f.send('x')
    let flushed: string = 'pending'
    f.flush().then(
      () => (flushed = 'resolved'),
      () => (flushed = 'rejected'),
    )
    old.dispose()
    g.server.mode = 'accept'
    await settle(300)
    expect(g.server.received).toEqual(['x'])
    expect(flushed).toBe('resolved')
  })

  test('exhausted and the final close are relayed; follower status closed; opened() rejects', async () => {
    const g = group(2, { reconnect: { initialDelay: 10, jitter: 'none', maxRetries: 1 } })
    await settle()
    const follower = g.followers()[0]!
    const log = record(follower as never)
    g.server.mode = 'refuse'
    g.server.lastConnection!.terminate()
    await settle(60)
    expect(follower.status).toBe('closed')
    expect(log.filter(([n]) => n === 'exhausted')).toEqual([['exhausted', { attempts: 1 }]])
    await expect(follower.opened()).rejects.toThrow(/closed/)
  })

  test('the handshake runs in the new leader only after a handover, given that TabSocket', async () => {
    const calls: TabSocket<Msg, Msg>[] = []
    const g = group(2, {
      handshake: (s) => {
        calls.push(s)
        s.send('auth')
      },
    })
    await settle()
    const old = g.leader()
    const next = g.followers()[0]!
    expect(calls).toEqual([old])
    crash(g, old)
    await settle()
    expect(calls).toEqual([old, next])
    expect(g.server.connections[1]!.received).toEqual(['auth'])
  })

  test('dispose() in the leader hands over; after every tab is disposed no lock, channel or timer remains', async () => {
    const g = group(3)
    await settle()
    const first = g.leader()
    first.dispose()
    await settle()
    expect(g.sockets.filter((s) => s.isLeader)).toHaveLength(1)
    expect(g.server.live).toHaveLength(1)
    for (const s of g.sockets) s.dispose()
    await settle()
    expect(g.world.holder()).toBe(null)
    expect(g.world.waiting).toBe(0)
    expect(g.world.channels.size).toBe(0)
    expect(g.server.live).toHaveLength(0)
    expect(vi.getTimerCount()).toBe(0)
  })
})
