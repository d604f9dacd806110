// What a SteadySocket model run is made of: the options it starts with, the steps it takes
// (user commands, server and network events, clock ticks, re-entrant calls armed on a hook), and
// how each prints, so a shrunk counterexample reads as a list of steps.
import fc from 'fast-check'

/** Every place the model can run code while the SDK runs: events, compat handlers, callbacks. */
// The user callbacks (options) come last, from 'url' on: socket-harness.ts takes them as a slice.
export const HOOKS = [
  'status',
  'open',
  'close',
  'error',
  'reconnecting',
  'drop',
  'drain',
  'message',
  'stable',
  'exhausted',
  'onopen',
  'onclose',
  'onerror',
  'onmessage',
  'listener:open',
  'listener:close',
  'listener:error',
  'listener:message',
  'subscribe',
  'url',
  'protocols',
  'handshake',
  'encode',
  'decode',
  'delay',
  'random',
  'shouldReconnect',
  'heartbeat.message',
  'isPong',
] as const
/** 'session' is armed only by the resumable model (resume.model.test.ts): it needs `resume`. */
export type Hook = (typeof HOOKS)[number] | 'session'

/** A call the model makes into the socket, from a step or from inside a hook. */
export type Action =
  | { do: 'send'; size: number }
  | { do: 'close'; code: number }
  | { do: 'open' }
  | { do: 'reconnect' }
  | { do: 'dispose' }

export type Step =
  | { kind: 'call'; action: Action }
  | { kind: 'clearQueue' }
  | { kind: 'opened' | 'flush'; timeout: number | undefined }
  | { kind: 'arm'; hook: Hook; action: Action }
  | { kind: 'accept' | 'refuse' }
  | { kind: 'answer'; mode: 'accept' | 'manual' | 'refuse' }
  | { kind: 'serverClose'; code: number }
  | { kind: 'terminate' | 'fail' | 'resume'; back: number }
  | { kind: 'drain'; back: number; bytes: number }
  | { kind: 'stall' }
  | { kind: 'serverSend'; what: 'json' | 'garbage' | 'pong' }
  | { kind: 'pongs'; on: boolean }
  | { kind: 'online'; on: boolean }
  | { kind: 'visible'; on: boolean }
  | { kind: 'pageshow' }
  | { kind: 'providersFail'; on: boolean }
  | { kind: 'handshakeSettle'; ok: boolean }
  | { kind: 'tick'; ms: number }
  // The resumable model's server (resume-world.ts): the application sends, the process restarts
  // (gracefully: bye to every client; or a crash: every connection dropped), or time runs past
  // the session window.
  | { kind: 'sessionSend'; size: number; binary: boolean }
  | { kind: 'restart'; crash: boolean }
  | { kind: 'expire' }

export type ReconnectConfig = {
  initialDelay: number
  maxDelay: number
  factor: number
  jitter: 'full' | 'none' | number
  maxRetries: number
  minUptime: number
  shouldReconnect: boolean
  delay: boolean
}

export type Config = {
  codec: boolean
  url: 'static' | 'sync' | 'async'
  protocols: 'none' | 'static' | 'sync' | 'async'
  autoConnect: boolean
  connectTimeout: number
  reconnect: false | ReconnectConfig
  queue:
    | boolean
    | { maxMessages: number; maxBytes: number; overflow: 'reject' | 'drop-oldest'; ttl: number }
  backpressure: false | { highWaterMark: number; lowWaterMark: number }
  recoverUnsent: boolean
  heartbeat: false | { interval: number; timeout: number; messageFn: boolean; isPong: boolean }
  handshake: 'none' | 'sync' | 'async' | 'manual'
  handshakeSends: boolean
  watchNetwork: boolean
  random: number
  /** How the server answers new connections at first. */
  answer: 'accept' | 'manual' | 'refuse'
  /** The server stops reading every connection it accepts (until a resume or drain step). */
  stallNew: boolean
}

export function actionLabel(a: Action): string {
  switch (a.do) {
    case 'send':
      return `send(${a.size}B)`
    case 'close':
      return `close(${a.code})`
    default:
      return `${a.do}()`
  }
}

