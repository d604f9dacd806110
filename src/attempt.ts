// One connection attempt: the URL and protocols providers, and the operations on native
// sockets (detach, quiet close, cut) shared by the phases and recovery.
import { checkProtocols, type Provider, type WebSocketLike } from './options'
import { toWebSocketUrl, type UrlSource } from './url'

/** Where an attempt connects: the URL and the subprotocols. */
export type Target = readonly [url: string, protocols: string | string[] | undefined]

/**
 * Runs the URL and protocols providers of one attempt. A provider may throw, reject, hang or
 * return garbage: each rejects the promise (never an unhandled rejection); a hang is cut by the
 * attempt's connectTimeout. `done()` is called once both resolved.
 */
export async function resolveTarget(
  source: UrlSource,
  protocols: Provider<string | string[]> | undefined,
  done: () => void,
): Promise<Target> {
  await undefined
  const given: unknown = await (typeof source === 'function' ? source() : source)
  // A string or a URL (by brand: a look-alike `{ href }` is no URL).
  if (typeof given !== 'string' && Object.prototype.toString.call(given) !== '[object URL]')
    throw new TypeError(`it returned ${String(given)}, not a URL`)
  const url = toWebSocketUrl(given as string | URL)
  const p = await (typeof protocols === 'function' ? protocols() : protocols)
  if (p !== undefined) checkProtocols(p)
  done()
  return [url, p]
}

/** A failure's message, for the errors that wrap it. */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

export function noop(): void {}

/** Detaches a native socket: its late events become no-ops. */
export function detach(ws: WebSocketLike, onFrame: (e: { data: unknown }) => void): void {
  ws.onopen = ws.onmessage = ws.onerror = ws.onclose = noop
  ws.removeEventListener?.('message', onFrame)
}

/** Closes a native socket, quietly: some implementations throw when closing twice. */
export function quietClose(ws: WebSocketLike, code?: number, reason?: string): void {
  try {
    if (ws.readyState === 1 && code !== undefined) ws.close(code, reason)
    else ws.close()
  } catch {
    // The socket is gone either way.
  }
}

/**
 * Node's `ws` waits up to 30 s for a silent peer's close frame, on a timer that keeps the process
 * alive: a socket closed and given up on is cut (`terminate()`, where there is one) after `ms`,
 * on a timer that keeps nothing alive. Browsers have no `terminate()`: nothing to do there.
 */
export function cut(ws: WebSocketLike, ms: number): void {
  const terminate = (ws as { terminate?: () => void }).terminate
  if (typeof terminate !== 'function') return
  const timer = setTimeout(() => terminate.call(ws), ms) as { unref?: () => void }
  timer.unref?.()
}
