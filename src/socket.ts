import type { Snapshot } from './base'
import { toFrame, type RawData } from './codec'
import { detach } from './attempt'
import { ClosedError, type DecodeError, type SteadySocketError } from './errors'
import type { SendResult } from './flow'
import { Lifecycle } from './lifecycle'
import { normalizeOptions, type Normalized, type SocketOptions } from './options'
import { closed, socketOf, timerOf, type Phase } from './phase'
import { validateClose, type UrlSource } from './url'
import type { Status } from './events'

export type { Snapshot } from './base'

/** Options of `new SteadySocket(url, options)`; the `handshake` gets the socket. All optional. */
export type SteadySocketOptions<In = RawData, Out = RawData> = SocketOptions<
  In,
  Out,
  SteadySocket<In, Out>
>

/**
 * The key of SteadySocket's internal construction path, for the tabs leader; not exported from
 * the package, so no user can reach it. `new SteadySocket(url, { [INTERNAL]: internal })`.
 */
export const INTERNAL = Symbol()

/** What the internal construction path carries. */
export type Internal<In, Out> = {
  /** Options normalised already (by the TabSocket): used as they are, never normalised again. */
  options: Normalized<In, Out>
  /** Takes every inbound frame raw (heartbeat pongs aside), in place of decoding and `message`. */
  tap: (raw: RawData) => void
  /**
   * Set by the tabs leader just before its last `close()` (src/tabs/leader-socket.ts reads it):
   * told the messages the native socket never transmitted, oldest first (with `recoverUnsent`),
   * once it closed and no socket given up on earlier may still transmit (what those never did is
   * back in the queue by then). While it is set, `close()` leaves such sockets to settle
   * (`dispose()` still cuts every wait short).
   */
  stranded?: ((messages: Out[]) => void) | undefined
}

/**
 * A WebSocket that stays connected: one native socket at a time, reconnect with capped backoff,
 * a send queue with backpressure, recovery of unsent bytes, heartbeat and typed events.
 *
 * @example
 * const socket = new SteadySocket('wss://example.com/feed')
 * socket.on('message', (data) => console.log(data))
 * socket.send('hello') // 'sent', or 'queued' until the socket opens
 */
export class SteadySocket<In = RawData, Out = RawData> extends Lifecycle<In, Out> {
  /** The status the last `status` event reported (listeners are told each change once). */
  #shown: Status = 'closed'

  /**
   * @param url `ws(s):`/`http(s):` URL, relative URL, or a (possibly async) provider run before every attempt.
   * @param protocolsOrOptions subprotocols, as with `new WebSocket` (`undefined` and `null`: none), or the options object.
   */
  constructor(
    url: UrlSource,
    protocolsOrOptions?: string | string[] | SteadySocketOptions<In, Out> | null,
  ) {
    const internal = (
      protocolsOrOptions as { [INTERNAL]?: Internal<In, Out> } | null | undefined
    )?.[INTERNAL]
    // The handshake is called with this socket: `Self` is not needed past normalisation.
    const o = internal?.options ?? (normalizeOptions(protocolsOrOptions) as Normalized<In, Out>)
    super(url, o)
    // The tap takes the place of receive() on this one socket: the others' hot path is unchanged.
    if (internal) this._receive = internal.tap
    if (o.autoConnect) this._connect()
  }

  /** `'connecting' | 'open' | 'closing' | 'reconnecting' | 'closed'`. */
  get status(): Status {
    return this._phase.status
  }
  /** Consecutive failed attempts since the last stable connection (the retry being waited for). */
  get attempt(): number {
    return this._tries
  }
  /** Native `bufferedAmount` plus the bytes waiting in the queue. */
  get bufferedAmount(): number {
    return (socketOf(this._phase)?.bufferedAmount ?? 0) + this._flow.queue.bytes
  }
  /** Messages waiting in the queue. */
  get queueLength(): number {
    return this._flow.queue.length
  }
  /** Bytes waiting in the queue (UTF-8 bytes for strings). */
  get queuedBytes(): number {
    return this._flow.queue.bytes
  }
  /** URL of the current (or last) socket; `''` before a provider first resolved. */
  get url(): string {
    return this._url
  }
  /** Subprotocol the server chose, for the current (or last) socket. */
  get protocol(): string {
    return socketOf(this._phase)?.protocol || this._protocol
  }
  /** Extensions the server chose, for the current (or last) socket. */
  get extensions(): string {
    return socketOf(this._phase)?.extensions || this._extensions
  }
  /** @internal */
  protected _fields(): Omit<Snapshot, 'readyState'> {
    return {
      status: this._phase.status,
      attempt: this._tries,
      url: this._url,
      lastClose: this._lastClose,
      lastError: this._lastError,
    }
  }

