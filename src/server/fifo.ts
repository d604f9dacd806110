// The session's buffers. Not src/queue.ts: sharing it would split the browser entries' code into
// one more chunk for the server's sake. Messages leave from the front far more often than the
// array is compacted, so shift is O(1) amortised.

/** A first-in first-out list of messages with their total payload bytes. */
export class Fifo<T extends { bytes: number }> {
  bytes = 0
  #items: T[] = []
  #head = 0

  get length(): number {
    return this.#items.length - this.#head
  }

  /** The first item, left in place. */
  peek(): T | undefined {
    return this.#items[this.#head]
  }

  push(item: T): void {
    this.#items.push(item)
    this.bytes += item.bytes
  }

  shift(): T | undefined {
    const item = this.#items[this.#head]
    if (item === undefined) return undefined
    this.bytes -= item.bytes
    // Compacted once half of the array is spent: each item is moved O(1) times on average.
    if (++this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
    return item
  }

  /** Calls `fn` with each item, in order. */
  forEach(fn: (item: T) => void): void {
    for (let i = this.#head; i < this.#items.length; i++) fn(this.#items[i] as T)
  }
}
