import type { Codec, RawData } from './codec'
import type { CloseInfo } from './events'
import type { SteadySocket } from './socket'

/** A value, or a (possibly async) function run before every connection attempt. */
export type Provider<T> = T | (() => T | Promise<T>)

/** The subset of the WebSocket constructor this package uses (browser, `ws`, React Native). */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike

/** The subset of a WebSocket instance this package uses. */
export type WebSocketLike = {
  readonly readyState: number
  readonly bufferedAmount: number
  readonly url: string
  readonly protocol: string
  readonly extensions: string
  binaryType: string
  onopen: ((ev: never) => unknown) | null
  onmessage: ((ev: { data: unknown }) => unknown) | null
  onerror: ((ev: never) => unknown) | null
  onclose: ((ev: { code: number; reason: string; wasClean: boolean }) => unknown) | null
  send(data: never): void
  close(code?: number, reason?: string): void
}

/** Every field optional, `undefined` meaning "the default". */
export type Loose<T> = { [K in keyof T]?: T[K] | undefined }

/** Reconnection policy. */
export type ReconnectOptions = {
  /** Delay before the first retry, in ms. @default 1000 */
  initialDelay: number
  /** Upper bound of the delay, in ms. @default 10000 */
  maxDelay: number
  /** Growth factor per failed attempt (≥ 1). @default 2 */
  factor: number
  /** `'full'`: uniform in [0, delay]; `'none'`; a number j in (0, 1]: delay × (1 − j·U). @default 'full' */
  jitter: 'full' | 'none' | number
  /** Retries before giving up (`exhausted`, then `closed`). @default Infinity */
  maxRetries: number
  /** ms a connection must stay open to count as stable (resets `attempt`, emits `stable`). @default 5000 */
  minUptime: number
  /** Replaces the default close-code policy. @default none (see README) */
  shouldReconnect?: ((close: CloseInfo, context: { attempt: number }) => boolean) | undefined
  /** Replaces the backoff formula: ms to wait before retry number `attempt`. @default none */
  delay?: ((attempt: number) => number) | undefined
}

/** The send queue. */
export type QueueOptions = {
  /** Most messages waiting. @default Infinity */
  maxMessages: number
  /** Most bytes waiting (UTF-8 bytes for strings). @default 1048576 */
  maxBytes: number
  /** What a full queue does with a new message: refuse it, or evict from the front. @default 'reject' */
  overflow: 'reject' | 'drop-oldest'
  /** ms after which a waiting message is dropped (`'expired'`) instead of written; 0 = never. @default 0 */
  ttl: number
}

/** Write throttling on the native `bufferedAmount`. */
export type BackpressureOptions = {
  /** Above this many native buffered bytes, `send()` queues. @default 1048576 */
  highWaterMark: number
  /** Writing from the queue resumes at or below this. @default 262144 */
  lowWaterMark: number
}

/** Liveness checks for half-open connections. */
export type HeartbeatOptions = {
  /** ms between pings. @default 30000 */
  interval: number
  /** ms without any inbound frame after a ping before the connection counts as dead. @default 10000 */
  timeout: number
  /** The ping frame, or a function that returns it. @default 'ping' */
  message: RawData | (() => RawData)
  /** Frames for which this returns true are not emitted as messages. @default none */
  isPong?: ((raw: RawData) => boolean) | undefined
}

/** Options of `new SteadySocket(url, options)`. All optional. */
export type SteadySocketOptions<In = RawData, Out = RawData> = {
  /** Subprotocols, or a (possibly async) provider run before every attempt. @default none */
  protocols?: Provider<string | string[]> | undefined
  /** WebSocket constructor (Node's `ws`, tests, React Native). @default globalThis.WebSocket */
  WebSocket?:
    WebSocketConstructor | (new (url: string, protocols?: string | string[]) => unknown) | undefined
  /** Applied to every native socket. @default 'blob' */
  binaryType?: 'blob' | 'arraybuffer' | undefined
  /** Connect at construction; `false`: stay `closed` until `open()`. @default true */
  autoConnect?: boolean | undefined
  /** ms in CONNECTING before the attempt is abandoned; 0 = none. @default 10000 */
  connectTimeout?: number | undefined
  /** `false`, or reconnection settings. @default true */
  reconnect?: boolean | Loose<ReconnectOptions> | undefined
  /** `false` (no queue), or queue settings. @default true */
  queue?: boolean | Loose<QueueOptions> | undefined
  /** `false` (write straight through), or water marks. @default true */
  backpressure?: boolean | Loose<BackpressureOptions> | undefined
  /** Re-send what a dead socket never transmitted. @default true */
  recoverUnsent?: boolean | undefined
  /** `true`, or heartbeat settings. @default false */
  heartbeat?: boolean | Loose<HeartbeatOptions> | undefined
  /** Runs on every open before the queue flushes; rejection = failed attempt. @default none */
  handshake?: ((socket: SteadySocket<In, Out>) => void | Promise<void>) | undefined
  /** Encodes `send()` arguments and decodes inbound frames. @default raw */
  codec?: Codec<In, Out> | undefined
  /** Browser only: react to online/offline, visibility and bfcache restores. @default true */
  watchNetwork?: boolean | undefined
  /** Random source in [0, 1) for jitter. @default Math.random */
  random?: (() => number) | undefined
}