  /** @internal */
  protected _applyBinaryType(): void {
    const ws = socketOf(this._phase)
    if (ws) this._adoptBinaryType(ws)
  }

  /** @internal */
  protected _decodeFailed(error: DecodeError): void {
    this._lastError = error
    this._announce(this._phase, error)
  }

  /**
   * Writes `data` to the open socket (`'sent'`), queues it while the socket is not open or the
   * native buffer is above the high-water mark (`'queued'`), or reports it in a `drop` event
   * (`'dropped'`). Never throws for state reasons.
   */
  send(data: Out): SendResult {
    if (this._disposed) {
      // Heard only by listeners still attached while dispose() runs; a no-op afterwards.
      this._ev.emit('drop', { messages: [data], reason: 'disposed' })
      return 'dropped'
    }
    const codec = this._options.codec
    const raw = codec === undefined ? data : codec.encode(data)
    // The codec may have disposed the socket: nothing is queued after that.
    if (this._disposed) return 'dropped'
    // Like the native send(): what is neither text nor binary is sent as its string form.
    return this._flow.send(data, toFrame(raw))
  }

  /** Starts connecting if `closed`; otherwise does nothing (never a second socket). */
  open(): void {
    if (this._disposed) return
    let p = this._phase
    // A close() still waiting for its handshake ends now (its listeners may act: then they win).
    if (p.status === 'closing' && (p = this._finishClose(false)) !== this._phase) return
    if (p.status !== 'closed' || this._disposed) return
    this._tries = 0
    this._connect()
  }

  /** Closes the current socket, resets the backoff and connects now; works after giving up. */
  reconnect(code = 1000, reason = ''): void {
    validateClose(code, reason)
    if (this._disposed) return
    let p = this._phase
    if (p.status === 'closing' && (p = this._finishClose(false)) !== this._phase) return
    if (this._disposed) return
    const ws = socketOf(p)
    // Clean only when a close frame can be sent: the socket is open. What it never transmitted
    // comes back (recovery), ahead of the queue.
    const wasClean = ws?.readyState === 1
    if (wasClean) ws!.close(code, reason)
    this._tries = 0
    this._connect(ws ? { code, reason, wasClean } : undefined)
  }

  /**
   * Closes for good (until `open()`): cancels every timer, never reconnects. Queued messages stay
   * queued. The `close` event reports `code`. Codes other than 1000 and 3000–4999 throw, like native.
   */
  close(code = 1000, reason = ''): void {
    validateClose(code, reason)
    const p = this._phase
    if (p.status === 'closing') return
    const ws = socketOf(p)
    // The session ends here: the server hears `bye` when this connection speaks the protocol.
    this._resume?._bye(ws)
    if (ws !== null && ws.readyState === 1) {
      // Keep the native socket until its close event: messages still arrive meanwhile. Nothing
      // more is written to it, and what it never transmits is not recovered (our own close).
      const log = this._flow.release(ws)
      ws.close(code, reason)
      const next = this._enter({
        status: 'closing',
        ws,
        request: { code, reason, wasClean: true },
        log,
      })
      this._settleOnClose()
      return this._announce(next)
    }
    // A new phase even when already closed: a call in flight that meant to open sees it is over.
    const next = this._enter(closed(p.status === 'closed' ? p.stranded : 0))
    this._settleOnClose()
    if (ws) this._lastClose = { code, reason, wasClean: false }
    this._announce(next, undefined, ws !== null)
  }

