// Cases the TabSocket model test found (test/model/tabs.model.test.ts), one behaviour each.
import { describe, expect, test, vi } from 'vitest'
import { TabSocket, type TabSocketOptions } from '../../src/tabs'
import { FakeServer } from '../../src/testing/index'
import { crash, fakeTimersAndCleanup, settle, tabGroup } from './fake-tabs'

const URL = 'ws://example.test/handover'

const made = fakeTimersAndCleanup()

const group = (n: number, options: TabSocketOptions<string, string> = {}) =>
  tabGroup(URL, made, n, options)

/** Two tabs, settled: the leader and the one that takes over from it. */
async function pair() {
  const g = group(2)
  await settle()
  const leader = g.leader()
  const heir = g.sockets.find((s) => s !== leader)!
  return { g, leader, heir }
}

describe('TabSocket: per-tab order across a change of leader', () => {
  test('a send from a `leader` listener goes after what the tab sent before it led', async () => {
    const g = group(1)
    const [tab] = g.sockets
    tab!.on('leader', ({ isLeader }) => {
      if (isLeader) tab!.send('second')
    })
    expect(tab!.send('first')).toBe('queued') // no leader yet: kept by the tab
    await settle()
    expect(tab!.isLeader).toBe(true)
    expect(g.server.received).toEqual(['first', 'second'])
  })
})

describe('TabSocket: a close() from a listener of the handover', () => {
  test("the lost leader's `close` says willReconnect false once a `leader` listener closed the tab", async () => {
    const { g, leader, heir } = await pair()
    heir.on('leader', ({ isLeader }) => {
      if (isLeader) heir.close()
    })
    const closes: [boolean, string][] = []
    heir.on('close', ({ willReconnect }) => closes.push([willReconnect, heir.status]))
    crash(g, leader)
    await settle(400)
    expect(heir.status).toBe('closed')
    expect(closes).toEqual([[false, 'closed']])
  })
})

describe('TabSocket: a follower that closes right after sending', () => {
  test('still hears that the leader dropped its message', async () => {
    const g = group(2, { queue: { maxMessages: 1 } })
    g.server.mode = 'manual' // the shared socket never opens: the leader's queue fills up
    await settle()
    const leader = g.leader()
    const follower = g.sockets.find((s) => s !== leader)!
    expect(leader.send('fills the queue')).toBe('queued')
    const drops: string[][] = []
    follower.on('drop', ({ messages }) => drops.push(messages))
    expect(follower.send('no room')).toBe('queued')
    follower.close()
    await settle()
    expect(drops).toEqual([['no room']])
    expect(follower.queueLength).toBe(0)
  })
  test('hears it once when it opens again before the leader answered', async () => {
    const g = group(2, { queue: { maxMessages: 1 } })
    g.server.mode = 'manual'
    await settle()
    const leader = g.leader()
    const follower = g.sockets.find((s) => s !== leader)!
    leader.send('fills the queue')
    const drops: string[][] = []
    follower.on('drop', ({ messages }) => drops.push(messages))
    follower.send('no room')
    follower.close()
    follower.open()
    await settle()
    expect(drops).toEqual([['no room']])
  })
})

describe('TabSocket: a leader that closes with messages in its native buffer', () => {
  test('hands over what its socket never transmitted', async () => {
    const { g, leader, heir } = await pair()
    const first = g.server.connections[0]!
    first.stall()
    expect(heir.send('theirs')).toBe('sent')
    await settle(5) // relayed, written, and stuck in the native buffer
    first.terminate() // the connection dies with it; the leader's socket does not know yet
    expect(leader.send('mine')).toBe('sent')
    leader.close()
    await settle()
    expect(heir.isLeader).toBe(true)
    // The heir writes the other tab's message; the leaving tab keeps its own, as with its queue.
    expect(g.server.received).toEqual(['theirs'])
    expect(leader.queueLength).toBe(1)
    leader.open()
    await settle()
    expect(g.server.received).toEqual(['theirs', 'mine'])
  })

  test('writes nothing twice when the closing socket still transmits it', async () => {
    const { g, leader, heir } = await pair()
    const first = g.server.connections[0]!
    first.stall()
    heir.send('slow')
    await settle(5)
    expect(leader.bufferedAmount).toBeGreaterThan(0)
    leader.close()
    await settle(5)
    expect(heir.isLeader).toBe(false) // the lock waits for the socket's close
    first.resume() // 'slow' goes out, then the close frame
    await settle()
    expect(heir.isLeader).toBe(true)
    expect(g.server.received).toEqual(['slow'])
  })
})