/** The defaults, as one frozen object. Sub-objects apply when that feature is on. */
export const DEFAULTS = deepFreeze({
  binaryType: 'blob' as 'blob' | 'arraybuffer',
  autoConnect: true,
  connectTimeout: 10000,
  reconnect: {
    initialDelay: 1000,
    maxDelay: 10000,
    factor: 2,
    jitter: 'full' as 'full' | 'none' | number,
    maxRetries: Infinity,
    minUptime: 5000,
  },
  queue: { maxMessages: Infinity, maxBytes: 1048576, overflow: 'reject' as const, ttl: 0 },
  backpressure: { highWaterMark: 1048576, lowWaterMark: 262144 },
  recoverUnsent: true,
  heartbeat: { interval: 30000, timeout: 10000, message: 'ping' as RawData | (() => RawData) },
  watchNetwork: true,
})

/** Options after `normalizeOptions()`: every field resolved; disabled features are `null`. */
export type Normalized<In, Out> = {
  protocols: Provider<string | string[]> | undefined
  WebSocket: WebSocketConstructor | undefined
  binaryType: 'blob' | 'arraybuffer'
  autoConnect: boolean
  connectTimeout: number
  reconnect: ReconnectOptions | null
  queue: QueueOptions | null
  backpressure: BackpressureOptions | null
  recoverUnsent: boolean
  heartbeat: HeartbeatOptions | null
  handshake: ((socket: SteadySocket<In, Out>) => void | Promise<void>) | undefined
  codec: Codec<In, Out> | undefined
  watchNetwork: boolean
  random: () => number
}

const KNOWN = [
  'protocols',
  'WebSocket',
  'binaryType',
  'autoConnect',
  'connectTimeout',
  'reconnect',
  'queue',
  'backpressure',
  'recoverUnsent',
  'heartbeat',
  'handshake',
  'codec',
  'watchNetwork',
  'random',
]

