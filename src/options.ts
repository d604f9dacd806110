import { isBinary, type Codec, type RawData } from './codec'
import type { CloseInfo } from './events'

/** A value, or a (possibly async) function run before every connection attempt. */
export type Provider<T> = T | (() => T | Promise<T>)

/** The subset of the WebSocket constructor this package uses (browser, `ws`, React Native). */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike

/** The subset of a WebSocket instance this package uses. */
export type WebSocketLike = {
  /** 0 CONNECTING, 1 OPEN, 2 CLOSING, 3 CLOSED. */
  readonly readyState: number
  /** Bytes passed to `send()` and not yet transmitted; drives backpressure and `recoverUnsent`. */
  readonly bufferedAmount: number
  /** The URL, as the native socket reports it. */
  readonly url: string
  /** The subprotocol the server chose (`''` when none). */
  readonly protocol: string
  /** The extensions the server chose (`''` when none). */
  readonly extensions: string
  /** Set on every socket from the option (or `socket.binaryType`), then read back. */
  binaryType: string
  /** Assigned by `SteadySocket`; the event object is not read. */
  onopen: ((ev: never) => unknown) | null
  /** Only `data` is read: the raw frame, handed to the codec. */
  onmessage: ((ev: { data: unknown }) => unknown) | null
  /** Used for `message` where present (faster in Chromium than `onmessage`). */
  addEventListener?(type: 'message', listener: (ev: { data: unknown }) => void): void
  /** Removes the `message` listener from a replaced socket. */
  removeEventListener?(type: 'message', listener: (ev: { data: unknown }) => void): void
  /** Assigned by `SteadySocket`; the event object is not read (a `ConnectError` is emitted). */
  onerror: ((ev: never) => unknown) | null
  /** `code`, `reason` and `wasClean` are read, for the `close` event and the reconnect policy. */
  onclose: ((ev: { code: number; reason: string; wasClean: boolean }) => unknown) | null
  /** Called with the encoded frame (a `RawData`) once the socket has opened, never while CONNECTING. */
  send(data: never): void
  /** Called with a code and reason while OPEN; otherwise with no arguments. */
  close(code?: number, reason?: string): void
}

/**
 * A `binaryType`: `'blob'` or `'arraybuffer'` in browsers; with Node's `ws` also `'nodebuffer'`
 * and `'fragments'`. A value the WebSocket implementation does not accept is ignored, as native.
 */
export type BinaryType = 'blob' | 'arraybuffer' | (string & {})

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

/**
 * The send queue: messages waiting while the socket is not open, or held back by backpressure.
 * Unbounded by default, like the native socket's own buffer, so that code written for a native
 * `WebSocket` loses nothing it would have delivered; bounds are opt-in (long offline periods,
 * chatty producers).
 */
export type QueueOptions = {
  /** Most messages waiting; past it a new one is refused or the oldest evicted. @default Infinity */
  maxMessages: number
  /** Most bytes waiting (UTF-8 bytes for strings); past it as for `maxMessages`. @default Infinity */
  maxBytes: number
  /** What a full queue does with a new message: refuse it, or evict from the front. @default 'reject' */
  overflow: 'reject' | 'drop-oldest'
  /** ms after which a waiting message is dropped (`'expired'`) instead of written; 0 = never. @default 0 */
  ttl: number
}

/**
 * Write throttling on the native `bufferedAmount`, advisory as in Node streams: above the
 * high-water mark `send()` holds the message in the queue and returns `'queued'` (never a loss),
 * and `drain` tells a producer that awaits it when to go on.
 */
export type BackpressureOptions = {
  /** Above this many native buffered bytes, `send()` queues (`'queued'`). @default 1048576 */
  highWaterMark: number
  /** Writing from the queue resumes at or below this (not given: `highWaterMark` when that is lower). @default 262144 */
  lowWaterMark: number
}

/** Liveness checks for half-open connections. */
export type HeartbeatOptions = {
  /** ms between pings. @default 30000 */
  interval: number
  /** ms without any inbound frame after a ping before the connection counts as dead. @default 10000 */
  timeout: number
  /** The ping frame (text or binary), or a function that returns it (a throw: no ping, no deadline). @default 'ping' */
  message: RawData | (() => RawData)
  /** Frames for which this returns true are not emitted as messages. @default none */
  isPong?: ((raw: RawData) => boolean) | undefined
}

