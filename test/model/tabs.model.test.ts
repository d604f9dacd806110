// Model-based test of TabSocket (smaller than the SteadySocket one): a group of fake tabs (Web
// Locks + BroadcastChannel from test/unit/fake-tabs.ts) sharing one socket, with random sends from
// any tab, tabs closing, reopening, crashing and joining, leader handovers, server drops and
// stalls (a server that stops reading, then reads again: the final wait reads everything), clock
// ticks and re-entrant calls from tab listeners. Invariants: at most one live native socket
// across the group; state committed before announced in every tab; after a friendly wait every
// joined tab is open with one leader; every send delivered once, in order per tab, or reported
// (a drop event in its tab), or lost only as the README allows (a crashed leader's
// acknowledged queue, or a leader that left with no tab to take its queue).
//
// Runs in `npm test` (300 runs, a fresh seed printed; CI replays seed 20261203, see run.ts).
//   npm run test:model:tabs                                                     a long run;
//   TABS_RUNS=3000 npx vitest run --project model test/model/tabs.model.test.ts   the same;
//   MODEL_SEED / MODEL_PATH / MODEL_IGNORE / MODEL_AVOID as for socket.model.test.ts.
import fc from 'fast-check'
import { test, vi } from 'vitest'
import type { RawData } from '../../src/index'
import { FakeServer, type FakeWebSocket } from '../../src/testing/index'
import { crash, tabGroup, type TabGroup } from '../unit/fake-tabs'
import { EPOCH, installEnv, microtasks, type Env } from './env'
import { assertParams, avoided, banner, budget, drive, ignored, modelSettings } from './run'

const RUNS = 300
const MAX_STEPS = 20
const settings = modelSettings(RUNS, 'TABS_RUNS')
const time = budget(settings.runs, 60)
const URL = 'ws://model.test/tabs'

type TabHook = 'status' | 'open' | 'close' | 'leader' | 'drop' | 'message'
type TabAction = 'close' | 'open' | 'reconnect' | 'send'
type TabStep =
  | { kind: 'send'; tab: number; size: number }
  | { kind: 'close' | 'open' | 'reconnect' | 'crash'; tab: number }
  | { kind: 'add' }
  | { kind: 'arm'; tab: number; hook: TabHook; action: TabAction }
  | { kind: 'terminate' | 'stall' | 'resume' }
  | { kind: 'serverClose'; code: number }
  | { kind: 'serverSend' }
  | { kind: 'tick'; ms: number }
type TabConfig = { tabs: number; maxMessages: number; initialDelay: number }

function label(s: TabStep): string {
  switch (s.kind) {
    case 'send':
      return `tab ${s.tab}: send(${s.size}B)`
    case 'close':
    case 'open':
    case 'reconnect':
      return `tab ${s.tab}: ${s.kind}()`
    case 'crash':
      return `tab ${s.tab}: crashes`
    case 'add':
      return 'a new tab joins'
    case 'arm':
      return `tab ${s.tab}: in the next '${s.hook}' listener call ${s.action}()`
    case 'terminate':
      return 'server: terminate() the live connection'
    case 'stall':
      return 'server: stop reading the live connection (stall)'
    case 'resume':
      return 'server: read every connection again (resume)'
    case 'serverClose':
      return `server: close(${s.code}) the open connection`
    case 'serverSend':
      return 'server: broadcast a frame'
    case 'tick':
      return `tick(${s.ms})`
  }
}

