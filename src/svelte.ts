/**
 * `steadysocket/svelte`: `steadySocketStore()`, a store (Svelte's store contract, so `$store`
 * works in Svelte 4 and 5) over the socket's `subscribe()`. No `.svelte` files, no svelte import.
 *
 * @module
 */
import type { RawData } from './codec'
import type { Status } from './events'
import type { SendResult } from './flow'
import type { SteadySocketOptions } from './socket'
import { SteadySocket } from './socket'
import type { UrlSource } from './url'

/** The store's value: a new object whenever one of its fields changes. */
export type SteadySocketStoreValue<In = RawData> = Readonly<{
  /** The socket's status. */
  status: Status
  /** Consecutive failed attempts since the last stable connection. */
  attempt: number
  /** The latest message (`undefined` before the first). Use `socket.on('message')` to see all. */
  lastMessage: In | undefined
}>

/**
 * A readable store of {@link SteadySocketStoreValue} plus the socket's methods. Assignable to
 * svelte/store's `Readable`.
 */
export type SteadySocketStore<In = RawData, Out = RawData> = {
  /** Svelte's store contract: `run` now and on every change; returns the unsubscribe function. */
  subscribe(run: (value: SteadySocketStoreValue<In>) => void, invalidate?: () => void): () => void
  /** `socket.send()`: queued while the socket is not open (sent once a subscriber opens it). */
  send(data: Out): SendResult
  /** `socket.open()`, subscribers or not; a socket opened so stays open when the last subscriber leaves. */
  open(): void
  /**
   * `socket.close(code, reason)`: stays closed until `open()` or a new first subscriber (also when
   * called right after the first subscriber, before its open ran).
   */
  close(code?: number, reason?: string): void
  /** `socket.reconnect(code, reason)`. */
  reconnect(code?: number, reason?: string): void
  /** The socket, made on first use (first subscriber, `send()`, or reading this). */
  readonly socket: SteadySocket<In, Out>
}

/**
 * A store whose socket opens with its first subscriber and closes with its last (and opens again
 * with the next first subscriber). Nothing is made until then, so creating the store at module
 * level is safe; subscribe only in the browser (in SvelteKit, not during server rendering).
 *
 * The open waits a microtask, so a subscriber that leaves at once (`get(store)`) makes no
 * connection. `autoConnect: false`: subscribers do not open it; call `open()`.
 *
 * @example
 * // feed.ts
 * export const feed = steadySocketStore<Price, Command>('wss://example.com/prices', { codec: json() })
 * // Feed.svelte
 * // <p>{$feed.status}: {$feed.lastMessage?.price}</p>
 * // <button onclick={() => feed.send({ type: 'refresh' })}>Refresh</button>
 */
export function steadySocketStore<In = RawData, Out = RawData>(
  url: UrlSource,
  options: SteadySocketOptions<In, Out> = {},
): SteadySocketStore<In, Out> {
  let s: SteadySocket<In, Out> | undefined
  let value: SteadySocketStoreValue<In> = { status: 'closed', attempt: 0, lastMessage: undefined }
  // One object per subscription: the same function subscribed twice counts twice.
  const subs = new Set<{ run: (value: SteadySocketStoreValue<In>) => void }>()
  /** Bumped by each first subscriber and by `close()`: a pending open checks it is still wanted. */
  let wanted = 0
  /** Opened with `open()`: it stays open when the last subscriber leaves. */
  let manual = false

  const set = (next: Partial<SteadySocketStoreValue<In>>) => {
    value = { ...value, ...next }
    // Like Svelte's own stores: a subscriber removed during this round is not called by it.
    for (const sub of [...subs]) if (subs.has(sub)) sub.run(value)
  }
  const socket = (): SteadySocket<In, Out> => {
    if (s) return s
    const made = (s = new SteadySocket<In, Out>(url, { ...options, autoConnect: false }))
    made.subscribe(() => {
      const { status, attempt } = made.getSnapshot()
      if (status !== value.status || attempt !== value.attempt) set({ status, attempt })
    })
    made.on('message', (lastMessage) => set({ lastMessage }))
    return made
  }

  return {
    subscribe(run) {
      const sub = { run }
      subs.add(sub)
      run(value)
      if (subs.size === 1 && options.autoConnect !== false) {
        const token = ++wanted
        queueMicrotask(() => {
          if (token === wanted && subs.size > 0) socket().open()
        })
      }
      return () => {
        if (subs.delete(sub) && subs.size === 0 && !manual) s?.close()
      }
    },
    send: (data) => socket().send(data),
    open: () => {
      manual = true
      socket().open()
    },
    close: (code, reason) => {
      s?.close(code, reason)
      wanted++
      manual = false
    },
    reconnect: (code, reason) => socket().reconnect(code, reason),
    get socket() {
      return socket()
    },
  }
}
