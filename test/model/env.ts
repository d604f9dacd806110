// The browser around a model run: fake timers, `navigator.onLine`, `document.visibilityState`,
// `pageshow`, and a ledger of the listeners added to `window` and `document` (the contract says
// `dispose()` leaves none). Installed before each run and removed after it, so runs share nothing.
import { vi } from 'vitest'

/** Event types the SDK may listen to on `window`/`document`; other listeners are jsdom's business. */
const WATCHED = new Set([
  'online',
  'offline',
  'pageshow',
  'pagehide',
  'visibilitychange',
  'freeze',
  'resume',
])

type Target = 'window' | 'document'
type Entry = { target: Target; type: string; fn: unknown; capture: boolean }
type Listen = (
  type: string,
  fn: EventListenerOrEventListenerObject | null,
  options?: unknown,
) => void

/** A fixed start for the fake clock: a run replays the same way whatever day it is. */
export const EPOCH = 1_700_000_000_000

export type Env = {
  readonly online: boolean
  readonly visible: boolean
  /** Sets `navigator.onLine` and fires `online`/`offline` on window. */
  setOnline(online: boolean): void
  /** Sets `document.visibilityState` and fires `visibilitychange` on document. */
  setVisible(visible: boolean): void
  /** Fires `pageshow` with `persisted: true` (a restore from the back-forward cache). */
  pageshow(): void
  /** The window/document listeners added and not removed, described. */
  attached(): string[]
  /** Errors passed to `reportError` (what a listener threw, re-reported by the SDK). */
  readonly reported: unknown[]
  /** Undoes everything, leftover listeners included. */
  restore(): void
}

/** Installs the fake browser for one run (fake timers included). */
export function installEnv(): Env {
  vi.useFakeTimers({ now: EPOCH })
  const state = { online: true, visible: true }
  const ledger: Entry[] = []
  const reported: unknown[] = []
  const g = globalThis as unknown as Record<string, unknown>

  Object.defineProperty(navigator, 'onLine', { configurable: true, get: () => state.online })
  Object.defineProperty(document, 'visibilityState', {
    configurable: true,
    get: () => (state.visible ? 'visible' : 'hidden'),
  })
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => !state.visible })
  const hadReportError = Object.getOwnPropertyDescriptor(g, 'reportError')
  g.reportError = (error: unknown) => reported.push(error)

  const capture = (options: unknown) =>
    typeof options === 'boolean'
      ? options
      : (options as { capture?: boolean } | null)?.capture === true
  const find = (e: Omit<Entry, 'capture'>, c: boolean) =>
    ledger.findIndex(
      (x) => x.target === e.target && x.type === e.type && x.fn === e.fn && x.capture === c,
    )

  // Both targets get own properties that record, then call jsdom's methods.
  const patched: {
    target: Target
    object: object
    saved: Map<string, PropertyDescriptor | undefined>
  }[] = []
  const patch = (target: Target, object: EventTarget) => {
    const add = object.addEventListener.bind(object) as Listen
    const remove = object.removeEventListener.bind(object) as Listen
    const saved = new Map<string, PropertyDescriptor | undefined>([
      ['addEventListener', Object.getOwnPropertyDescriptor(object, 'addEventListener')],
      ['removeEventListener', Object.getOwnPropertyDescriptor(object, 'removeEventListener')],
    ])
    patched.push({ target, object, saved })
    const recordingAdd = (
      type: string,
      fn: EventListenerOrEventListenerObject | null,
      options?: unknown,
    ) => {
      if (WATCHED.has(type) && fn && find({ target, type, fn }, capture(options)) < 0) {
        ledger.push({ target, type, fn, capture: capture(options) })
      }
      add(type, fn, options)
    }
    const recordingRemove = (
      type: string,
      fn: EventListenerOrEventListenerObject | null,
      options?: unknown,
    ) => {
      const i = find({ target, type, fn }, capture(options))
      if (i >= 0) ledger.splice(i, 1)
      remove(type, fn, options)
    }
    Object.defineProperty(object, 'addEventListener', {
      configurable: true,
      writable: true,
      value: recordingAdd,
    })
    Object.defineProperty(object, 'removeEventListener', {
      configurable: true,
      writable: true,
      value: recordingRemove,
    })
    return remove
  }
  const removers = { window: patch('window', window), document: patch('document', document) }

  return {
    get online() {
      return state.online
    },
    get visible() {
      return state.visible
    },
    reported,
    setOnline(online) {
      state.online = online
      window.dispatchEvent(new Event(online ? 'online' : 'offline'))
    },
    setVisible(visible) {
      state.visible = visible
      document.dispatchEvent(new Event('visibilitychange'))
    },
    pageshow() {
      window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }))
    },
    attached: () => ledger.map((e) => `${e.target}.${e.type}`),
    restore() {
      for (const e of ledger.splice(0)) {
        removers[e.target](e.type, e.fn as EventListener, { capture: e.capture })
      }
      for (const { object, saved } of patched) {
        for (const [key, descriptor] of saved) {
          if (descriptor) Object.defineProperty(object, key, descriptor)
          else delete (object as Record<string, unknown>)[key]
        }
      }
      delete (navigator as unknown as Record<string, unknown>).onLine
      delete (document as unknown as Record<string, unknown>).visibilityState
      delete (document as unknown as Record<string, unknown>).hidden
      if (hadReportError) Object.defineProperty(g, 'reportError', hadReportError)
      else delete g.reportError
      vi.useRealTimers()
    },
  }
}

/** Lets promise chains (async providers, handshakes) run without moving the fake clock. */
export async function microtasks(hops = 20): Promise<void> {
  for (let i = 0; i < hops; i++) await Promise.resolve()
}