/** Validates and expands the second constructor argument, once. Throws on invalid values. */
export function normalizeOptions<In, Out>(
  arg: string | string[] | SteadySocketOptions<In, Out> | undefined,
): Normalized<In, Out> {
  const o: SteadySocketOptions<In, Out> =
    arg === undefined
      ? {}
      : typeof arg === 'string' || Array.isArray(arg)
        ? { protocols: arg }
        : arg
  if (typeof o !== 'object' || o === null)
    fail('options', o, 'an options object, a string or an array of strings')
  for (const key of Object.keys(o)) {
    if (!KNOWN.includes(key)) throw new TypeError(`steadysocket: unknown option "${key}"`)
  }
  const protocols = o.protocols
  if (
    protocols !== undefined &&
    typeof protocols !== 'function' &&
    typeof protocols !== 'string' &&
    !(Array.isArray(protocols) && protocols.every((p) => typeof p === 'string'))
  ) {
    fail('protocols', protocols, 'a string, an array of strings or a function')
  }
  if (o.WebSocket !== undefined && typeof o.WebSocket !== 'function')
    fail('WebSocket', o.WebSocket, 'a constructor')
  const binaryType = pick(o.binaryType, DEFAULTS.binaryType)
  if (binaryType !== 'blob' && binaryType !== 'arraybuffer')
    fail('binaryType', binaryType, "'blob' or 'arraybuffer'")
  const d = DEFAULTS
  const reconnect = section<ReconnectOptions>('reconnect', o.reconnect, true, d.reconnect)
  if (reconnect) {
    num('reconnect.initialDelay', reconnect.initialDelay)
    num('reconnect.maxDelay', reconnect.maxDelay)
    num('reconnect.maxRetries', reconnect.maxRetries, true)
    num('reconnect.minUptime', reconnect.minUptime)
    if (!(reconnect.factor >= 1) || reconnect.factor === Infinity)
      fail('reconnect.factor', reconnect.factor, 'a number ≥ 1', true)
    const j = reconnect.jitter
    if (j !== 'full' && j !== 'none' && !(typeof j === 'number' && j > 0 && j <= 1)) {
      fail('reconnect.jitter', j, "'full', 'none' or a number in (0, 1]")
    }
    fn('reconnect.shouldReconnect', reconnect.shouldReconnect)
    fn('reconnect.delay', reconnect.delay)
  }
  const queue = section<QueueOptions>('queue', o.queue, true, d.queue)
  if (queue) {
    num('queue.maxMessages', queue.maxMessages, true)
    num('queue.maxBytes', queue.maxBytes, true)
    num('queue.ttl', queue.ttl)
    if (queue.overflow !== 'reject' && queue.overflow !== 'drop-oldest') {
      fail('queue.overflow', queue.overflow, "'reject' or 'drop-oldest'")
    }
  }
  const backpressure = section<BackpressureOptions>(
    'backpressure',
    o.backpressure,
    true,
    d.backpressure,
  )
  if (backpressure) {
    num('backpressure.highWaterMark', backpressure.highWaterMark, true)
    num('backpressure.lowWaterMark', backpressure.lowWaterMark)
    if (backpressure.lowWaterMark > backpressure.highWaterMark) {
      fail('backpressure.lowWaterMark', backpressure.lowWaterMark, 'at most highWaterMark', true)
    }
  }
  const heartbeat = section<HeartbeatOptions>('heartbeat', o.heartbeat, false, d.heartbeat)
  if (heartbeat) {
    num('heartbeat.interval', heartbeat.interval, false, true)
    num('heartbeat.timeout', heartbeat.timeout, false, true)
    if (heartbeat.message === undefined || heartbeat.message === null)
      fail('heartbeat.message', heartbeat.message, 'a frame or a function')
    fn('heartbeat.isPong', heartbeat.isPong)
  }
  fn('handshake', o.handshake)
  fn('random', o.random)
  if (
    o.codec !== undefined &&
    (typeof o.codec?.encode !== 'function' || typeof o.codec?.decode !== 'function')
  ) {
    fail('codec', o.codec, 'an object with encode() and decode()')
  }
  const connectTimeout = pick(o.connectTimeout, d.connectTimeout)
  num('connectTimeout', connectTimeout)
  return {
    protocols,
    WebSocket: o.WebSocket as WebSocketConstructor | undefined,
    binaryType,
    autoConnect: bool('autoConnect', pick(o.autoConnect, d.autoConnect)),
    connectTimeout,
    reconnect,
    queue,
    backpressure,
    recoverUnsent: bool('recoverUnsent', pick(o.recoverUnsent, d.recoverUnsent)),
    heartbeat,
    handshake: o.handshake,
    codec: o.codec,
    watchNetwork: bool('watchNetwork', pick(o.watchNetwork, d.watchNetwork)),
    random: o.random ?? Math.random,
  }
}

function pick<T>(value: T | undefined, fallback: T): T {
  return value === undefined ? fallback : value
}

/** `true` → the defaults, `false` → null, an object → merged over the defaults. */
function section<T extends object>(
  name: string,
  value: unknown,
  onByDefault: boolean,
  defaults: T,
): T | null {
  const base = defaults as Record<string, unknown>
  if (value === undefined) value = onByDefault
  if (value === false) return null
  if (value === true) return { ...defaults }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail(name, value, 'a boolean or an object')
  for (const key of Object.keys(value)) {
    if (!(key in base) && !OPTIONAL_KEYS.includes(key))
      throw new TypeError(`steadysocket: unknown option "${name}.${key}"`)
  }
  const out: Record<string, unknown> = { ...base }
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = v
  return out as T
}
const OPTIONAL_KEYS = ['shouldReconnect', 'delay', 'isPong']

function num(name: string, value: unknown, infinityOk = false, positive = false): void {
  if (
    typeof value !== 'number' ||
    Number.isNaN(value) ||
    value < 0 ||
    (positive && value === 0) ||
    (!infinityOk && value === Infinity)
  ) {
    fail(
      name,
      value,
      `a ${positive ? 'positive' : 'non-negative'} ${infinityOk ? 'number (Infinity allowed)' : 'finite number'}`,
      typeof value === 'number',
    )
  }
}

function fn(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') fail(name, value, 'a function')
}

function bool(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') fail(name, value, 'a boolean')
  return value as boolean
}

function fail(name: string, value: unknown, expected: string, range = false): never {
  const shown =
    typeof value === 'string'
      ? `"${value}"`
      : typeof value === 'function'
        ? 'a function'
        : String(value)
  const E = range ? RangeError : TypeError
  throw new E(`steadysocket: option "${name}" must be ${expected}, got ${shown}`)
}

function deepFreeze<T extends object>(o: T): Readonly<T> {
  for (const v of Object.values(o)) if (typeof v === 'object' && v !== null) deepFreeze(v)
  return Object.freeze(o)
}