const tab = fc.integer({ min: 0, max: 4 })
const stepArb: fc.Arbitrary<TabStep> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({ kind: fc.constant('send' as const), tab, size: fc.nat(20) }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constantFrom(
        'close' as const,
        'open' as const,
        'reconnect' as const,
        'crash' as const,
      ),
      tab,
    }),
  },
  { weight: 1, arbitrary: fc.constant<TabStep>({ kind: 'add' }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('arm' as const),
      tab,
      hook: fc.constantFrom<TabHook>('status', 'open', 'close', 'leader', 'drop', 'message'),
      action: fc.constantFrom<TabAction>('close', 'open', 'reconnect', 'send'),
    }),
  },
  { weight: 2, arbitrary: fc.constant<TabStep>({ kind: 'terminate' }) },
  { weight: 1, arbitrary: fc.constant<TabStep>({ kind: 'stall' }) },
  { weight: 1, arbitrary: fc.constant<TabStep>({ kind: 'resume' }) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom(1000, 1001, 1011, 4000)
      .map((code): TabStep => ({ kind: 'serverClose', code })),
  },
  { weight: 1, arbitrary: fc.constant<TabStep>({ kind: 'serverSend' }) },
  {
    weight: 8,
    arbitrary: fc
      .constantFrom(0, 1, 5, 20, 100, 300, 1000)
      .map((ms): TabStep => ({ kind: 'tick', ms })),
  },
)
const stepsArb = fc.array(
  stepArb.map(
    (s) => Object.defineProperty({ ...s }, fc.toStringMethod, { value: () => label(s) }) as TabStep,
  ),
  { maxLength: MAX_STEPS, size: 'max' },
)
const configArb: fc.Arbitrary<TabConfig> = fc.record({
  tabs: fc.integer({ min: 1, max: 3 }),
  maxMessages: fc.constantFrom(Infinity, 3),
  initialDelay: fc.constantFrom(50, 400),
})

test(
  'TabSocket: one socket per group, every send accounted, state committed before announced',
  async () => {
    console.log(banner('TabSocket model', settings))
    await fc.assert(
      fc.asyncProperty(configArb, stepsArb, async (cfg, steps) => {
        fc.pre(!avoided(steps.map(label)))
        await runTabs(cfg, steps)
      }),
      assertParams(settings, time.interrupt),
    )
  },
  time.timeout,
)

const now = () => Date.now() - EPOCH

type Sent = {
  id: string
  tab: number
  seq: number
  at: number
  result: string
  deliveries: number
  drops: number
  /** The native socket whose buffer it was last left in (not transmitted). */
  buffered?: FakeWebSocket
}

class TabsHarness {
  readonly violations: string[] = []
  readonly log: string[] = []
  firstContext: string[] = []
  readonly server = new FakeServer()
  readonly made: { dispose(): void }[] = []
  readonly g: TabGroup
  /** Per tab: closed by the user (left the group), crashed. */
  readonly left = new Set<number>()
  /** Tabs whose open()/reconnect() came after their last close(). */
  readonly #reopened = new Set<number>()
  readonly crashed = new Set<number>()
  readonly sent = new Map<string, Sent>()
  readonly #armed: { tab: number; hook: TabHook; action: TabAction }[] = []
  /** Indexes into world.posted at which a leader crashed, or left with no other tab joined. */
  readonly #lossPoints: { tab: number; posted: number }[] = []
  /** Clean leaves of a leader: when, and which tabs were in the group to take over. */
  readonly #leaves: { tab: number; posted: number; heirs: number[] }[] = []
  /** 'leader' events with isLeader true: which tab, at which point of the channel traffic. */
  readonly #leads: { tab: number; posted: number }[] = []
  #next = 0
  #stack: string[] = []
  #step = 'construction'
  readonly #env: Env