export function stepLabel(s: Step): string {
  switch (s.kind) {
    case 'call':
      return actionLabel(s.action)
    case 'clearQueue':
      return 'clearQueue()'
    case 'opened':
    case 'flush':
      return `${s.kind}(${s.timeout === undefined ? '' : `{ timeout: ${s.timeout} }`})`
    case 'arm':
      return `arm: in the next '${s.hook}' call ${actionLabel(s.action)}`
    case 'accept':
    case 'refuse':
      return `server: ${s.kind} the oldest pending connection`
    case 'answer':
      return `server: answer new connections with '${s.mode}'`
    case 'serverClose':
      return `server: close(${s.code}) the newest open connection`
    case 'terminate':
    case 'fail':
    case 'resume':
      return `server: ${s.kind}() ${s.back === 0 ? 'the newest' : 'the previous'} connection`
    case 'drain':
      return `server: drain(${s.bytes}) ${s.back === 0 ? 'the newest' : 'the previous'} stalled connection`
    case 'stall':
      return 'server: stall() the newest open connection'
    case 'serverSend':
      return `server: send a ${s.what} frame`
    case 'pongs':
      return `server: ${s.on ? 'answers' : 'ignores'} pings`
    case 'online':
      return s.on ? 'network: online' : 'network: offline'
    case 'visible':
      return s.on ? 'page: visible' : 'page: hidden'
    case 'pageshow':
      return 'page: pageshow (persisted)'
    case 'providersFail':
      return `providers: ${s.on ? 'throw' : 'work'}`
    case 'handshakeSettle':
      return `handshake: ${s.ok ? 'resolve' : 'reject'} the pending ones`
    case 'tick':
      return `tick(${s.ms})`
    case 'sessionSend':
      return `server: session.send(${s.size}B${s.binary ? ', binary' : ''})`
    case 'restart':
      return `server: ${s.crash ? 'crash' : 'close()'} and restart (new epoch)`
    case 'expire':
      return 'server: time passes the session window'
  }
}

/** Attaches a printer fast-check uses when it reports a counterexample. */
function printable<T extends object>(value: T, label: (t: T) => string): T {
  // A copy: fc.constant() hands out the same object every time.
  const copy = { ...value }
  return Object.defineProperty(copy, fc.toStringMethod, { value: () => label(copy) })
}

const size = fc.integer({ min: 0, max: 48 })
const userCode = fc.constantFrom(1000, 3000, 4000, 4999)

export const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: size.map((n): Action => ({ do: 'send', size: n })) },
  { weight: 2, arbitrary: userCode.map((code): Action => ({ do: 'close', code })) },
  { weight: 2, arbitrary: fc.constant<Action>({ do: 'open' }) },
  { weight: 3, arbitrary: fc.constant<Action>({ do: 'reconnect' }) },
  { weight: 1, arbitrary: fc.constant<Action>({ do: 'dispose' }) },
)

const back = fc.constantFrom(0, 1)
const timeout = fc.constantFrom(undefined, 0, 100, 1000)

/**
 * One step: the SteadySocket model's, or (for the resumable model) with more hooks to arm and
 * more steps, appended so that the plain model draws exactly the sequences it always drew.
 */
