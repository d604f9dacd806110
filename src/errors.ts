/**
 * Errors emitted on the `error` event, and thrown or rejected by the promise helpers.
 *
 * Guards compare a global symbol brand and the `name`, not `instanceof` alone, so an error that
 * crossed a realm (an iframe, a second copy of the package) is still recognised. A structured
 * clone (`postMessage` to a worker) keeps neither the brand nor the class name.
 */

// `Symbol.for` keys live in the registry shared by every realm of the agent.
const BRAND = Symbol.for('steadysocket.error')

/** Base class of every error this package emits or rejects with. */
export class SteadySocketError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message)
    if (options && 'cause' in options) this.cause = options.cause
  }
}
Object.defineProperty(SteadySocketError.prototype, BRAND, { value: true })

/** The native socket failed to connect, or failed while open (the browser tells no more). */
export class ConnectError extends SteadySocketError {}
/** The socket stayed in CONNECTING longer than `connectTimeout`; it was abandoned. */
export class ConnectTimeoutError extends SteadySocketError {}
/** Nothing arrived within `heartbeat.timeout` of a ping: the connection was treated as dead. */
export class HeartbeatTimeoutError extends SteadySocketError {}
/** The URL or protocols provider threw, rejected, or returned an unusable URL. */
export class ProviderError extends SteadySocketError {}
/** The `handshake` option threw or rejected; the attempt counts as failed. */
export class HandshakeError extends SteadySocketError {}
/** A promise helper (`opened()`, `flush()`) gave up because the socket is `closed`. */
export class ClosedError extends SteadySocketError {}
/** A promise helper (`opened()`, `flush()`) ran past its `timeout`. */
export class TimeoutError extends SteadySocketError {}

/** The codec could not decode an inbound frame; `data` is the raw frame. The socket stays up. */
export class DecodeError extends SteadySocketError {
  /** The raw frame that failed to decode. */
  declare readonly data: unknown
  constructor(message: string, data: unknown, options?: { cause?: unknown }) {
    super(message, options)
    this.data = data
  }
}

const classes = {
  SteadySocketError,
  ConnectError,
  ConnectTimeoutError,
  HeartbeatTimeoutError,
  ProviderError,
  HandshakeError,
  ClosedError,
  TimeoutError,
  DecodeError,
}
// Minifiers rename classes, so `name` is set from these keys rather than from `constructor.name`.
for (const [name, cls] of Object.entries(classes)) {
  Object.defineProperty(cls.prototype, 'name', { value: name, writable: true, configurable: true })
}

/**
 * The names of the error classes, as found in `error.name`.
 *
 * @useDeclaredType
 */
export type SteadySocketErrorName = keyof typeof classes

/**
 * True when `value` is an error from this package (any realm, any copy of the package);
 * with `name`, only errors of that class.
 *
 * @example
 * socket.on('error', (e) => { if (isSteadySocketError(e, 'HeartbeatTimeoutError')) metrics.dead++ })
 */
export function isSteadySocketError<N extends SteadySocketErrorName = 'SteadySocketError'>(
  value: unknown,
  name?: N,
): value is InstanceType<(typeof classes)[N]> {
  return (
    (value as Record<symbol, unknown> | null | undefined)?.[BRAND] === true &&
    (name === undefined || name === 'SteadySocketError' || (value as Error).name === name)
  )
}
