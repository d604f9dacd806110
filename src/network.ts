/** What the socket does when the environment changes. */
export type NetworkHandlers = {
  online(): void
  /** The page became visible again or came back from the back-forward cache. */
  wake(): void
}

/**
 * Wires online/visibility/pageshow, attached only while the socket is not `closed`. Going
 * offline needs no listener: the socket asks `offline()` when it schedules a retry.
 * A no-op where there is no `addEventListener` on the global (Node, React Native).
 */
export class NetworkWatch {
  #attached = false

  readonly #h: NetworkHandlers

  constructor(h: NetworkHandlers) {
    this.#h = h
  }

  /** True when the browser says it has no network. */
  static offline(): boolean {
    return typeof navigator !== 'undefined' && navigator.onLine === false
  }

  attach(): void {
    this.#set('addEventListener')
  }

  detach(): void {
    this.#set('removeEventListener')
  }

  #set(method: 'addEventListener' | 'removeEventListener'): void {
    const on = method === 'addEventListener'
    if (this.#attached === on || typeof addEventListener !== 'function') return
    this.#attached = on
    globalThis[method]('online', this.#onOnline)
    globalThis[method]('pageshow', this.#onPageShow)
    if (typeof document !== 'undefined') document[method]('visibilitychange', this.#onVisibility)
  }

  #onOnline = (): void => this.#h.online()
  #onPageShow = (e: Event): void => {
    if ((e as PageTransitionEvent).persisted) this.#h.wake()
  }
  #onVisibility = (): void => {
    if (document.visibilityState === 'visible') this.#h.wake()
  }
}
