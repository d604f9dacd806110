// TabSocket with `resume`: the leader's socket holds the session, every tab hears `session`,
// and each tab is told only its own unconfirmed messages.
import { describe, expect, test } from 'vitest'
import type { TabSocketOptions } from '../../src/tabs'
import { FakeServer } from '../../src/testing/index'
import { PROTOCOL } from '../../src/resume-wire'
import { crash, fakeTimersAndCleanup, settle, tabGroup } from './fake-tabs'

const URL = 'ws://example.test/resume'
const made = fakeTimersAndCleanup()

/** A server that greets every connection with a new session `S<n>` (as after a restart). */
function greeter() {
  const server = new FakeServer()
  let n = 0
  server.onConnection((c) =>
    c.onMessage((data) => {
      if (typeof data === 'string' && data.startsWith('{"t":"hello"'))
        c.send(
          JSON.stringify({
            t: 'welcome',
            proto: PROTOCOL,
            sid: `S${++n}`,
            epoch: 'E',
            resumed: false,
            ack: 0,
            max: 1 << 20,
          }),
        )
    }),
  )
  return server
}

const options: TabSocketOptions<string, string> = {
  resume: true,
  reconnect: { initialDelay: 10, jitter: 'none' },
}

describe('TabSocket with resume', () => {
  test('every tab hears the session before open; messages go out framed', async () => {
    const server = greeter()
    const g = tabGroup(URL, made, 2, options, server)
    const seen: [number, string, unknown][] = []
    g.sockets.forEach((s, i) => {
      s.on('session', (e) => seen.push([i, 'session', e]))
      s.on('open', () => seen.push([i, 'open', null]))
    })
    await settle()
    for (const i of [0, 1]) {
      const mine = seen.filter(([t]) => t === i)
      expect(mine.map(([, n]) => n)).toEqual(['session', 'open'])
      expect(mine[0]![2]).toEqual({ id: 'S1', resumed: false, unconfirmed: [] })
    }
    const follower = g.sockets.find((s) => s !== g.leader())!
    follower.send('from the follower')
    await settle()
    expect(server.received.filter((d) => d !== server.received[0])).toEqual([':from the follower'])
  })

  test('a new leader starts a new session, reported to every tab as resumed: false', async () => {
    const server = greeter()
    const g = tabGroup(URL, made, 3, options, server)
    await settle()
    const leader = g.leader()
    const [a, b] = g.sockets.filter((s) => s !== leader)
    const sessions = new Map<unknown, unknown[]>()
    for (const s of [a!, b!]) {
      sessions.set(s, [])
      s.on('session', (e) => sessions.get(s)!.push(e))
    }
    // The server goes silent (never acknowledges), then the connection dies with the leader.
    a!.send('a1')
    b!.send('b1')
    await settle(20)
    crash(g, leader)
    await settle(600)
    const heir = g.leader()
    expect([a, b]).toContain(heir)
    // The old session died with the leader's tab: the new leader's socket starts afresh.
    for (const s of [a!, b!]) expect(sessions.get(s)!.at(-1)).toMatchObject({ resumed: false })
    expect(sessions.get(a!)!.at(-1)).toMatchObject({ id: 'S2', unconfirmed: [] })
  })

  test('the server lost the session: each tab is told its own unconfirmed messages', async () => {
    const server = greeter()
    const g = tabGroup(URL, made, 2, options, server)
    await settle()
    const leader = g.leader()
    const follower = g.sockets.find((s) => s !== leader)!
    const told = new Map<unknown, unknown>()
    for (const s of g.sockets) s.on('session', (e) => told.set(s, e))
    leader.send('L1')
    follower.send('F1')
    follower.send('F2')
    await settle(20)
    // Nothing was acknowledged; the connection dies and the next welcome is a new session.
    server.lastConnection!.terminate()
    await settle(200)
    expect(told.get(leader)).toEqual({ id: 'S2', resumed: false, unconfirmed: ['L1'] })
    expect(told.get(follower)).toEqual({ id: 'S2', resumed: false, unconfirmed: ['F1', 'F2'] })
  })
})
