// The typed listeners of the server's objects. Not node:events' EventEmitter: a listener that
// throws must not leave a session half way through a frame (an EventEmitter would throw out of
// the protocol engine), and an 'error' event with no listener must not crash the process.

/** A listener of one event: it receives the event's payload. */
export type Listener<T> = (payload: T) => void

/** The listener side of an emitter: `on`/`once` return a function that removes the listener. */
export type Listenable<E extends Record<string, unknown>> = {
  /** Calls `listener` on every `type` event; returns a function that removes it. */
  on<K extends keyof E>(type: K, listener: Listener<E[K]>): () => void
  /** Calls `listener` on the next `type` event only; returns a function that removes it. */
  once<K extends keyof E>(type: K, listener: Listener<E[K]>): () => void
  /** Removes `listener` from `type` (one registration of it; a `once` listener is removed by the function `once` returned). */
  off<K extends keyof E>(type: K, listener: Listener<E[K]>): void
}

export class Emitter<E extends Record<string, unknown>> implements Listenable<E> {
  #listeners = new Map<keyof E, Listener<never>[]>()

  on<K extends keyof E>(type: K, listener: Listener<E[K]>): () => void {
    // Copy on write: an emit in progress keeps the list it started with.
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener])
    return () => this.off(type, listener)
  }

  once<K extends keyof E>(type: K, listener: Listener<E[K]>): () => void {
    const off = this.on(type, (payload) => {
      off()
      listener(payload)
    })
    return off
  }

  off<K extends keyof E>(type: K, listener: Listener<E[K]>): void {
    const list = this.#listeners.get(type)
    const i = list ? list.indexOf(listener as Listener<never>) : -1
    if (!list || i < 0) return
    const rest = list.filter((_, j) => j !== i)
    if (rest.length) this.#listeners.set(type, rest)
    else this.#listeners.delete(type)
  }

  /**
   * Calls each listener; one that throws stops neither the others nor the caller: its exception
   * is re-thrown in a microtask, so it still reaches `uncaughtException` as Node's own would.
   */
  emit<K extends keyof E>(type: K, payload: E[K]): void {
    for (const listener of this.#listeners.get(type) ?? []) {
      try {
        ;(listener as Listener<E[K]>)(payload)
      } catch (error) {
        queueMicrotask(() => {
          throw error
        })
      }
    }
  }

  /** Forgets every listener (an ended session keeps no reference to the application's code). */
  clear(): void {
    this.#listeners.clear()
  }
}
