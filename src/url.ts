import { byteLength } from './queue'

/** The URL source: a fixed URL, or a (possibly async) provider run before every attempt. */
export type UrlSource = string | URL | (() => string | URL | Promise<string | URL>)

/**
 * Resolves a URL for `new WebSocket`: `http(s):` becomes `ws(s):`, a relative URL resolves against
 * `location` where there is one, and the fragment is dropped (older browsers throw on it).
 * Any other scheme, or an unparsable URL, throws a `SyntaxError`.
 */
export function toWebSocketUrl(input: string | URL): string {
  let url: URL
  try {
    url = new URL(String(input), typeof location !== 'undefined' ? location.href : undefined)
  } catch {
    throw new SyntaxError(
      process.env.NODE_ENV !== 'production'
        ? `steadysocket: invalid URL "${String(input)}"`
        : 'steadysocket: URL',
    )
  }
  const secure = /^(?:http|ws)(s?):$/.exec(url.protocol)
  if (!secure) {
    throw new SyntaxError(
      process.env.NODE_ENV !== 'production'
        ? `steadysocket: URL scheme must be ws:, wss:, http: or https:, got "${url.protocol}" in "${String(input)}"`
        : 'steadysocket: URL scheme',
    )
  }
  url.protocol = `ws${secure[1]}:`
  url.hash = ''
  return url.href
}

/** Throws like the native `close()` (a `DOMException` where there is one) for what browsers reject. */
export function validateClose(code: number, reason: string): void {
  if (code !== 1000 && !(Number.isInteger(code) && code >= 3000 && code <= 4999)) {
    throw domError(
      process.env.NODE_ENV !== 'production'
        ? `steadysocket: close code must be 1000 or in 3000–4999, got ${code}`
        : 'steadysocket: code',
      'InvalidAccessError',
    )
  }
  if (typeof reason !== 'string' || byteLength(reason) > 123) {
    throw domError(
      process.env.NODE_ENV !== 'production'
        ? 'steadysocket: close reason must be a string of at most 123 UTF-8 bytes'
        : 'steadysocket: reason',
      'SyntaxError',
    )
  }
}

function domError(message: string, name: string): Error {
  return typeof DOMException === 'function'
    ? new DOMException(message, name)
    : new RangeError(message)
}
