import { describe } from './attempt'
import type { Codec, RawData } from './codec'
import { ClosedError, DecodeError, type SteadySocketError } from './errors'
import { call, type CloseInfo, type Emitter, type SteadySocketEvents, type Status } from './events'
import type { BinaryType } from './options'
import { SocketSurface } from './surface'
import { waitFor, checkTimeout } from './wait'

/** An immutable view of the socket's state; a new object only when one of its fields changes. */
export type Snapshot = Readonly<{
  /** The socket's status. */
  status: Status
  /** 0–3 like the native one: CONNECTING (0) while connecting or waiting to reconnect. */
  readyState: 0 | 1 | 2 | 3
  /** Consecutive failed attempts since the last stable connection. */
  attempt: number
  /** URL of the current (or last) socket; `''` before a URL provider first resolved. */
  url: string
  /** The latest close (also set when an attempt failed before a socket existed); `null` until one. */
  lastClose: CloseInfo | null
  /** The latest `error` event's error; `null` until one. Not cleared by a successful open. */
  lastError: SteadySocketError | null
}>

/**
 * What `SteadySocket` and `TabSocket` share beyond the surface: the snapshot store (committed
 * state, subscribers told once per change), waiters and `opened()`, decoding of inbound frames,
 * `binaryType`, the events of the WebSocket-compatible surface, and the end of `dispose()`.
 */
export abstract class SocketBase<
  In,
  Out,
  E extends SteadySocketEvents<In, Out>,
  S extends Snapshot,
> extends SocketSurface<E> {
  /** The typed events. @internal */
  protected readonly _ev: Emitter<E>
  /** `opened()` and `flush()` promises: each looks again whenever the state may have changed. @internal */
  protected readonly _waiters = new Set<() => void>()
  /** Set first thing in `dispose()`. @internal */
  protected _disposed = false
  readonly #subs = new Set<() => void>()
  readonly #codec: Codec<In, Out> | undefined
  #binary: BinaryType
  #snap: S | undefined
  /** The snapshot subscribers were last told about. */
  #told: S | undefined

  constructor(ev: Emitter<E>, codec: Codec<In, Out> | undefined, binaryType: BinaryType) {
    super(ev)
    this._ev = ev
    this.#codec = codec
    this.#binary = binaryType
  }

  /** The snapshot's fields as they are now (`readyState` is derived from `status`). @internal */
  protected abstract _fields(): Omit<S, 'readyState'>

  /** Applies a new `binaryType` to the socket(s) this class writes to (see `adoptBinaryType`). @internal */
  protected abstract _applyBinaryType(value: BinaryType): void

  /** Records a decode failure in the state and announces it as an `error` event. @internal */
  protected abstract _decodeFailed(error: DecodeError): void

  /**
   * Applied to every native socket, including after reconnects: `'blob'`, `'arraybuffer'`, or
   * another type the WebSocket implementation accepts (Node's `ws`: `'nodebuffer'`,
   * `'fragments'`). Reads the type the current (or last) socket kept. @default 'blob'
   */
  get binaryType(): BinaryType {
    return this.#binary
  }
  /**
   * Sets it on the current socket and every later one. As native, a value the implementation
   * does not accept is ignored (known once a socket exists: until then it is taken as given).
   */
  set binaryType(value: BinaryType) {
    // As the native setter: converted to a string, never a throw for an unknown type.
    this.#binary = String(value)
    this._applyBinaryType(this.#binary)
  }

  /** Sets `binaryType` on a native socket; what it kept (it ignores a type it lacks) is ours. @internal */
  protected _adoptBinaryType(ws: { binaryType: string }): void {
    ws.binaryType = this.#binary
    const kept: unknown = ws.binaryType
    if (typeof kept === 'string') this.#binary = kept
  }

  /** The current state snapshot (referentially stable until it changes). For `useSyncExternalStore`. */
  getSnapshot = (): S => {
    const s = this.#snap
    const now = this._fields() as Record<string, unknown>
    if (s !== undefined) {
      let same = true
      for (const key in now) if (now[key] !== (s as Record<string, unknown>)[key]) same = false
      if (same) return s
    }
    return (this.#snap = Object.freeze({ ...now, readyState: this.readyState }) as S)
  }

  /** Calls `listener` after every snapshot change; returns the unsubscribe function. */
  subscribe = (listener: () => void): (() => void) => {
    this.#subs.add(listener)
    return () => this.#subs.delete(listener)
  }

  /** Resolves when open (at once if it is); rejects if the socket is or becomes `closed`, or on timeout. */
  opened(options?: { timeout?: number }): Promise<void> {
    return this._wait('opened()', options?.timeout, () =>
      this._disposed
        ? new ClosedError('steadysocket: the socket was disposed')
        : this.status === 'open'
          ? true
          : this.status === 'closed'
            ? new ClosedError('steadysocket: the socket is closed')
            : false,
    )
  }

  /** A promise `check` settles, looked at again on every `runWaiters()` (see `waitFor`). @internal */
  protected _wait(
    what: string,
    timeout: number | undefined,
    check: () => boolean | Error,
    cleanup?: () => void,
  ): Promise<void> {
    checkTimeout(what, timeout)
    return waitFor(this._waiters, what, timeout, check, cleanup)
  }

  /** @internal */
  protected _runWaiters(): void {
    if (this._waiters.size > 0) for (const run of [...this._waiters]) run()
  }

  /** Tells subscribers once if the snapshot changed since they were last told. @internal */
  protected _notify(): void {
    const snap = this.getSnapshot()
    if (snap === this.#told) return
    this.#told = snap
    for (const fn of [...this.#subs]) call(fn, undefined)
  }

  /** An inbound frame: decoded and emitted; the compatible surface sees it raw, as native would. @internal */
  protected _receive(raw: RawData): void {
    const codec = this.#codec
    if (codec === undefined) this._ev.emit('message', raw as In)
    else {
      let message: In | undefined
      let failed = false
      try {
        message = codec.decode(raw)
      } catch (error) {
        failed = true
        this._decodeFailed(
          new DecodeError(
            process.env.NODE_ENV !== 'production'
              ? `steadysocket: could not decode a frame: ${describe(error)}`
              : 'decode',
            raw,
            {
              cause: error,
            },
          ),
        )
      }
      if (!failed) this._ev.emit('message', message as In)
    }
    if (this._hasCompat('message')) this._dispatchCompat({ type: 'message', data: raw })
  }

  /** @internal */
  protected _emitError(error: SteadySocketError): void {
    this._ev.emit('error', error)
    if (this._hasCompat('error')) this._dispatchCompat({ type: 'error', error })
  }

  /** @internal */
  protected _emitClose(close: CloseInfo, willReconnect: boolean): void {
    this._ev.emit('close', { ...close, willReconnect })
    if (this._hasCompat('close')) this._dispatchCompat({ type: 'close', ...close })
  }

  /** @internal */
  protected _emitOpen(isReconnect: boolean): void {
    this._ev.emit('open', { isReconnect })
    if (this.status === 'open' && this._hasCompat('open')) this._dispatchCompat({ type: 'open' })
  }

  /** The end of `dispose()`: pending promises settle (rejected), every listener goes. @internal */
  protected _released(): void {
    this._runWaiters()
    this._ev.clear()
    this._clearCompat()
    this.#subs.clear()
  }
}