const stepArbOf = (
  hooks: readonly Hook[],
  extra: readonly fc.WeightedArbitrary<Step>[],
): fc.Arbitrary<Step> =>
  fc.oneof(
    {
      weight: 20,
      arbitrary: size.map((n): Step => ({ kind: 'call', action: { do: 'send', size: n } })),
    },
    {
      weight: 2,
      arbitrary: userCode.map((code): Step => ({ kind: 'call', action: { do: 'close', code } })),
    },
    { weight: 3, arbitrary: fc.constant<Step>({ kind: 'call', action: { do: 'open' } }) },
    { weight: 5, arbitrary: fc.constant<Step>({ kind: 'call', action: { do: 'reconnect' } }) },
    { weight: 1, arbitrary: fc.constant<Step>({ kind: 'call', action: { do: 'dispose' } }) },
    { weight: 2, arbitrary: fc.constant<Step>({ kind: 'clearQueue' }) },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constantFrom('opened' as const, 'flush' as const), timeout }),
    },
    {
      weight: 10,
      arbitrary: fc.record({
        kind: fc.constant('arm' as const),
        hook: fc.constantFrom(...hooks),
        action: actionArb,
      }),
    },
    { weight: 6, arbitrary: fc.constant<Step>({ kind: 'accept' }) },
    { weight: 1, arbitrary: fc.constant<Step>({ kind: 'refuse' }) },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom('accept' as const, 'manual' as const, 'refuse' as const)
        .map((mode): Step => ({ kind: 'answer', mode })),
    },
    {
      weight: 3,
      arbitrary: fc
        .constantFrom(1000, 1001, 1002, 1008, 1011, 4000)
        .map((code): Step => ({ kind: 'serverClose', code })),
    },
    {
      weight: 3,
      arbitrary: fc.record({ kind: fc.constantFrom('terminate' as const, 'fail' as const), back }),
    },
    { weight: 4, arbitrary: fc.constant<Step>({ kind: 'stall' }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('resume' as const), back }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('drain' as const),
        back,
        bytes: fc.integer({ min: 1, max: 40 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom('json' as const, 'garbage' as const, 'pong' as const)
        .map((what): Step => ({ kind: 'serverSend', what })),
    },
    { weight: 1, arbitrary: fc.boolean().map((on): Step => ({ kind: 'pongs', on })) },
    { weight: 2, arbitrary: fc.boolean().map((on): Step => ({ kind: 'online', on })) },
    { weight: 1, arbitrary: fc.boolean().map((on): Step => ({ kind: 'visible', on })) },
    { weight: 1, arbitrary: fc.constant<Step>({ kind: 'pageshow' }) },
    { weight: 1, arbitrary: fc.boolean().map((on): Step => ({ kind: 'providersFail', on })) },
    { weight: 2, arbitrary: fc.boolean().map((ok): Step => ({ kind: 'handshakeSettle', ok })) },
    {
      weight: 14,
      arbitrary: fc
        .constantFrom(0, 1, 1, 2, 10, 50, 200, 1000, 3000)
        .map((ms): Step => ({ kind: 'tick', ms })),
    },
    ...extra,
  )

/** The steps only the resumable model takes, and the hook only it can arm. */
export const RESUME_HOOKS: readonly Hook[] = [...HOOKS, 'session']
export const resumeSteps: readonly fc.WeightedArbitrary<Step>[] = [
  {
    weight: 12,
    arbitrary: fc.record({ kind: fc.constant('sessionSend' as const), size, binary: fc.boolean() }),
  },
  { weight: 2, arbitrary: fc.boolean().map((crash): Step => ({ kind: 'restart', crash })) },
  { weight: 2, arbitrary: fc.constant<Step>({ kind: 'expire' }) },
]

/** A sequence of at most `max` steps, each printed by its label. */
export const stepsArb = (
  max: number,
  hooks: readonly Hook[] = HOOKS,
  extra: readonly fc.WeightedArbitrary<Step>[] = [],
): fc.Arbitrary<Step[]> =>
  fc.array(
    stepArbOf(hooks, extra).map((s) => printable(s, stepLabel)),
    // 'max': lengths spread up to `max`, not clustered around a handful of steps.
    { maxLength: max, size: 'max' },
  )

const reconnectArb: fc.Arbitrary<ReconnectConfig> = fc.record({
  // 0 is rare: with a refusing server it retries every millisecond (slow to simulate).
  initialDelay: fc.constantFrom(0, 10, 10, 100, 100, 500),
  maxDelay: fc.constantFrom(100, 800, 2000),
  factor: fc.constantFrom(1, 2, 3),
  jitter: fc.constantFrom<'full' | 'none' | number>('none', 'full', 0.5),
  maxRetries: fc.constantFrom(Infinity, Infinity, 0, 1, 3),
  minUptime: fc.constantFrom(0, 300, 2000),
  shouldReconnect: fc.boolean(),
  delay: fc.boolean(),
})

export const configArb: fc.Arbitrary<Config> = fc
  .record({
    codec: fc.boolean(),
    url: fc.constantFrom('static' as const, 'sync' as const, 'async' as const),
    protocols: fc.constantFrom(
      'none' as const,
      'static' as const,
      'sync' as const,
      'async' as const,
    ),
    autoConnect: fc.constantFrom(true, true, true, false),
    connectTimeout: fc.constantFrom(0, 40, 300, 2000),
    reconnect: fc.oneof(
      { weight: 1, arbitrary: fc.constant(false as const) },
      { weight: 4, arbitrary: reconnectArb },
    ),
    queue: fc.oneof(
      fc.boolean(),
      fc.record({
        maxMessages: fc.constantFrom(1, 2, 4, Infinity),
        maxBytes: fc.constantFrom(30, 80, 200),
        overflow: fc.constantFrom('reject' as const, 'drop-oldest' as const),
        ttl: fc.constantFrom(0, 0, 300),
      }),
    ),
    backpressure: fc.oneof(
      fc.constant(false as const),
      fc.record({
        highWaterMark: fc.constantFrom(0, 20, 60),
        lowWaterMark: fc.constantFrom(0, 10),
      }),
    ),
    recoverUnsent: fc.boolean(),
    heartbeat: fc.oneof(
      fc.constant(false as const),
      fc.record({
        interval: fc.constantFrom(300, 1000),
        timeout: fc.constantFrom(100, 500),
        messageFn: fc.boolean(),
        isPong: fc.boolean(),
      }),
    ),
    handshake: fc.constantFrom(
      'none' as const,
      'sync' as const,
      'async' as const,
      'manual' as const,
    ),
    handshakeSends: fc.boolean(),
    watchNetwork: fc.boolean(),
    random: fc.constantFrom(0, 0.5, 0.999),
    answer: fc.constantFrom(
      'accept' as const,
      'accept' as const,
      'accept' as const,
      'manual' as const,
      'refuse' as const,
    ),
    stallNew: fc.constantFrom(false, false, false, true),
  })
  .map((c) =>
    printable(c, (x) => JSON.stringify(x, (_k, v: unknown) => (v === Infinity ? 'Infinity' : v))),
  )
