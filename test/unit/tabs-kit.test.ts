// The test kit the tabs tests stand on: FakeTabs (channel + locks) and FakeServer, as faithful
// as the model test needs them.
import { describe, expect, test, vi } from 'vitest'
import { FakeServer } from '../../src/testing/index'
import { crash, FakeTabs, fakeTimersAndCleanup, settle, tabGroup } from './fake-tabs'

const made = fakeTimersAndCleanup()

describe('FakeTabs', () => {
  test("delivers one sender's messages in the order it posted them", async () => {
    const world = new FakeTabs()
    const a = new (world.tab().BroadcastChannel)('c')
    const b = new (world.tab().BroadcastChannel)('c')
    const got: unknown[] = []
    b.addEventListener('message', (e) => got.push(e.data))
    // Posted from a timer callback (as a listener posts), then right after that tick.
    setTimeout(() => a.postMessage('first'), 0)
    await vi.advanceTimersByTimeAsync(0)
    a.postMessage('second')
    await vi.advanceTimersByTimeAsync(5)
    expect(got).toEqual(['first', 'second'])
  })

  test("a crash takes the tab's connection down: its buffer is never transmitted", async () => {
    const g = tabGroup('ws://kit.test/crash', made, 2)
    await settle()
    const leader = g.leader()
    const c = g.server.connections[0]!
    c.stall()
    leader.send('in the buffer')
    crash(g, leader)
    c.resume()
    await settle(400)
    expect(c.received).toEqual([])
  })
})

describe('FakeConnection', () => {
  test('delivers nothing past uploads lost to its close(): a stream has no gaps', async () => {
    const server = new FakeServer()
    const ws = new server.WebSocket('ws://kit.test/')
    await vi.advanceTimersByTimeAsync(5)
    const c = server.connections[0]!
    c.stall()
    ws.send('lost')
    c.close(1000) // the stalled upload is lost
    c.resume() // the server reads again until the client's close frame
    ws.send('after') // behind the lost one in the stream
    await vi.advanceTimersByTimeAsync(5)
    expect(c.received).toEqual([])
    expect(ws.bufferedAmount).toBe(9) // both still counted: never transmitted
  })
})