/** Resumable sessions with a server that speaks the protocol (PROTOCOL.md). */
export type ResumeOptions = {
  /**
   * Payload bytes written and not yet acknowledged by the server, at most; past it `send()`
   * queues (`'queued'`, then `drain`). One larger message still goes, alone. @default 1048576
   */
  maxBytes: number
}

/**
 * The options of a socket class, whose `handshake` gets the socket itself (`Self`): see
 * `SteadySocketOptions`. All optional.
 */
export type SocketOptions<In, Out, Self> = {
  /** Subprotocols, or a (possibly async) provider run before every attempt. @default none */
  protocols?: Provider<string | string[]> | undefined
  /** WebSocket constructor (Node's `ws`, tests, React Native). @default globalThis.WebSocket */
  WebSocket?:
    WebSocketConstructor | (new (url: string, protocols?: string | string[]) => unknown) | undefined
  /**
   * Applied to every native socket: `'blob'`, `'arraybuffer'`, or another type the WebSocket
   * implementation accepts (Node's `ws`: `'nodebuffer'`, `'fragments'`). One it does not accept
   * is ignored, as native ignores it: the socket keeps its own. @default 'blob'
   */
  binaryType?: BinaryType | undefined
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
  /**
   * Runs on every open before the queue flushes; rejection = failed attempt. Sends while it runs
   * are its own: written ahead of the queue, never re-sent by `recoverUnsent`. @default none
   */
  handshake?: ((socket: Self) => void | Promise<void>) | undefined
  /** Encodes `send()` arguments and decodes inbound frames. @default raw */
  codec?: Codec<In, Out> | undefined
  /** Browser only: react to online/offline, visibility and bfcache restores. @default true */
  watchNetwork?: boolean | undefined
  /** Random source in [0, 1) for jitter. @default Math.random */
  random?: (() => number) | undefined
  /**
   * `true`, or session settings: nothing lost in either direction across reconnects, with a
   * server that speaks the protocol (`steadysocket/server`; PROTOCOL.md). Supersedes
   * `recoverUnsent`; the heartbeat then uses the protocol's ping and pong. @default false
   */
  resume?: boolean | Loose<ResumeOptions> | undefined
}

/** The longest delay a timer honours (2^31 − 1 ms): browsers and Node fire longer ones at once. */
export const MAX_DELAY = 2147483647

/** The defaults, as one frozen object. Sub-objects apply when that feature is on. */
export const DEFAULTS = deepFreeze({
  /** Default of {@link SocketOptions.binaryType}. */
  binaryType: 'blob' as BinaryType,
  /** Default of {@link SocketOptions.autoConnect}. */
  autoConnect: true,
  /** Default of {@link SocketOptions.connectTimeout}, in ms. */
  connectTimeout: 10000,
  /** Reconnection is on by default, with these settings. */
  reconnect: {
    /** Default of {@link ReconnectOptions.initialDelay}, in ms. */
    initialDelay: 1000,
    /** Default of {@link ReconnectOptions.maxDelay}, in ms. */
    maxDelay: 10000,
    /** Default of {@link ReconnectOptions.factor}. */
    factor: 2,
    /** Default of {@link ReconnectOptions.jitter}. */
    jitter: 'full' as 'full' | 'none' | number,
    /** Default of {@link ReconnectOptions.maxRetries}. */
    maxRetries: Infinity,
    /** Default of {@link ReconnectOptions.minUptime}, in ms. */
    minUptime: 5000,
  },
  /** The queue is on by default, with these settings. */
  queue: {
    /** Default of {@link QueueOptions.maxMessages}. */
    maxMessages: Infinity,
    /** Default of {@link QueueOptions.maxBytes}: unbounded. */
    maxBytes: Infinity,
    /** Default of {@link QueueOptions.overflow}. */
    overflow: 'reject' as const,
    /** Default of {@link QueueOptions.ttl}, in ms (0 = never expire). */
    ttl: 0,
  },
  /** Backpressure is on by default, with these settings. */
  backpressure: {
    /** Default of {@link BackpressureOptions.highWaterMark}, in bytes (1 MiB). */
    highWaterMark: 1048576,
    /** Default of {@link BackpressureOptions.lowWaterMark}, in bytes (256 KiB). */
    lowWaterMark: 262144,
  },
  /** Default of {@link SocketOptions.recoverUnsent}. */
  recoverUnsent: true,
  /** The heartbeat is off by default; `heartbeat: true` uses these settings. */
  heartbeat: {
    /** Default of {@link HeartbeatOptions.interval}, in ms. */
    interval: 30000,
    /** Default of {@link HeartbeatOptions.timeout}, in ms. */
    timeout: 10000,
    /** Default of {@link HeartbeatOptions.message}. */
    message: 'ping' as RawData | (() => RawData),
  },
  /** Default of {@link SocketOptions.watchNetwork}. */
  watchNetwork: true,
  /** Resumable sessions are off by default; `resume: true` uses these settings. */
  resume: {
    /** Default of {@link ResumeOptions.maxBytes}, in bytes (1 MiB). */
    maxBytes: 1048576,
  },
})

