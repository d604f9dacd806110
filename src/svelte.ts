/**
 * `steadysocket/svelte`: `steadySocketStore()`, a store (Svelte's store contract, so `$store`
 * works in Svelte 4 and 5) over the socket's snapshot and messages, followed with the adapters'
 * `watchSocket()`. No `.svelte` files, no svelte import.
 *
 * @module
 */
import { watchSocket } from './binding'
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
  let value: SteadySocketStoreValue<In> = { status: 'closed', attempt: 0, lastMessage: undefined }
  // One object per subscription: the same function subscribed twice counts twice.
  const subscribers = new Set<{ run: (value: SteadySocketStoreValue<In>) => void }>()
  /** Bumped by each first subscriber and by `close()`: a pending open checks it is still wanted. */
  let openRequest = 0
  /** Opened with `open()`: it stays open when the last subscriber leaves. */
  let manual = false

  const set = (next: Partial<SteadySocketStoreValue<In>>) => {
    value = { ...value, ...next }
    // Like Svelte's own stores: a subscriber removed during this round is not called by it.
    for (const subscriber of [...subscribers])
      if (subscribers.has(subscriber)) subscriber.run(value)
  }
  // One socket for the store's whole life, made on first use: subscribers open and close it.
  let made: SteadySocket<In, Out> | undefined
  const socket = (): SteadySocket<In, Out> => {
    if (made) return made
    const created = (made = new SteadySocket<In, Out>(url, { ...options, autoConnect: false }))
    const watch = watchSocket(created, (change) => {
      if (change === 'message') return set({ lastMessage: watch.lastMessage })
      const { status, attempt } = created.getSnapshot()
      if (status !== value.status || attempt !== value.attempt) set({ status, attempt })
    })
    return created
  }

  return {
    subscribe(run) {
      const subscriber = { run }
      subscribers.add(subscriber)
      run(value)
      if (subscribers.size === 1 && options.autoConnect !== false) {
        const request = ++openRequest
        queueMicrotask(() => {
          if (request === openRequest && subscribers.size > 0) socket().open()
        })
      }
      return () => {
        if (subscribers.delete(subscriber) && subscribers.size === 0 && !manual) made?.close()
      }
    },
    send: (data) => socket().send(data),
    open: () => {
      manual = true
      socket().open()
    },
    close: (code, reason) => {
      made?.close(code, reason)
      openRequest++
      manual = false
    },
    reconnect: (code, reason) => socket().reconnect(code, reason),
    get socket() {
      return socket()
    },
  }
}
