import type { RawData } from '../codec'
import { byteLength, copyFrame, later, reportLater } from './data'
import type { ServerData } from './data'
import type { FakeWebSocket } from './fake-websocket'
import type { Control } from './link'

/**
 * The server's view of one connection: `'pending'` (not yet accepted or refused), `'open'`,
 * `'closing'` (the server sent its close frame) or `'closed'`.
 */
export type FakeConnectionState = 'pending' | 'open' | 'closing' | 'closed'

/** A listener for what a client sends: the data exactly as passed to its `send()`. */
export type FakeMessageListener = (data: RawData, connection: FakeConnection) => void

type Frame =
  | { kind: 'message'; data: RawData; bytes: number }
  | { kind: 'close'; code: number | undefined; reason: string }

/**
 * The server side of one {@link FakeWebSocket}: accept or refuse it, talk to it, close or kill
 * it, and stall its uploads to make `bufferedAmount` grow. Made by `FakeServer`.
 */
export class FakeConnection {
  /** The URL the client connected to. */
  readonly url: string
  /** The subprotocols the client requested, in order. */
  readonly protocols: readonly string[]
  /** The client socket. */
  readonly socket: FakeWebSocket
  /** What arrived from the client, in order, exactly as passed to its `send()`. */
  readonly received: RawData[] = []

  readonly #control: Control
  readonly #onReceive: (data: RawData) => void
  readonly #listeners: FakeMessageListener[] = []
  #state: FakeConnectionState = 'pending'
  #answered = false
  #stalled = false
  /** Uploads were lost after the server's close frame: later ones are never delivered either. */
  #cut = false
  #pending: Frame[] = []
  #headSent = 0
  #closeCode: number | undefined
  #closeReason: string | undefined

  /**
   * Made by `FakeServer` when a client connects; not meant to be constructed in tests.
   *
   * @internal
   */
  constructor(
    socket: FakeWebSocket,
    control: Control,
    protocols: readonly string[],
    onReceive: (data: RawData) => void,
  ) {
    this.socket = socket
    this.url = socket.url
    this.protocols = protocols
    this.#control = control
    this.#onReceive = onReceive
    control.attach({
      transmit: (data, bytes) => this.#transmit(data, bytes),
      closeFrame: (code, reason) => this.#closeFrame(code, reason),
      abort: () => this.#end(),
    })
  }

  /** The server's view of the connection. */
  get state(): FakeConnectionState {
    return this.#state
  }

  /** `true` while the client socket is CONNECTING or OPEN. */
  get isLive(): boolean {
    return this.socket.readyState <= 1
  }

  /** `true` between `stall()` and `resume()`. */
  get isStalled(): boolean {
    return this.#stalled
  }

  /** The code of the client's close frame (1005 when it had none); `undefined` until it arrives. */
  get closeCode(): number | undefined {
    return this.#closeCode
  }

  /** The reason in the client's close frame; `undefined` until it arrives. */
  get closeReason(): string | undefined {
    return this.#closeReason
  }