/** Options after `normalizeOptions()`: every field resolved; disabled features are `null`. */
export type Normalized<In, Out, Self = unknown> = {
  protocols: Provider<string | string[]> | undefined
  WebSocket: WebSocketConstructor | undefined
  binaryType: BinaryType
  autoConnect: boolean
  connectTimeout: number
  reconnect: ReconnectOptions | null
  queue: QueueOptions | null
  backpressure: BackpressureOptions | null
  recoverUnsent: boolean
  heartbeat: HeartbeatOptions | null
  handshake: ((socket: Self) => void | Promise<void>) | undefined
  codec: Codec<In, Out> | undefined
  watchNetwork: boolean
  random: () => number
  resume: ResumeOptions | null
  /** ms an open connection must last to be stable (`reconnect.minUptime`, also without reconnect). */
  minUptime: number
  /** ms to wait for the close event of a socket given up on while it may still transmit. */
  settleWithin: number
}

// The validator is one table: each option's rule, a section's being a nested table of its own.
// A rule is a `typeof` name, a range [min, max, ...strings also allowed] (a number out of it is a
// RangeError), or a predicate. The defaults go through the same checks: they pass by construction.
// `npm run size:floor` prices validation by stubbing this file from the declaration of RULES down
// to isConstructor (it looks for the first "const" + " RULES", so no comment may say it): what is
// declared above RULES must be pure, tree-shaken there when unused.
type Range = [min: number, max: number, ...also: string[]]
type Rule = string | Range | ((value: unknown) => unknown)
type Rules = { [option: string]: Rule | Rules }

// Timers fire at once beyond 2^31 − 1 ms (about 24.8 days) in browsers and Node: refuse those.
const ms: Range = [0, MAX_DELAY]
// 5e-324 is the least number above 0.
const positiveMs: Range = [5e-324, MAX_DELAY]
const unbounded: Range = [0, Infinity]

const RULES: Rules = {
  protocols: (v) => typeof v === 'function' || checkProtocols(v as string | string[]),
  WebSocket: isConstructor,
  // Which binary types exist is the WebSocket implementation's business: it ignores one it lacks.
  binaryType: 'string',
  autoConnect: 'boolean',
  connectTimeout: ms,
  reconnect: {
    initialDelay: ms,
    maxDelay: ms,
    factor: [1, Number.MAX_VALUE],
    jitter: [5e-324, 1, 'full', 'none'],
    maxRetries: unbounded,
    minUptime: ms,
    shouldReconnect: 'function',
    delay: 'function',
  },
  queue: {
    maxMessages: unbounded,
    maxBytes: unbounded,
    overflow: (v) => v === 'reject' || v === 'drop-oldest',
    ttl: [0, Number.MAX_VALUE],
  },
  backpressure: { highWaterMark: unbounded, lowWaterMark: [0, Number.MAX_VALUE] },
  recoverUnsent: 'boolean',
  heartbeat: {
    interval: positiveMs,
    timeout: positiveMs,
    message: (v) => typeof v === 'string' || typeof v === 'function' || isBinary(v),
    isPong: 'function',
  },
  handshake: 'function',
  codec: (v) =>
    typeof (v as Codec<unknown, unknown>)?.encode === 'function' &&
    typeof (v as Codec<unknown, unknown>).decode === 'function',
  watchNetwork: 'boolean',
  random: 'function',
  // A JSON number the server can read: a whole number of bytes.
  resume: { maxBytes: (v) => Number.isSafeInteger(v) && (v as number) > 0 },
}

