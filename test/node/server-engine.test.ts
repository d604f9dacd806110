// The protocol engine without `ws`: ResumableServer.accept() driven with in-memory connections
// and fake timers, for what a real socket cannot show exactly: frames of a replaced connection,
// every timer released, ack timing to the millisecond, option checks.
import { afterEach, describe, expect, test, vi } from 'vitest'
import { encodeControl, encodeText, PROTOCOL } from '../../src/resume-wire'
import type { Control } from '../../src/resume-wire'
import { MemoryStore, ResumableServer } from '../../src/server/index'
import type { ConnectionLink, ResumableOptions, Session } from '../../src/server/index'

type Fake = {
  sent: (string | Uint8Array)[]
  closed: { code: number; reason: string } | undefined
  link: ConnectionLink
}

function connect(server: ResumableServer, hello?: { sid?: string; epoch?: string; ack?: number }) {
  const c: Fake = { sent: [], closed: undefined, link: undefined as unknown as ConnectionLink }
  c.link = server.accept({
    send: (frame) => c.sent.push(frame),
    close: (code, reason) => {
      c.closed ??= { code, reason }
    },
  })
  if (hello) {
    const h = { t: 'hello' as const, proto: PROTOCOL, ...hello, ack: hello.ack ?? 0, max: 1 << 20 }
    c.link.receive(encodeControl(h as Control))
  }
  return c
}

const welcomeOf = (c: Fake) => JSON.parse(c.sent[0] as string) as { sid: string; epoch: string }