describe('TabSocket: a leader that closes while a socket it gave up on may still transmit', () => {
  test('waits for that socket: what it still transmits is not written again', async () => {
    const { g, leader, heir } = await pair()
    const first = g.server.connections[0]!
    first.stall()
    heir.send('theirs')
    await settle(5) // in the first connection's buffer
    leader.reconnect() // gives up on it: it closes, and may still transmit
    await settle(5)
    leader.close()
    first.resume() // 'theirs' goes out on the connection given up on
    await settle(400)
    expect(heir.isLeader).toBe(true)
    expect(g.server.received).toEqual(['theirs'])
  })

  test("hands over what that socket never transmitted, and keeps the tab's own", async () => {
    const { g, leader, heir } = await pair()
    const first = g.server.connections[0]!
    first.stall()
    heir.send('theirs')
    await settle(5)
    leader.send('mine')
    leader.reconnect()
    await settle(5)
    leader.close()
    first.terminate() // its buffer is lost: both messages were never transmitted
    await settle(400)
    expect(heir.isLeader).toBe(true)
    expect(g.server.received).toEqual(['theirs'])
    const drops: string[][] = []
    leader.on('drop', ({ messages }) => drops.push(messages))
    leader.dispose()
    expect(drops).toEqual([['mine']])
  })
})

describe('TabSocket: a leader that leaves from a listener of its own socket', () => {
  test('says nothing after its `bye`, so the next leader keeps what the `bye` handed over', async () => {
    const { g, leader, heir } = await pair()
    // Leaves and comes back from its `close` listener: the socket's `close` event it relays
    // would come after its `bye`, on its new channel.
    leader.once('close', () => {
      leader.close()
      leader.open()
    })
    expect(heir.send('relayed')).toBe('sent')
    g.server.connections[0]!.terminate() // written into the dead socket, recovered into its queue
    await settle(400)
    expect(heir.isLeader).toBe(true)
    expect(g.server.received).toEqual(['relayed'])
  })
})

describe('TabSocket: a follower that left and joins again', () => {
  test('reads the `bye` of the leader it followed before it heard from it again', async () => {
    const g = group(2)
    g.server.mode = 'manual' // the shared socket never opens: relayed sends wait in its queue
    await settle()
    const leader = g.leader()
    const follower = g.sockets.find((s) => s !== leader)!
    expect(follower.send('queued in the leader')).toBe('queued')
    await settle() // acknowledged as queued: it is the leader's now
    follower.close()
    follower.open() // knows the term, not yet its leader
    leader.close() // its bye comes before any word to the rejoined tab
    g.server.mode = 'accept'
    await settle()
    expect(follower.isLeader).toBe(true)
    expect(g.server.received).toEqual(['queued in the leader'])
  })
})

describe('TabSocket without Web Locks or BroadcastChannel', () => {
  test('close() puts back at once what a socket given up on held, as SteadySocket does', async () => {
    const server = new FakeServer()
    const socket = new TabSocket<string, string>(URL, { WebSocket: server.WebSocket })
    made.push(socket)
    await vi.advanceTimersByTimeAsync(5)
    server.connections[0]!.stall()
    socket.send('held')
    socket.reconnect() // gives up on the first socket, which may still transmit 'held'
    socket.close()
    expect(socket.queueLength).toBe(1)
  })
})
