// In-memory `navigator.locks` and `BroadcastChannel` shared by the "tabs" of one test. Every
// delivery and lock grant happens in a later task (setTimeout 0), as in browsers, so fake timers
// control them. A tab can crash: its channels go deaf and mute and its locks are released,
// but what it posted before is still delivered (it had already left the tab).
import { afterEach, beforeEach, vi } from 'vitest'
import { TabSocket, type TabSocketOptions } from '../../src/tabs'
import type {
  BroadcastChannelConstructor,
  ChannelLike,
  LockManagerLike,
} from '../../src/tabs/tab-socket'
import { FakeServer } from '../../src/testing/index'

type Listener = (event: { data: unknown }) => void

type Request = {
  tab: FakeTab
  callback: () => Promise<void>
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
}

type LockState = { holder: Request | null; queue: Request[] }

/** One channel message as it was posted, for assertions. */
export type Posted = { name: string; from: FakeTab; data: unknown }

export class FakeTabs {
  /** Every message posted on any channel, in order. */
  readonly posted: Posted[] = []
  readonly channels = new Set<FakeChannelBase>()
  /** ms each channel message takes (lock grants take 0): lets a test reorder the two. */
  latency = 0
  private readonly slowPairs = new Map<FakeTab, Map<FakeTab, number>>()

  /** Messages from `from` take `ms` to reach `to` (the others `latency`): reorders senders. */
  slow(from: FakeTab, to: FakeTab, ms: number): void {
    const map = this.slowPairs.get(from) ?? new Map<FakeTab, number>()
    map.set(to, ms)
    this.slowPairs.set(from, map)
  }
  private readonly lockStates = new Map<string, LockState>()

  /** A new tab: inject its `locks` and `BroadcastChannel` into a TabSocket. */
  tab(): FakeTab {
    return new FakeTab(this)
  }

  /** The tab holding lock `name`, if any. */
  holder(name?: string): FakeTab | null {
    for (const [key, state] of this.lockStates) {
      if (name === undefined || key === name) return state.holder?.tab ?? null
    }
    return null
  }

  /** Requests waiting for a lock, all names. */
  get waiting(): number {
    let n = 0
    for (const state of this.lockStates.values()) n += state.queue.length
    return n
  }

  /** @internal */
  request(
    tab: FakeTab,
    name: string,
    options: { signal: AbortSignal },
    callback: () => Promise<void>,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (tab.dead) return
      if (options.signal.aborted) return reject(abortError())
      const state = this.lockState(name)
      const request: Request = { tab, callback, resolve, reject }
      state.queue.push(request)
      options.signal.addEventListener('abort', () => {
        const i = state.queue.indexOf(request)
        if (i < 0) return
        state.queue.splice(i, 1)
        reject(abortError())
      })
      this.pump(name)
    })
  }

  /** @internal */
  crash(tab: FakeTab): void {
    for (const channel of this.channels) if (channel.tab === tab) this.channels.delete(channel)
    for (const [name, state] of this.lockStates) {
      state.queue = state.queue.filter((r) => r.tab !== tab)
      if (state.holder?.tab === tab) {
        state.holder = null
        this.pump(name)
      }
    }
  }

  /** @internal */
  post(from: FakeChannelBase, data: unknown): void {
    this.posted.push({ name: from.name, from: from.tab, data })
    const copy = structuredClone(data)
    // Recipients are fixed when the message is posted, as with a real channel.
    for (const to of this.channels) {
      if (to === from || to.name !== from.name) continue
      const ms = this.slowPairs.get(from.tab)?.get(to.tab) ?? this.latency
      // A channel delivers one sender's messages in the order they were posted. One timer per
      // message is not enough: vitest's fake timers run a timer set from a timer callback (a
      // listener that posts) 1 ms later than one set right after, which would overtake it. So
      // each pair of channels has a queue, and each timer delivers its oldest message.
      let queue = this.inFlight.get(from)?.get(to)
      if (!queue) {
        const byTo = this.inFlight.get(from) ?? new Map<FakeChannelBase, unknown[]>()
        byTo.set(to, (queue = []))
        this.inFlight.set(from, byTo)
      }
      const q = queue
      q.push(copy)
      setTimeout(() => {
        const next = q.shift()
        if (this.channels.has(to)) to.deliver(next)
      }, ms)
    }
  }

  /** Messages on their way, per sender and recipient, oldest first. */
  private readonly inFlight = new Map<FakeChannelBase, Map<FakeChannelBase, unknown[]>>()

  private lockState(name: string): LockState {
    let state = this.lockStates.get(name)
    if (!state) this.lockStates.set(name, (state = { holder: null, queue: [] }))
    return state
  }

  private pump(name: string): void {
    const state = this.lockState(name)
    if (state.holder || state.queue.length === 0) return
    const request = state.queue.splice(0, 1)[0]!
    state.holder = request
    setTimeout(() => {
      if (state.holder !== request) return
      const done = () => {
        if (state.holder !== request) return
        state.holder = null
        this.pump(name)
      }
      Promise.resolve()
        .then(() => request.callback())
        .then(
          (value) => {
            done()
            request.resolve(value)
          },
          (error: unknown) => {
            done()
            request.reject(error)
          },
        )
    }, 0)
  }
}