/**
 * Validates and expands the second constructor argument, once. Throws on invalid values.
 * `undefined` and `null` mean no protocols, as with `new WebSocket(url)`. Only own properties
 * are read, and every option is an own property of the result, so a polluted
 * `Object.prototype` (a `handshake`, `codec`, `delay` or `isPong` on it) changes nothing.
 */
export function normalizeOptions<In, Out, Self>(
  arg: string | string[] | SocketOptions<In, Out, Self> | null | undefined,
): Normalized<In, Out, Self> {
  const o = typeof arg === 'string' || Array.isArray(arg) ? { protocols: arg } : (arg ?? {})
  const n = read('', o, RULES, {
    ...DEFAULTS,
    heartbeat: false,
    resume: false,
    random: Math.random,
  }) as Normalized<In, Out, Self>
  const bp = n.backpressure
  // A high-water mark below the default low one, with no low one given, brings the low one down.
  // Reached only with a `backpressure` object given (the defaults are in order), and a low one
  // given there is then above 0.
  if (bp && bp.lowWaterMark > bp.highWaterMark) {
    if (own((o as { backpressure?: unknown }).backpressure, 'lowWaterMark'))
      fail('backpressure.lowWaterMark', bp.lowWaterMark, [0, bp.highWaterMark])
    bp.lowWaterMark = bp.highWaterMark
  }
  n.minUptime = (n.reconnect ?? DEFAULTS.reconnect).minUptime
  n.settleWithin = n.connectTimeout || n.heartbeat?.timeout || DEFAULTS.connectTimeout
  return n
}

/**
 * The options of one table (`prefix`: '' for the top level, else the section's name and a dot),
 * given ones over `defaults`, every one checked; an unknown one throws. A section takes `true`
 * (its defaults), `false` (off: null) or a plain object; one not given takes its entry of
 * `defaults`: its defaults object, or `false` when it is off by default.
 */
function read(prefix: string, given: unknown, rules: Rules, defaults: object): object {
  // A Map, a Date or a class instance would be read as no settings at all: say so instead.
  if (!isPlainObject(given)) fail(prefix.slice(0, -1) || 'options', given, rules)
  const out: Record<string, unknown> = { ...defaults }
  for (const [key, v] of Object.entries(given)) {
    if (v === undefined) continue
    if (!hasOwn(rules, key)) fail(prefix + key)
    out[key] = v
  }
  for (const [key, rule] of Object.entries(rules)) {
    const v = own(out, key)
    if (isPlainObject(rule)) {
      const its = DEFAULTS[key as keyof typeof DEFAULTS] as object
      out[key] = v === false ? null : read(prefix + key + '.', v === true ? {} : v, rule, its)
    } else {
      if (v !== undefined && !valid(rule, v)) fail(prefix + key, v, rule)
      out[key] = v
    }
  }
  return out
}

function valid(rule: Rule, v: unknown): unknown {
  return typeof rule === 'string'
    ? typeof v === rule
    : typeof rule === 'function'
      ? rule(v)
      : typeof v === 'number'
        ? v >= rule[0] && v <= rule[1]
        : rule.includes(v as string, 2)
}

/** The value of an own property of `o`, else `undefined`: never one from `Object.prototype`. */
function own(o: unknown, key: string): unknown {
  return isPlainObject(o) && hasOwn(o, key) ? o[key] : undefined
}

function hasOwn(o: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key)
}

/** An object literal, `Object.create(null)`, or one from another realm: no Map, Date, array or class. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value) as object | null
  return proto === null || Object.getPrototypeOf(proto) === null
}

/** The WebSocket constructor to use: the option, else the global one; a clear error when there is none. */
export function webSocketOf(o: {
  WebSocket: WebSocketConstructor | undefined
}): WebSocketConstructor {
  const WS = o.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
  if (typeof WS !== 'function') {
    throw new TypeError(
      process.env.NODE_ENV !== 'production'
        ? 'steadysocket: no WebSocket implementation found; pass one with the `WebSocket` option ' +
            "(in Node: import { WebSocket } from 'ws', then pass { WebSocket })"
        : 'steadysocket: no WebSocket: pass the `WebSocket` option',
    )
  }
  return WS
}

