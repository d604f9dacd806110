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
      if (typeof text !== 'string')
        throw new TypeError(
          process.env.NODE_ENV !== 'production'
            ? `json() cannot encode ${typeof message}`
            : `json(): ${typeof message}`,
        )
      return text
    },
    decode: (raw) => {
      if (typeof raw !== 'string')
        throw new TypeError(
          process.env.NODE_ENV !== 'production'
            ? 'json() expects text frames, got a binary frame'
            : 'json(): binary frame',
        )
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
  const tag = tagOf(data)
  return tag === 'ArrayBuffer' || tag === 'Blob' || tag === 'File' || tag === 'SharedArrayBuffer'
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
  // A detached buffer has no bytes left (native sends an empty frame), and cannot be viewed.
  const empty = !(raw as ArrayBuffer).byteLength
  if (ArrayBuffer.isView(raw)) {
    // The copy constructor is the cheapest copy of a Uint8Array (a Node Buffer's slice() would
    // not even copy); another view keeps its kind.
    const own = raw instanceof Uint8Array
    const bytes = empty
      ? new Uint8Array(0)
      : new Uint8Array(own ? raw : new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength))
    const View = own ? 0 : (globalThis as Record<string, unknown>)[tagOf(raw)]
    return typeof View === 'function'
      ? new (View as new (buffer: ArrayBuffer) => ArrayBufferView)(bytes.buffer)
      : bytes
  }
  // An ArrayBuffer or a SharedArrayBuffer, from any realm; a Blob is immutable.
  if (!/Buffer$/.test(tagOf(raw))) return raw
  return empty ? new ArrayBuffer(0) : new Uint8Array(raw as ArrayBuffer).slice().buffer
}

/** `'Uint16Array'`, `'ArrayBuffer'`, `'Blob'`, `'URL'`…, from any realm. */
export function tagOf(value: unknown): string {
  return Object.prototype.toString.call(value).slice(8, -1)
}

/**
 * Whether the bytes live in shared memory, which Chromium's `send()` refuses (threaded
 * WebAssembly heaps are `SharedArrayBuffer`s): such a frame gets a copy when it refuses it.
 */
export function isShared(raw: RawData): boolean {
  return (
    typeof raw !== 'string' &&
    tagOf(ArrayBuffer.isView(raw) ? raw.buffer : raw) === 'SharedArrayBuffer'
  )
}