  constructor(cfg: TabConfig, env: Env) {
    this.#env = env
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const h = this
    const WebSocket = class extends this.server.WebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols)
        h.#live(`a native socket is created`)
      }
      override send(data: RawData): void {
        const m = typeof data === 'string' ? h.sent.get(data.split(':')[0]!) : undefined
        if (this.readyState !== 1)
          h.#violate(`write to a native socket in readyState ${this.readyState}`)
        super.send(data)
        // Not transmitted: it waits in this socket's buffer.
        if (m && this.bufferedAmount > 0) m.buffered = this
      }
    } as typeof FakeWebSocket
    this.g = tabGroup(
      URL,
      this.made,
      0,
      {
        WebSocket,
        queue: { maxMessages: cfg.maxMessages },
        reconnect: { initialDelay: cfg.initialDelay, maxDelay: 1000, jitter: 'none' },
      },
      this.server,
    )
    this.server.onConnection((c) =>
      c.onMessage((data) => {
        const m = typeof data === 'string' ? this.sent.get(data.split(':')[0]!) : undefined
        if (m) m.deliveries++
      }),
    )
    for (let i = 0; i < cfg.tabs; i++) this.#add()
  }

  #add(): void {
    const s = this.g.add()
    const i = this.g.sockets.length - 1
    s.on('status', (p) =>
      this.#hook(i, 'status', `status ${p.previous} → ${p.status}`, () => {
        if (p.status !== s.status)
          this.#violate(`tab ${i}: status event '${p.status}' but status '${s.status}'`)
      }),
    )
    s.on('open', () =>
      this.#hook(i, 'open', 'open', () => {
        if (s.status !== 'open') this.#violate(`tab ${i}: open event with status '${s.status}'`)
      }),
    )
    s.on('close', (p) =>
      this.#hook(i, 'close', `close ${JSON.stringify(p)}`, () => {
        const st = s.status
        // An open()/reconnect() made since this tab's last close() (from a listener of that very
        // close, say its `leader` event) already moved it on: 'connecting' is then the state.
        const starting = this.#stack.includes('open') || this.#stack.includes('reconnect')
        const reopened = this.#reopened.has(i) && st === 'connecting'
        if (
          p.willReconnect
            ? st !== 'reconnecting' && st !== 'connecting'
            : st !== 'closed' && !starting && !reopened
        )
          this.#violate(
            `tab ${i}: close event (willReconnect ${p.willReconnect}) with status '${st}'`,
          )
      }),
    )
    s.on('leader', (p) => {
      if (p.isLeader) this.#leads.push({ tab: i, posted: this.g.world.posted.length })
    })
    s.on('leader', (p) =>
      this.#hook(i, 'leader', `leader ${p.isLeader}`, () => {
        if (p.isLeader !== s.isLeader || s.getSnapshot().isLeader !== p.isLeader)
          this.#violate(`tab ${i}: leader event ${p.isLeader}, isLeader ${s.isLeader}`)
      }),
    )
    s.on('drop', (p) =>
      this.#hook(i, 'drop', `drop ${p.reason} ${p.messages.join(',')}`, () => {
        for (const d of p.messages) {
          const m = this.sent.get(d.split(':')[0]!)
          if (!m) this.#violate(`tab ${i}: drop of an unknown message ${d}`)
          else if (m.tab !== i) this.#violate(`tab ${i}: drop event for ${m.id} of tab ${m.tab}`)
          // A crashed tab runs no more code: the dispose() that stops its timers in the fake
          // group reports to no application.
          else if (!this.crashed.has(i)) m.drops++
        }
      }),
    )
    s.on('message', () => this.#hook(i, 'message', 'message'))
  }

  #hook(i: number, hook: TabHook, note: string, check?: () => void): void {
    this.#note(`tab ${i}: ${note}`)
    this.#consistent(`inside tab ${i}'s '${hook}' listener`)
    check?.()
    const k = this.#armed.findIndex((a) => a.tab === i && a.hook === hook)
    if (k < 0) return
    const a = this.#armed.splice(k, 1)[0]!
    this.#note(`  ↳ tab ${i} in '${hook}': ${a.action}()`)
    this.#call(i, a.action, hook)
  }

  #call(i: number, action: TabAction, origin: string): void {
    const s = this.g.sockets[i]!
    if (this.crashed.has(i)) return
    this.#stack.push(action)
    try {
      if (action === 'send') return this.#send(i, 5, origin)
      if (action === 'close') {
        // A leader leaving hands its queue to the next one; with no tab left to take it over,
        // it is lost with it (README). Judged at the end: did a tab then in the group lead?
        if (s.isLeader)
          this.#leaves.push({
            tab: i,
            posted: this.g.world.posted.length,
            heirs: this.#joined().filter((j) => j !== i),
          })
        this.left.add(i)
        this.#reopened.delete(i)
        s.close()
      } else {
        this.left.delete(i)
        this.#reopened.add(i)
        s[action]()
      }
    } catch (error) {
      this.#violate(`tab ${i}: ${action}() threw ${String(error)}`)
    } finally {
      this.#stack.pop()
    }
  }

  #send(i: number, size: number, origin: string): void {
    const id = `t${i}m${++this.#next}`
    const m: Sent = { id, tab: i, seq: this.#next, at: now(), result: '?', deliveries: 0, drops: 0 }
    this.sent.set(id, m)
    m.result = this.g.sockets[i]!.send(`${id}:${'x'.repeat(size)}`)
    this.#note(`tab ${i}: ${id} (${origin}) ${m.result}`)
  }

  #joined(): number[] {
    return this.g.sockets.map((_, i) => i).filter((i) => !this.left.has(i) && !this.crashed.has(i))
  }

  async apply(step: TabStep, text: string): Promise<void> {
    this.#step = text
    this.#note(`▶ ${text}`)
    const n = this.g.sockets.length
    const i = 'tab' in step ? step.tab % n : 0
    const live = () => this.server.connections.filter((c) => c.state !== 'closed').reverse()[0]
    switch (step.kind) {
      case 'send':
        if (!this.crashed.has(i)) this.#send(i, step.size, 'step')
        break
      case 'close':
      case 'open':
      case 'reconnect':
        this.#call(i, step.kind, 'step')
        break
      case 'crash':
        if (!this.crashed.has(i)) {
          // A leader, or a tab that left the lead but still holds the lock while its sockets
          // close (what they never transmitted goes in its `bye`): the README's crashed leader.
          if (this.g.sockets[i]!.isLeader || this.g.world.holder() === this.g.tabs[i])
            this.#lossPoints.push({ tab: i, posted: this.g.world.posted.length })
          this.crashed.add(i)
          crash(this.g, this.g.sockets[i]!)
        }
        break
      case 'add':
        if (n < 5) this.#add()
        break
      case 'arm':
        this.#armed.push({ tab: i, hook: step.hook, action: step.action })
        break
      case 'terminate':
        live()?.terminate()
        break
      case 'stall':
        live()?.stall()
        break
      case 'resume':
        this.#resume()
        break
      case 'serverClose': {
        const c = this.server.connections.filter((x) => x.state === 'open').reverse()[0]
        c?.close(step.code)
        break
      }
      case 'serverSend':
        this.server.broadcast('frame')
        break
      case 'tick':
        await vi.advanceTimersByTimeAsync(step.ms)
        break
    }
    await microtasks()
    this.check(`after step '${text}'`)
  }

  #resume(): void {
    for (const c of this.server.connections) if (c.isStalled) c.resume()
  }

  async finish(): Promise<void> {
    this.#armed.length = 0
    this.#step = 'the final wait'
    this.#note('▶ final wait')
    // A friendly wait: the server reads again (what a stalled connection held goes out).
    this.#resume()
    await vi.advanceTimersByTimeAsync(5000)
    this.check('after the final wait')
    const joined = this.#joined()
    for (const j of joined) {
      const s = this.g.sockets[j]!
      if (s.status !== 'open')
        this.#violate(`tab ${j} (in the group) is '${s.status}' after the final wait`)
    }
    const leaders = joined.filter((j) => this.g.sockets[j]!.isLeader)
    if (joined.length > 0 && leaders.length !== 1)
      this.#violate(`${leaders.length} leaders among joined tabs ${joined.join(', ')}`)
    const live = this.server.live.length
    if (live !== (joined.length > 0 ? 1 : 0))
      this.#violate(`${live} live sockets for ${joined.length} joined tabs`)
    this.#step = 'dispose() of every tab'
    this.#note('▶ dispose() every tab')
    for (const [j, s] of this.g.sockets.entries()) if (!this.crashed.has(j)) s.dispose()
    await vi.advanceTimersByTimeAsync(60_000)
    this.check('after every tab was disposed')
    if (this.server.live.length > 0) this.#violate('a live socket after every tab was disposed')
    const timers = vi.getTimerCount()
    if (timers > 0) this.#violate(`${timers} timers left after every tab was disposed`)
    const attached = this.#env.attached()
    if (attached.length > 0) this.#violate(`listeners left: ${attached.join(', ')}`)
    this.#account()
  }

  #account(): void {
    const posted = this.g.world.posted
    for (const l of this.#leaves) {
      const taken = this.#leads.some((d) => d.posted >= l.posted && l.heirs.includes(d.tab))
      if (!taken) this.#lossPoints.push({ tab: l.tab, posted: l.posted })
    }
    const idOf = new Map<unknown, string>()
    for (const p of posted) idOf.set(p.from, (p.data as { f: string }).f)
    for (const m of this.sent.values()) {
      const copies = m.deliveries + m.drops
      if (m.deliveries > 1) this.#violate(`${m.id} delivered ${m.deliveries} times`)
      if (m.drops > 1) this.#violate(`${m.id} reported dropped ${m.drops} times`)
      if (m.drops > 0 && m.deliveries > 0) this.#violate(`${m.id} both dropped and delivered`)
      if (copies > 0 || m.result === 'dropped') continue
      // The tab that sent it crashed: what it still held went with it, with no one to tell.
      if (this.crashed.has(m.tab)) continue
      // Lost: allowed only if a leader acknowledged it, then crashed or left with no tab to take over.
      const sender = idOf.get(this.g.tabs[m.tab])
      const seq = this.#seqOf(m)
      const acked = posted.findIndex((p) => {
        const d = p.data as { t: string; to?: string; s?: number }
        return d.t === 'ack' && d.to === sender && d.s === seq
      })
      const ownWhileLeading = seq === undefined
      const excused = this.#lossPoints.some(
        (l) => (acked >= 0 && l.posted > acked) || (ownWhileLeading && l.tab === m.tab),
      )
      if (excused) continue
      const why = m.buffered ? ' (left in the buffer of a socket its leader closed)' : ''
      this.#violate(`${m.id} (tab ${m.tab}, ${m.result}) lost silently${why}`)
    }
    // Each tab's messages arrive in the order it sent them.
    const arrivals = (this.server.received as string[]).map((d) => d.split(':')[0]!)
    const last = new Map<number, number>()
    for (const id of arrivals) {
      const m = this.sent.get(id)
      if (!m) continue
      if ((last.get(m.tab) ?? 0) > m.seq) {
        this.#violate(`tab ${m.tab}: ${id} arrived after a later message of that tab`)
        break
      }
      last.set(m.tab, m.seq)
    }
  }

  /** The relay number of a follower's message (from its 'send' on the channel); none if it led. */
  #seqOf(m: Sent): number | undefined {
    for (const p of this.g.world.posted) {
      const d = p.data as { t: string; s?: number; d?: string }
      if (d.t === 'send' && typeof d.d === 'string' && d.d.startsWith(`${m.id}:`)) return d.s
    }
    return undefined
  }

  check(where: string): void {
    this.#live(where)
    for (const [i] of this.g.sockets.entries()) this.#consistent(`${where}, tab ${i}`)
    for (const i of this.crashed)
      if (this.g.sockets[i]!.status !== 'closed') this.#violate(`crashed tab ${i} not closed`)
    for (const e of this.#env.reported.splice(0)) this.#violate(`${where}: reported ${String(e)}`)
  }

  #live(where: string): void {
    const live = this.server.live.length
    if (live > 1) this.#violate(`${where}: ${live} live native sockets in the group`)
  }

  #consistent(where: string): void {
    for (const [i, s] of this.g.sockets.entries()) {
      const st = s.status
      const want = st === 'open' ? 1 : st === 'closing' ? 2 : st === 'closed' ? 3 : 0
      const snap = s.getSnapshot()
      if (
        s.readyState !== want ||
        snap.status !== st ||
        snap.readyState !== s.readyState ||
        snap.isLeader !== s.isLeader
      )
        this.#violate(
          `${where}: tab ${i} status '${st}'/${s.readyState}, snapshot '${snap.status}'/${snap.readyState}, ` +
            `isLeader ${s.isLeader}/${snap.isLeader}`,
        )
    }
  }

  #violate(what: string): void {
    if (this.violations.length >= 50) return
    const text = `${what} (during ${this.#step})`
    if (ignored(text)) return
    if (!this.violations.includes(text)) this.violations.push(text)
    this.#note(`✗ ${what}`)
    if (this.firstContext.length === 0) this.firstContext = this.log.slice(-50)
  }

  #note(line: string): void {
    this.log.push(`+${String(now()).padStart(6)} ${line}`)
    if (this.log.length > 400) this.log.splice(0, 100)
  }
}

async function runTabs(cfg: TabConfig, steps: TabStep[]): Promise<void> {
  const env = installEnv()
  const h = new TabsHarness(cfg, env)
  try {
    await drive(h, fc.stringify(cfg), steps, steps.map(label), async () => {
      await microtasks()
      h.check('after construction')
    })
  } finally {
    for (const s of h.made) {
      try {
        s.dispose()
      } catch {
        // Already failed; only the page's listeners matter now.
      }
    }
    env.restore()
  }
}
