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
