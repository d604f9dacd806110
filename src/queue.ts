import type { RawData } from './codec'

/**
 * One message waiting to be written: what the user sent, its frame (binary data copied at
 * `send()`), its size and when it queued.
 */
export type Entry<Out> = { data: Out; raw: RawData; bytes: number; time: number }

/**
 * FIFO of entries on a ring buffer: O(1) push, shift and unshift (recovered messages go back to
 * the front), with the total byte count kept alongside.
 */
export class Queue<T extends { bytes: number }> {
  length = 0
  bytes = 0
  #items: (T | undefined)[] = new Array<T | undefined>(16)
  #head = 0

  push(item: T): void {
    if (this.length === this.#items.length) this.#grow()
    this.#items[(this.#head + this.length) & (this.#items.length - 1)] = item
    this.length++
    this.bytes += item.bytes
  }

  /** Puts an item back at the front. */
  unshift(item: T): void {
    if (this.length === this.#items.length) this.#grow()
    this.#head = (this.#head - 1) & (this.#items.length - 1)
    this.#items[this.#head] = item
    this.length++
    this.bytes += item.bytes
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined
    const item = this.#items[this.#head] as T
    this.#items[this.#head] = undefined
    this.#head = (this.#head + 1) & (this.#items.length - 1)
    this.length--
    this.bytes -= item.bytes
    return item
  }

  /** Removes and returns everything, in order. */
  drain(): T[] {
    const out: T[] = []
    for (let item = this.shift(); item !== undefined; item = this.shift()) out.push(item)
    return out
  }

  #grow(): void {
    const old = this.#items
    const next = new Array<T | undefined>(old.length * 2)
    for (let i = 0; i < this.length; i++) next[i] = old[(this.#head + i) & (old.length - 1)]
    this.#items = next
    this.#head = 0
  }
}

/** Bytes a frame adds to `bufferedAmount`: UTF-8 length for text, byte length for binary. */
export function byteLength(data: RawData): number {
  if (typeof data === 'string') return utf8Length(data)
  if (typeof (data as Blob).size === 'number') return (data as Blob).size
  return (data as ArrayBuffer | ArrayBufferView).byteLength
}

const NON_ASCII = /[^\0-\x7f]/

function utf8Length(s: string): number {
  // Most text is ASCII: one regular-expression scan (native code) instead of a loop in JS.
  if (!NON_ASCII.test(s)) return s.length
  let n = s.length
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    // 2 bytes below U+0800, else 3 (a lone surrogate is encoded as U+FFFD), and a surrogate pair
    // 4 for its 2 UTF-16 units: its low half adds nothing.
    if (c > 0x7f)
      n +=
        c < 0x800 ? 1 : (c & 0xfc00) === 0xdc00 && (s.charCodeAt(i - 1) & 0xfc00) === 0xd800 ? 0 : 2
  }
  return n
}
