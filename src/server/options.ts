import type { SessionStore } from './store'

/** Options of {@link resumable} and {@link ResumableServer}. Every field is optional. */
export type ResumableOptions = {
  /**
   * ms a session is kept after its connection is lost, waiting for the client to resume it;
   * then it ends (`end` `'expired'`) and its buffer is freed.
   * @default 120000
   */
  window?: number
  /**
   * Bound on each session's unacknowledged payload bytes (UTF-8 bytes of text, bytes of binary;
   * PROTOCOL.md section 7). A message that would pass it waits in the session until
   * acknowledgements make room (one larger than the bound still goes, alone); `send()` returns
   * `false` meanwhile and `drain` follows. Sent to clients as `max`.
   * @default 1048576
   */
  maxBytes?: number
  /**
   * ms a new connection has to send its `hello`; then it is closed with 4460 (PROTOCOL.md 2.2).
   * @default 10000
   */
  helloTimeout?: number
  /**
   * ms between WebSocket pings from {@link resumable} to every connection; one that has not
   * answered the previous ping by the next is terminated, so its session starts its `window`
   * instead of waiting for TCP to notice a dead peer (PROTOCOL.md section 7). `0` = no pings.
   * @default 30000
   */
  heartbeat?: number
  /**
   * When the server acknowledges what it received (PROTOCOL.md section 7). An acknowledgement is
   * also due once the unacknowledged payload reaches a quarter of the client's `max`.
   * @default { messages: 32, delay: 100 }
   */
  ack?: {
    /** Acknowledge at the latest after this many messages. @default 32 */
    messages?: number
    /** Acknowledge at the latest this many ms after the oldest unacknowledged message arrived. @default 100 */
    delay?: number
  }
  /**
   * Where sessions are found by their id. The default keeps them in this process's memory, with
   * a new random epoch: a client that reconnects to another process, or after a restart, gets a
   * new session (`resumed: false`).
   * @default a new in-memory store
   */
  store?: SessionStore
}

/** The options after {@link normalizeOptions}: every value present and checked. */
export type Settings = {
  readonly window: number
  readonly maxBytes: number
  readonly helloTimeout: number
  readonly heartbeat: number
  readonly ackMessages: number
  readonly ackDelay: number
  readonly store: SessionStore | undefined
}

/** The defaults of {@link ResumableOptions}. */
export const DEFAULTS = Object.freeze({
  window: 120_000,
  maxBytes: 1_048_576,
  helloTimeout: 10_000,
  heartbeat: 30_000,
  ack: Object.freeze({ messages: 32, delay: 100 }),
})

// setTimeout's own limit: a longer delay fires at once (with a warning).
const MAX_DELAY = 2 ** 31 - 1

/** Checks and completes the options once; throws a `TypeError` naming the option at fault. */
export function normalizeOptions(options: ResumableOptions | undefined): Settings {
  const o = section(options, 'options')
  const ack = section(o.ack, 'ack')
  return {
    window: int(own(o, 'window') ?? DEFAULTS.window, 'window', 0, MAX_DELAY),
    maxBytes: int(own(o, 'maxBytes') ?? DEFAULTS.maxBytes, 'maxBytes', 0, Number.MAX_SAFE_INTEGER),
    helloTimeout: int(
      own(o, 'helloTimeout') ?? DEFAULTS.helloTimeout,
      'helloTimeout',
      1,
      MAX_DELAY,
    ),
    heartbeat: int(own(o, 'heartbeat') ?? DEFAULTS.heartbeat, 'heartbeat', 0, MAX_DELAY),
    ackMessages: int(own(ack, 'messages') ?? DEFAULTS.ack.messages, 'ack.messages', 1, 2 ** 32),
    ackDelay: int(own(ack, 'delay') ?? DEFAULTS.ack.delay, 'ack.delay', 0, MAX_DELAY),
    store: store(own(o, 'store')),
  }
}

function section(value: unknown, name: string): Record<string, unknown> {
  if (value === undefined) return {}
  const proto = value !== null && typeof value === 'object' ? Object.getPrototypeOf(value) : 0
  if (proto !== Object.prototype && proto !== null)
    throw new TypeError(`resumable: ${name} must be a plain object, got ${describe(value)}`)
  return value as Record<string, unknown>
}

// Own properties only: a polluted Object.prototype changes nothing.
function own(o: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined
}

function int(value: unknown, name: string, min: number, max: number): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max)
    return value
  throw new TypeError(
    `resumable: ${name} must be an integer from ${min} to ${max}, got ${describe(value)}`,
  )
}

function store(value: unknown): SessionStore | undefined {
  if (value === undefined) return undefined
  const s = value as Partial<SessionStore> | null
  if (
    !s ||
    typeof s !== 'object' ||
    typeof s.get !== 'function' ||
    typeof s.set !== 'function' ||
    typeof s.delete !== 'function' ||
    typeof s.epoch !== 'string' ||
    !/^[\w-]{1,64}$/.test(s.epoch)
  )
    throw new TypeError(
      'resumable: store must have get(), set(), delete() and an epoch of 1 to 64 of A-Z a-z 0-9 - _',
    )
  return s as SessionStore
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value)
}