  /**
   * After `close()`: what abandoned sockets still hold goes back to the queue now, since no
   * connection waits for it (the tabs leader's socket lets them settle instead). @internal
   */
  protected _settleOnClose(): void {
    this._recovery.settle()
  }

  /** Resolves when the queue is empty and the native buffer is 0; rejects if `closed` first, or on timeout. */
  flush(options?: { timeout?: number }): Promise<void> {
    return this._wait(
      'flush()',
      options?.timeout,
      () => {
        const p = this._phase
        const queued = this._flow.queue.length
        const buffered = p.status === 'closed' ? p.stranded : (socketOf(p)?.bufferedAmount ?? 0)
        if (queued === 0 && buffered === 0 && !this._recovery.pending) return true
        if (p.status !== 'closed') return false
        return new ClosedError(
          process.env.NODE_ENV !== 'production'
            ? `steadysocket: the socket closed with ${queued} messages queued and ${buffered} bytes unsent`
            : 'steadysocket: closed',
        )
      },
      // The native buffer is polled while a flush() waits (it drains without an event).
      this._flow.watch(),
    )
  }

  /**
   * Removes and returns the queued messages (no `drop` event: the caller has them). With `which`,
   * only those it returns true for; the others keep their place.
   */
  clearQueue(which?: (message: Out) => boolean): Out[] {
    const messages = this._flow.clear(which)
    this._runWaiters()
    return messages
  }

  /**
   * `close()`, then removes every listener, timer and window/document listener. Queued messages
   * are reported once in a `drop` event (`'disposed'`). Later calls do nothing.
   */
  dispose(): void {
    if (this._disposed) return
    // First: a listener of the events below can no longer open, reconnect or queue.
    this._disposed = true
    this.close()
    this._recovery.settle()
    // Cut short: the socket is released (and in Node cut, not left waiting for a close frame).
    this._finishClose(false)
    const left = this._flow.clear()
    if (left.length > 0) this._ev.emit('drop', { messages: left, reason: 'disposed' })
    this._network?.detach()
    this._released()
  }

  /** Same as `dispose()`, for `using socket = new SteadySocket(url)`. */
  [Symbol.dispose](): void {
    this.dispose()
  }

  /**
   * The one transition: commits `next`, then leaves the old phase: its timer is cleared, the
   * heartbeat stops with the open phase, and its native socket, unless `next` keeps it, is
   * detached and handed to recovery. No user code runs here; the caller announces.
   * @internal
   */
  /** @internal */
  protected _enter<P extends Phase>(next: P): P {
    const old = this._phase
    this._phase = next
    clearTimeout(timerOf(old))
    if (old.status === 'open') this._heartbeat?.stop()
    const ws = socketOf(old)
    if (ws !== null && ws !== socketOf(next)) {
      detach(ws, this._native)
      this._resume?._drop()
      // After our own close() nothing is recovered: what it never sent is stranded.
      const log = this._flow.release(ws)
      this._recovery.take(ws, old.status === 'closing' ? null : log)
    }
    if (next.status === 'open') this._heartbeat?.start()
    if (next.status === 'closed') this._network?.detach()
    else this._network?.attach()
    return next
  }

  /**
   * Announces the committed phase `p`: the `error` and `close` events the transition owes (facts:
   * told even when a listener moved on), then, while `p` is still current, subscribers (once),
   * the `status` event and `then` (the transition's own event).
   * @internal
   */
  /** @internal */
  protected _announce(
    p: Phase,
    error?: SteadySocketError,
    closed = false,
    then?: () => void,
  ): void {
    if (error) this._emitError(error)
    if (closed) {
      const status = this._phase.status
      this._emitClose(this._lastClose!, status === 'reconnecting' || status === 'connecting')
    }
    if (this._phase !== p) return
    this._notify()
    if (this._phase !== p) return
    const previous = this.#shown
    if (previous !== p.status) {
      this.#shown = p.status
      this._ev.emit('status', { status: p.status, previous })
    }
    if (then && this._phase === p) then()
    if (this._phase === p) this._runWaiters()
  }
}