/** The base of each tab's BroadcastChannel class. */
export class FakeChannelBase implements ChannelLike {
  private readonly listeners: Listener[] = []
  constructor(
    readonly name: string,
    readonly tab: FakeTab,
  ) {
    if (tab.dead) throw new Error('FakeChannel: the tab crashed')
    tab.world.channels.add(this)
  }
  addEventListener(type: 'message', listener: Listener): void {
    if (type === 'message') this.listeners.push(listener)
  }
  postMessage(message: unknown): void {
    if (!this.tab.world.channels.has(this)) {
      if (this.tab.dead) return
      throw new DOMException('BroadcastChannel is closed', 'InvalidStateError')
    }
    this.tab.world.post(this, message)
  }
  close(): void {
    this.tab.world.channels.delete(this)
  }
  /** @internal */
  deliver(data: unknown): void {
    for (const listener of [...this.listeners]) listener({ data })
  }
}

export class FakeTab {
  dead = false
  /** The native sockets this tab made (when it led), so that a crash takes them down. */
  readonly sockets: object[] = []
  readonly locks: LockManagerLike
  readonly BroadcastChannel: BroadcastChannelConstructor

  constructor(readonly world: FakeTabs) {
    this.locks = {
      request: (name, options, callback) => world.request(this, name, options, callback),
    }
    this.BroadcastChannel = channelClass(this)
  }

  /** The tab dies: no more messages in or out, its locks are released. */
  crash(): void {
    this.dead = true
    this.world.crash(this)
  }
}

function channelClass(tab: FakeTab): BroadcastChannelConstructor {
  return class extends FakeChannelBase {
    constructor(name: string) {
      super(name, tab)
    }
  }
}

function abortError(): Error {
  return new DOMException('The request was aborted.', 'AbortError')
}

/** Lets every queued delivery, lock grant and socket event through, one fake millisecond at a time. */
export async function settle(steps = 200): Promise<void> {
  for (let i = 0; i < steps; i++) await vi.advanceTimersByTimeAsync(1)
}

/**
 * The hooks every tabs test file shares: fake timers for each test, and every socket put in the
 * returned list disposed after it (sockets listen on the shared jsdom window and document: none
 * may outlive its test). Call at the top level of a test file.
 */
export function fakeTimersAndCleanup(): { dispose(): void }[] {
  const made: { dispose(): void }[] = []
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    for (const socket of made.splice(0)) socket.dispose()
    vi.useRealTimers()
  })
  return made
}

/**
 * `n` TabSockets on `url`, each in its own fake tab of one world, against one FakeServer. Each
 * socket goes into `made`, for the test file to dispose after each test (they listen on the
 * shared jsdom window and document).
 */
export function tabGroup(
  url: string,
  made: { dispose(): void }[],
  n: number,
  options: TabSocketOptions<string, string> = {},
  server = new FakeServer(),
) {
  const world = new FakeTabs()
  const tabs: FakeTab[] = []
  const sockets: TabSocket<string, string>[] = []
  const add = (extra: TabSocketOptions<string, string> = {}) => {
    const tab = world.tab()
    const all: TabSocketOptions<string, string> = {
      WebSocket: server.WebSocket,
      locks: tab.locks,
      BroadcastChannel: tab.BroadcastChannel,
      random: () => 1,
      reconnect: { initialDelay: 1000, jitter: 'none' },
      ...options,
      ...extra,
    }
    // Each native socket is recorded in the tab that made it.
    const WS = all.WebSocket as typeof server.WebSocket
    const socket = new TabSocket<string, string>(url, {
      ...all,
      WebSocket: class extends WS {
        constructor(u: string | URL, protocols?: string | string[]) {
          super(u, protocols)
          tab.sockets.push(this)
        }
      },
    })
    tabs.push(tab)
    sockets.push(socket)
    made.push(socket)
    return socket
  }
  for (let i = 0; i < n; i++) add()
  const leaders = () => sockets.filter((s) => s.isLeader)
  const leader = () => sockets.find((s) => s.isLeader)!
  const followers = () => sockets.filter((s) => !s.isLeader)
  const tabOf = (s: TabSocket<string, string>) => tabs[sockets.indexOf(s)]!
  /** How many times `data` was posted as a relayed send on the channel. */
  const sends = (data: unknown) =>
    world.posted
      .filter((p) => (p.data as { t: string; d?: unknown }).t === 'send')
      .filter((p) => (p.data as { d: unknown }).d === data).length
  return { world, server, tabs, sockets, add, leaders, leader, followers, tabOf, sends }
}

export type TabGroup = ReturnType<typeof tabGroup>

/** Crashes the tab of `socket`: channel and lock gone; its socket dies with it. */
export function crash(g: TabGroup, socket: TabSocket<string, string>): void {
  const tab = g.tabOf(socket)
  tab.crash()
  // Its connections die with it: what their buffers held is never transmitted.
  for (const c of g.server.connections) if (tab.sockets.includes(c.socket)) c.terminate()
  // A crashed tab runs no more code; disposing it stops its timers (its `bye` goes nowhere).
  socket.dispose()
}
