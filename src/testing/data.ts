import type { RawData } from '../codec'

/** What a server can send: text or bytes (a server has no `Blob`). */
export type ServerData = string | ArrayBuffer | ArrayBufferView

/** Bytes a frame takes on the wire: UTF-8 for text, `byteLength` for buffers, `size` for blobs. */
export function byteLength(data: RawData): number {
  if (typeof data === 'string') return new TextEncoder().encode(data).length
  return isBlob(data) ? data.size : data.byteLength
}

/** What `send()` makes of its argument, as WebIDL does: binary stays, anything else is stringified. */
export function toFrame(data: unknown): RawData {
  if (typeof data === 'string' || ArrayBuffer.isView(data) || isBlob(data)) return data
  const tag = Object.prototype.toString.call(data)
  if (tag === '[object ArrayBuffer]' || tag === '[object SharedArrayBuffer]') {
    return data as ArrayBuffer
  }
  return String(data)
}

/** A snapshot of what a server sends, so later writes to the caller's buffer do not leak in. */
export function copyFrame(data: ServerData): string | ArrayBuffer {
  if (typeof data === 'string') return data
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice().buffer
  const tag = Object.prototype.toString.call(data)
  if (tag === '[object ArrayBuffer]' || tag === '[object SharedArrayBuffer]')
    return new Uint8Array(data).slice().buffer
  throw new TypeError(`FakeConnection.send: text, an ArrayBuffer or a view, not ${tag}`)
}

/** What the client sent, copied as browsers copy it at send() time (a Blob is immutable). */
export function snapshot(frame: RawData): RawData {
  if (ArrayBuffer.isView(frame)) {
    // A view of a detached buffer has no bytes left: an empty frame, as in Chromium.
    const copy =
      frame.byteLength === 0
        ? new Uint8Array(0)
        : new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength).slice()
    // The same kind of view over the copy (a Node Buffer stays a Uint8Array).
    const View = frame.constructor as new (buffer: ArrayBuffer) => ArrayBufferView
    return (View.name === 'Buffer' ? copy : new View(copy.buffer)) as RawData
  }
  if (!isBuffer(frame)) return frame
  // A detached ArrayBuffer goes out as an empty frame in Chromium; slice() would throw.
  const buffer = frame as ArrayBuffer
  return buffer.byteLength === 0 ? new ArrayBuffer(0) : buffer.slice(0)
}

/** Runs `task` in a later task; `setTimeout` is looked up now so fake timers control it. */
export function later(task: () => void): void {
  globalThis.setTimeout(task, 0)
}

/** Reports an error the way an uncaught exception in an event listener is reported. */
export function reportLater(error: unknown): void {
  globalThis.queueMicrotask(() => {
    throw error
  })
}

/** A `DOMException`, as browsers throw from WebSocket methods. */
export function domError(message: string, name: string): DOMException {
  return new DOMException(message, name)
}

// A tag check rather than `instanceof`: jsdom's and Node's Blob classes differ.
function isBlob(data: unknown): data is Blob {
  const tag = Object.prototype.toString.call(data)
  return tag === '[object Blob]' || tag === '[object File]'
}

function isBuffer(data: unknown): boolean {
  const tag = Object.prototype.toString.call(data)
  return tag === '[object ArrayBuffer]' || tag === '[object SharedArrayBuffer]'
}
