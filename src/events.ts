import mitt from 'mitt'
import type { Handler } from 'mitt'
import type { RawData } from './codec'
import type { SteadySocketError } from './errors'

/** `'connecting' | 'open' | 'closing' | 'reconnecting' | 'closed'`: see the README's status machine. */
export type Status = 'connecting' | 'open' | 'closing' | 'reconnecting' | 'closed'

/** A close as seen by `shouldReconnect`. */
export type CloseInfo = { code: number; reason: string; wasClean: boolean }

/** Why messages were dropped. */
export type DropReason = 'overflow' | 'expired' | 'disabled' | 'disposed'

/** Every event and its payload: the single source of event names. */
export type SteadySocketEvents<In = RawData, Out = RawData> = {
  open: { isReconnect: boolean }
  message: In
  close: { code: number; reason: string; wasClean: boolean; willReconnect: boolean }
  error: SteadySocketError
  reconnecting: { attempt: number; delay: number }
  stable: Record<string, never>
  exhausted: { attempts: number }
  status: { status: Status; previous: Status }
  drop: { messages: Out[]; reason: DropReason }
  drain: Record<string, never>
}

/** The typed emitter every socket owns; listeners that throw are isolated and re-reported. */
export type Emitter<E extends Record<string, unknown>> = {
  on<K extends keyof E>(type: K, fn: (payload: E[K]) => void): () => void
  off<K extends keyof E>(type: K, fn: (payload: E[K]) => void): void
  emit<K extends keyof E>(type: K, payload: E[K]): void
  has(type: keyof E): boolean
  clear(): void
}

export function createEmitter<E extends Record<string, unknown>>(): Emitter<E> {
  const m = mitt<E>()
  const all = m.all
  return {
    on(type, fn) {
      m.on(type, fn as Handler<E[typeof type]>)
      return () => m.off(type, fn as Handler<E[typeof type]>)
    },
    off: (type, fn) => m.off(type, fn as Handler<E[typeof type]>),
    // mitt's own emit stops at the first listener that throws; this one calls every listener.
    emit(type, payload) {
      const list = all.get(type)
      if (!list || list.length === 0) return
      if (list.length === 1) return call(list[0] as Handler<E[typeof type]>, payload)
      // Like EventTarget: a listener removed by an earlier one (or by dispose()) is not called.
      for (const fn of list.slice()) {
        if (all.get(type) === list && (list as unknown[]).includes(fn))
          call(fn as Handler<E[typeof type]>, payload)
      }
    },
    has: (type) => (all.get(type)?.length ?? 0) > 0,
    clear: () => all.clear(),
  }
}

/** Calls a listener; a throw is re-raised asynchronously so it reaches the console and error trackers. */
export function call<T>(fn: (payload: T) => void, payload: T): void {
  try {
    fn(payload)
  } catch (error) {
    reportLater(error)
  }
}

function reportLater(error: unknown): void {
  if (typeof reportError === 'function') reportError(error)
  else
    queueMicrotask(() => {
      throw error
    })
}