/**
 * Throws like `new WebSocket(url, protocols)` for what could never connect: a bad or repeated
 * name (a SyntaxError), or one that is no string (a TypeError). Returns true.
 */
export function checkProtocols(protocols: string | string[]): true {
  const list = ([] as unknown[]).concat(protocols)
  list.forEach((p, i) => {
    if (typeof p !== 'string') fail('protocols', protocols, RULES.protocols as Rule)
    // An HTTP token (RFC 9110 tchar): what a Sec-WebSocket-Protocol element may contain.
    if (!/^[\w!#$%&'*+.^`|~-]+$/.test(p) || list.indexOf(p) !== i) {
      throw new SyntaxError(
        process.env.NODE_ENV !== 'production'
          ? `steadysocket: option "protocols" has an invalid or repeated subprotocol "${p}"`
          : 'steadysocket: option "protocols"',
      )
    }
  })
  return true
}

/**
 * Throws for an invalid option (`rule`: the rule it broke or the table it is not in; none: an
 * unknown option): in development with what it must be and what it got, in production with the
 * option's name alone. A number out of a range is a RangeError, anything else a TypeError.
 */
function fail(name: string, value?: unknown, rule?: Rule | Rules): never {
  throw new (typeof value === 'number' && Array.isArray(rule) ? RangeError : TypeError)(
    process.env.NODE_ENV !== 'production'
      ? rule
        ? `steadysocket: option "${name}" must be ${describe(name, rule)}, got ${describeValue(value)}`
        : `steadysocket: unknown option "${name}"`
      : `steadysocket: option "${name}"`,
  )
}

/** What a rule asks for, in words: development messages only. */
function describe(name: string, rule: Rule | Rules): string {
  if (rule === RULES) return 'an options object, a string or an array of strings'
  if (isPlainObject(rule)) return 'a boolean or a plain object'
  if (typeof rule === 'string')
    return rule === 'string' ? "a string such as 'blob' or 'arraybuffer'" : `a ${rule}`
  if (typeof rule === 'function') {
    const words: Record<string, string> = {
      protocols: 'a string, an array of strings or a function',
      WebSocket: 'a constructor',
      codec: 'an object with encode() and decode()',
      'queue.overflow': "'reject' or 'drop-oldest'",
      'heartbeat.message': 'a string, binary data or a function',
      'resume.maxBytes': 'a whole number of bytes above 0',
    }
    return words[name]!
  }
  const [min, max, ...also] = rule
  if (also.length) return `${also.map((s) => `'${s}'`).join(', ')} or a number in (0, ${max}]`
  if (max === MAX_DELAY) return `a number of ms from ${min && 1} to ${max}`
  if (max === Infinity) return 'a non-negative number (Infinity allowed)'
  if (max !== Number.MAX_VALUE) return `at most highWaterMark (${max})`
  return min ? `a finite number ≥ ${min}` : 'a non-negative finite number'
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return `"${value}"`
  if (typeof value === 'function') return 'a function'
  if (typeof value !== 'object' || value === null) return String(value)
  if (Array.isArray(value)) return 'an array'
  // The kind of object (a Map, a Date, a class instance), not its contents.
  const name = (value as { constructor?: { name?: string } }).constructor?.name
  return name && name !== 'Object' ? `a ${name}` : 'an object'
}

// Reflect.construct throws for a newTarget that is no constructor (arrows, async functions,
// methods) and calls nothing: String is constructed, `value` only lends its prototype.
function isConstructor(value: unknown): boolean {
  try {
    Reflect.construct(String, [], value as new () => unknown)
    return true
  } catch {
    return false
  }
}

function deepFreeze<T extends object>(o: T): Readonly<T> {
  for (const v of Object.values(o)) if (typeof v === 'object' && v !== null) deepFreeze(v)
  return Object.freeze(o)
}