function setup(options?: ResumableOptions) {
  const server = new ResumableServer(options)
  const sessions: Session[] = []
  server.on('session', (s) => sessions.push(s))
  return { server, sessions }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('the engine over in-memory connections', () => {
  test('frames still arriving on a replaced connection do not count', () => {
    const { server, sessions } = setup()
    const a = connect(server, {})
    const { sid, epoch } = welcomeOf(a)
    const got: unknown[] = []
    sessions[0]!.on('message', (m) => got.push(m))
    a.link.receive(encodeText('1'))
    const b = connect(server, { sid, epoch })
    expect(a.closed).toEqual({ code: 4462, reason: `${PROTOCOL}: replaced` })
    expect(JSON.parse(b.sent[0] as string)).toMatchObject({ resumed: true, ack: 1 })
    a.link.receive(encodeText('late, from the old connection'))
    a.link.receive('{"t":"bye"}')
    a.link.closed()
    expect(sessions[0]!.connected).toBe(true)
    b.link.receive(encodeText('2'))
    expect(got).toEqual(['1', '2'])
    server.close()
  })

  test('expiry and close leave no timer behind', async () => {
    vi.useFakeTimers()
    const { server, sessions } = setup({ window: 1000, helloTimeout: 500 })
    const a = connect(server, {})
    a.link.receive(encodeText('x')) // an ack timer runs
    sessions[0]!.send('y')
    expect(vi.getTimerCount()).toBeGreaterThan(0)
    a.link.closed()
    expect(vi.getTimerCount()).toBe(1) // the expiry timer only
    const ends: string[] = []
    sessions[0]!.on('end', (r) => ends.push(r))
    await vi.advanceTimersByTimeAsync(999)
    expect(ends).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(ends).toEqual(['expired'])
    expect(vi.getTimerCount()).toBe(0)
    // A waiting connection and a connected session: close() clears their timers too.
    const waiting = connect(server)
    const b = connect(server, {})
    b.link.receive(encodeText('z'))
    expect(vi.getTimerCount()).toBe(2)
    server.close()
    expect(vi.getTimerCount()).toBe(0)
    expect(waiting.closed?.code).toBe(1001)
    expect(b.closed?.code).toBe(1000)
    expect(b.sent.at(-1)).toBe('{"t":"bye"}')
    expect(connect(server, {}).closed?.code).toBe(1001) // nothing accepted after close()
  })

  test('the idle ack goes out ack.delay ms after the oldest unacknowledged message', async () => {
    vi.useFakeTimers()
    const { server } = setup({ ack: { delay: 100 } })
    const a = connect(server, {})
    a.link.receive(encodeText('1'))
    await vi.advanceTimersByTimeAsync(60)
    a.link.receive(encodeText('2'))
    await vi.advanceTimersByTimeAsync(39)
    expect(a.sent).toHaveLength(1) // the welcome
    await vi.advanceTimersByTimeAsync(1)
    expect(a.sent.slice(1)).toEqual(['2'])
    await vi.advanceTimersByTimeAsync(1000)
    expect(a.sent).toHaveLength(2)
    server.close()
  })

  test('a resumed welcome carries the ack; nothing is owed after it', async () => {
    vi.useFakeTimers()
    const { server } = setup()
    const a = connect(server, {})
    const { sid, epoch } = welcomeOf(a)
    a.link.receive(encodeText('1'))
    a.link.closed()
    const b = connect(server, { sid, epoch })
    expect(JSON.parse(b.sent[0] as string)).toMatchObject({ resumed: true, ack: 1 })
    await vi.advanceTimersByTimeAsync(500)
    expect(b.sent).toHaveLength(1)
    server.close()
  })

  test('the store is the only place sessions are looked up', () => {
    const store = new MemoryStore()
    const { server, sessions } = setup({ store })
    expect(server.epoch).toBe(store.epoch)
    const a = connect(server, {})
    expect(store.get(welcomeOf(a).sid)).toBe(sessions[0])
    store.delete(welcomeOf(a).sid)
    const b = connect(server, { sid: welcomeOf(a).sid, epoch: store.epoch })
    expect(JSON.parse(b.sent[0] as string)).toMatchObject({ resumed: false })
    server.close()
  })
})

test('an ended session is never resumed, even from a store that kept it', () => {
  const kept = new MemoryStore()
  const store = {
    epoch: kept.epoch,
    get: kept.get.bind(kept),
    set: kept.set.bind(kept),
    delete() {},
  }
  const { server } = setup({ store })
  const a = connect(server, {})
  const { sid, epoch } = welcomeOf(a)
  a.link.receive('{"t":"bye"}')
  expect(a.closed?.code).toBe(1000)
  const b = connect(server, { sid, epoch })
  expect(JSON.parse(b.sent[0] as string)).toMatchObject({ resumed: false })
  expect(welcomeOf(b).sid).not.toBe(sid)
  server.close()
})

describe('options', () => {
  test.each([
    [{ window: -1 }, 'window'],
    [{ window: 2 ** 31 }, 'window'],
    [{ maxBytes: '1' }, 'maxBytes'],
    [{ maxBytes: 1.5 }, 'maxBytes'],
    [{ helloTimeout: 0 }, 'helloTimeout'],
    [{ heartbeat: -5 }, 'heartbeat'],
    [{ ack: { messages: 0 } }, 'ack.messages'],
    [{ ack: { delay: NaN } }, 'ack.delay'],
    [{ ack: [] }, 'ack'],
    [{ store: {} }, 'store'],
    [{ store: { get() {}, set() {}, delete() {}, epoch: 'no spaces' } }, 'store'],
  ])('%o throws a TypeError naming %s', (options, name) => {
    expect(() => new ResumableServer(options as ResumableOptions)).toThrow(TypeError)
    expect(() => new ResumableServer(options as ResumableOptions)).toThrow(
      new RegExp(`resumable: ${name.replace('.', '\\.')} must`),
    )
  })

  test('a non-plain options object throws; undefined options take the defaults', () => {
    expect(() => new ResumableServer(new Map() as unknown as ResumableOptions)).toThrow(
      /options must be a plain object/,
    )
    const a = connect(new ResumableServer(), {})
    expect(JSON.parse(a.sent[0] as string)).toMatchObject({ max: 1048576 })
  })
})
