// One connection attempt: the URL and protocols providers, and the operations on native
// sockets (detach, quiet close, cut) shared by the phases and recovery.
import { tagOf } from './codec'
import { ConnectError, ConnectTimeoutError, ProviderError } from './errors'
import type { CloseInfo } from './events'
import {
  checkProtocols,
  type Provider,
  type WebSocketConstructor,
  type WebSocketLike,
} from './options'
import { toWebSocketUrl, type UrlSource } from './url'

/** What a native socket tells its owner. */
export type NativeHandlers = {
  open(ws: WebSocketLike): void
  error(error: ConnectError): void
  close(close: CloseInfo): void
  frame(e: { data: unknown }): void
}

/** A connection that ended without a closing handshake (1006), with an optional note. */
export const cutShort = (reason = ''): CloseInfo => ({ code: 1006, reason, wasClean: false })

/**
 * Creates an attempt's native socket and wires its events to `h`. Throws a `ConnectError` when
 * the implementation refuses the URL or protocols.
 */
export function dial(
  WS: WebSocketConstructor,
  url: string,
  protocols: string | string[] | undefined,
  h: NativeHandlers,
): WebSocketLike {
  let ws: WebSocketLike
  try {
    ws = new WS(url, protocols)
  } catch (error) {
    throw new ConnectError(
      process.env.NODE_ENV !== 'production'
        ? `steadysocket: could not create a WebSocket for ${url}: ${describe(error)}`
        : url,
      { cause: error },
    )
  }
  let opened = false
  ws.onopen = () => {
    opened = true
    h.open(ws)
  }
  // Chromium dispatches to addEventListener listeners faster than to the onmessage attribute
  // (measured: 0.66× the time per message); the attribute is the fallback.
  if (typeof ws.addEventListener === 'function') ws.addEventListener('message', h.frame)
  else ws.onmessage = h.frame
  ws.onerror = () =>
    h.error(
      // Kept in production builds: whether the server refused or the connection broke is what
      // an application logs and reacts to.
      new ConnectError(
        opened
          ? `steadysocket: the connection to ${url} failed`
          : `steadysocket: could not connect to ${url}`,
      ),
    )
  ws.onclose = (e) => h.close({ code: e.code, reason: e.reason, wasClean: e.wasClean })
  return ws
}

/** An attempt that did not connect within `ms` (its providers may not even have resolved). */
export function connectTimeout(resolved: boolean, url: string, ms: number): ConnectTimeoutError {
  return new ConnectTimeoutError(
    process.env.NODE_ENV !== 'production'
      ? resolved
        ? `steadysocket: no connection to ${url} within ${ms} ms`
        : `steadysocket: the URL or protocols provider did not resolve within ${ms} ms`
      : url,
  )
}

/** A provider that threw, rejected or returned something that is no URL. */
export function providerFailed(error: unknown): ProviderError {
  return new ProviderError(
    process.env.NODE_ENV !== 'production'
      ? `steadysocket: the URL or protocols provider failed: ${describe(error)}`
      : 'provider',
    { cause: error },
  )
}

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
  if (typeof given !== 'string' && tagOf(given) !== 'URL')
    throw new TypeError(
      process.env.NODE_ENV !== 'production'
        ? `it returned ${String(given)}, not a URL`
        : 'not a URL',
    )
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
export function detach(ws: WebSocketLike, h: NativeHandlers): void {
  ws.onopen = ws.onmessage = ws.onerror = ws.onclose = noop
  ws.removeEventListener?.('message', h.frame)
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
