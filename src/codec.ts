/** What a native WebSocket can send: text, or binary as a Blob, an ArrayBuffer or a view of one. */
export type RawData = string | ArrayBuffer | Blob | ArrayBufferView

/**
 * Turns application messages into frames and back. `decode` may throw: the frame is then
 * dropped and reported as a `DecodeError`, and the socket stays up.
 */
export type Codec<In, Out> = {
  /** Turns a message passed to `send()` into a frame; runs inside `send()`, so a throw leaves it. */
  encode(message: Out): RawData
  /** Turns an inbound frame into the `message` event's payload; a throw drops that frame. */
  decode(raw: RawData): In
}

/**
 * JSON over text frames: `send()` stringifies, `message` events carry the parsed value.
 * A binary frame or invalid JSON is a `DecodeError`.
 *
 * @example
 * const socket = new SteadySocket<ServerMsg, ClientMsg>(url, { codec: json() })
 */
export function json<In = unknown, Out = In>(): Codec<In, Out> {
  return {
    encode: (message) => {
      const text = JSON.stringify(message)
      // JSON.stringify answers undefined (not text) for undefined, functions and symbols.
      if (typeof text !== 'string') throw new TypeError(`json() cannot encode ${typeof message}`)
      return text
    },
    decode: (raw) => {
      if (typeof raw !== 'string')
        throw new TypeError('json() expects text frames, got a binary frame')
      return JSON.parse(raw) as In
    },
  }
}

/**
 * A Blob, an ArrayBuffer or a view: what `send()` writes as a binary frame. Checked by brand, not
 * shape (a `Map` has a numeric `size` too), and across realms (frames, workers' transfers).
 */
export function isBinary(data: unknown): boolean {
  if (typeof data !== 'object' || data === null) return false
  if (ArrayBuffer.isView(data)) return true
  const tag = Object.prototype.toString.call(data)
  return (
    tag === '[object ArrayBuffer]' ||
    tag === '[object Blob]' ||
    tag === '[object File]' ||
    tag === '[object SharedArrayBuffer]'
  )
}

/**
 * What `send()` writes for a value: text and binary data as they are, anything else as its
 * string form, as the native `send()` converts it (`null` → `'null'`, `42` → `'42'`).
 */
export function toFrame(value: unknown): RawData {
  return typeof value === 'string' || isBinary(value) ? (value as RawData) : String(value)
}

/**
 * A frame as it is now, in memory of its own: what the queue and the recovery log keep. Native
 * `send()` copies binary data at the call, so a buffer the caller reuses, changes or transfers
 * later must change nothing held here. A view stays the same kind of view (a Node `Buffer`
 * becomes a `Uint8Array`); text and Blobs are immutable and kept as they are.
 */
export function ownFrame(raw: RawData): RawData {
  if (typeof raw === 'string') return raw
  if (ArrayBuffer.isView(raw)) {
    // A view of a detached buffer has no bytes left: native sends an empty frame. The copy
    // constructor is the cheapest copy of a Uint8Array (a Node Buffer's slice() would not copy).
    const own = raw instanceof Uint8Array
    const bytes =
      raw.byteLength === 0
        ? new Uint8Array(0)
        : new Uint8Array(own ? raw : new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength))
    if (own) return bytes
    const kind = (raw as { [Symbol.toStringTag]?: string })[Symbol.toStringTag]
    const View = kind === undefined ? undefined : (globalThis as Record<string, unknown>)[kind]
    return typeof View === 'function' && kind !== 'Uint8Array'
      ? new (View as new (buffer: ArrayBuffer) => ArrayBufferView)(bytes.buffer)
      : bytes
  }
  const tag = raw instanceof ArrayBuffer ? '' : Object.prototype.toString.call(raw)
  if (tag === '' || tag === '[object ArrayBuffer]' || tag === '[object SharedArrayBuffer]') {
    const buffer = raw as unknown as ArrayBufferLike
    if (buffer.byteLength === 0) return new ArrayBuffer(0)
    // One allocation; another realm's buffer, or a shared one, goes through a Uint8Array copy.
    return tag === '' ? (buffer as ArrayBuffer).slice(0) : new Uint8Array(buffer).slice().buffer
  }
  return raw
}

/**
 * Whether the bytes live in shared memory, which Chromium's `send()` refuses (threaded
 * WebAssembly heaps are `SharedArrayBuffer`s): such frames are copied even when not held.
 */
export function isShared(raw: RawData): boolean {
  if (typeof raw === 'string') return false
  const buffer: unknown = ArrayBuffer.isView(raw) ? raw.buffer : raw
  return (
    !(buffer instanceof ArrayBuffer) &&
    Object.prototype.toString.call(buffer) === '[object SharedArrayBuffer]'
  )
}