  /**
   * Completes the handshake with `protocol` (default: the first one requested); the client opens
   * in the next task. Choosing `''` when the client requested some fails it, as Chromium does.
   */
  accept(protocol: string = this.protocols[0] ?? ''): void {
    if (protocol !== '' && !this.protocols.includes(protocol)) {
      throw new Error(`FakeConnection.accept: '${protocol}' is not a requested subprotocol`)
    }
    if (!this.#answer()) return
    if (protocol === '' && this.protocols.length > 0) return this.#drop()
    this.#state = 'open'
    this.#control.open(protocol)
  }

  /** Rejects the handshake: the client gets `error`, then `close` 1006. */
  refuse(): void {
    if (this.#answer()) this.#drop()
  }

  /** Sends a message to the client; ignored once closing or closed. Throws before `accept()`. */
  send(data: ServerData): void {
    if (this.#state === 'pending') throw new Error('FakeConnection.send: accept() first')
    if (this.#state === 'open') this.#control.message(copyFrame(data))
  }

  /**
   * Closes cleanly from the server: the client's `close` event reports `code` and `reason` with
   * `wasClean: true`; 1005 sends a close frame without a code. Uploads still stalled are lost.
   */
  close(code = 1000, reason = ''): void {
    if (code !== 1005 && !isSendableCode(code)) {
      throw new RangeError(`FakeConnection.close: ${code} cannot be sent; use terminate()?`)
    }
    if (byteLength(reason) > 123 || (code === 1005 && reason !== '')) {
      throw new RangeError('FakeConnection.close: the reason needs a code and ≤ 123 UTF-8 bytes')
    }
    if (this.#state === 'pending') throw new Error('FakeConnection.close: use refuse()')
    if (this.#state !== 'open') return
    this.#state = 'closing'
    // What the client wrote after lost uploads is behind them in the stream: lost too.
    if (this.#pending.length > 0) this.#cut = true
    this.#pending = []
    this.#control.close(code, reason, true)
    // The client echoes the close frame (as browsers do) once it has processed it.
    later(() => {
      if (this.#state !== 'closing') return
      this.#end()
      this.#closeCode = code
      this.#closeReason = reason
    })
  }

  /**
   * Drops the connection without a closing handshake (the server went away): an open client gets
   * `close` 1006 with `wasClean: false` and no `error`, as in Chromium; one still connecting gets
   * `error`, then `close` 1006.
   */
  terminate(): void {
    if (this.#state === 'closed') return
    this.#answered = true
    this.#drop()
  }

  /**
   * Fails the connection as a protocol error does (a frame the client cannot accept): the client
   * gets `error`, then `close` 1006, even once open.
   */
  fail(): void {
    if (this.#state === 'closed') return
    this.#answered = true
    this.#end()
    this.#control.close(1006, '', false, true)
  }

  /** Stops reading: the client's sends pile up in its `bufferedAmount` until `resume`/`drain`. */
  stall(): void {
    this.#stalled = true
  }

  /** Reads again: delivers every pending upload in order and lowers `bufferedAmount` to match. */
  resume(): void {
    this.#stalled = false
    this.#flush(Infinity)
  }

  /**
   * Transmits up to `bytes` pending bytes in order, staying stalled. `bufferedAmount` drops by
   * the bytes transmitted, partial messages included (as a browser's does); a message is
   * delivered once its last byte is through.
   */
  drain(bytes: number): void {
    if (!(bytes >= 0)) throw new RangeError(`FakeConnection.drain: bad byte count ${bytes}`)
    this.#flush(bytes)
  }

  /** Sets the client's `bufferedAmount`, for tests that only need a number. */
  setBufferedAmount(bytes: number): void {
    if (!(bytes >= 0)) throw new RangeError(`FakeConnection.setBufferedAmount: bad count ${bytes}`)
    this.#control.setBuffered(bytes)
  }

  /** Calls `listener` with each message that arrives from the client; returns an unsubscribe. */
  onMessage(listener: FakeMessageListener): () => void {
    this.#listeners.push(listener)
    return () => {
      const index = this.#listeners.indexOf(listener)
      if (index >= 0) this.#listeners.splice(index, 1)
    }
  }

  // Throws on a second answer (a test bug); `false` when the client gave up first (a race).
  #answer(): boolean {
    if (this.#answered) throw new Error('FakeConnection: already accepted or refused')
    this.#answered = true
    return this.#state === 'pending'
  }

  #drop(): void {
    this.#end()
    this.#control.close(1006, '', false)
  }

  // Undelivered uploads are discarded; the client's bufferedAmount keeps counting them.
  #end(): void {
    this.#state = 'closed'
    this.#pending = []
  }

  #transmit(data: RawData, bytes: number): boolean {
    if (this.#state === 'open' && this.#stalled)
      this.#pending.push({ kind: 'message', data, bytes })
    // Until the client's close event the server still reads, even after its own close frame,
    // unless an earlier upload was lost: a stream never delivers past a gap.
    if (this.#state === 'closed' || this.#stalled || this.#cut) {
      if (this.#state === 'closing') this.#cut = true
      return false
    }
    this.#deliver(data)
    return true
  }

  // The client's close frame queues behind its stalled data, as on a real connection.
  #closeFrame(code: number | undefined, reason: string): void {
    if (this.#state === 'open' && this.#stalled) {
      this.#pending.push({ kind: 'close', code, reason })
    } else this.#receiveClose(code, reason)
  }

  #receiveClose(code: number | undefined, reason: string): void {
    if (this.#state === 'closed') return
    const echo = this.#state === 'open'
    this.#end()
    this.#closeCode = code ?? 1005
    this.#closeReason = reason
    if (echo) this.#control.close(code ?? 1005, reason, true)
  }

  #flush(budget: number): void {
    let left = budget
    for (let frame = this.#pending[0]; frame && this.#state === 'open'; frame = this.#pending[0]) {
      const size = frame.kind === 'message' ? frame.bytes - this.#headSent : 0
      if (size > left) {
        this.#headSent += left
        this.#control.addBuffered(-left)
        return
      }
      left -= size
      this.#headSent = 0
      this.#pending.shift()
      this.#control.addBuffered(-size)
      if (frame.kind === 'message') this.#deliver(frame.data)
      else this.#receiveClose(frame.code, frame.reason)
    }
  }

  #deliver(data: RawData): void {
    this.received.push(data)
    this.#onReceive(data)
    for (const listener of [...this.#listeners]) {
      try {
        listener(data, this)
      } catch (error) {
        // A throw here would surface from the client's send(), which never throws for this.
        reportLater(error)
      }
    }
  }
}

// Codes a server may put in a close frame (RFC 6455 §7.4): not 1004, 1005, 1006 or 1015.
function isSendableCode(code: number): boolean {
  if (!Number.isInteger(code)) return false
  return (
    (code >= 1000 && code <= 1003) ||
    (code >= 1007 && code <= 1014) ||
    (code >= 3000 && code <= 4999)
  )
}
