import { domError } from './data'

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/** The URL as `new WebSocket(url)` resolves it, or the `SyntaxError` it throws. */
export function resolveUrl(input: string | URL): string {
  const text = String(input)
  const fail = (why: string): DOMException =>
    domError(`Failed to construct 'WebSocket': ${why}`, 'SyntaxError')
  let url: URL
  try {
    // The document's base URL (a <base> element counts), as browsers resolve it.
    const base =
      typeof document !== 'undefined'
        ? document.baseURI
        : typeof location === 'undefined'
          ? undefined
          : location.href
    url = new URL(text, base)
  } catch {
    throw fail(`The URL '${text}' is invalid.`)
  }
  if (url.protocol === 'http:') url.protocol = 'ws:'
  else if (url.protocol === 'https:') url.protocol = 'wss:'
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw fail(`The URL's scheme must be either 'http', 'https', 'ws', or 'wss'.`)
  }
  // `hash` is '' for an empty fragment too, but the serialisation keeps the '#'.
  if (url.href.includes('#')) throw fail('Fragment identifiers are not allowed in WebSocket URLs.')
  return url.href
}

/** The requested subprotocols, or the `SyntaxError` for an invalid or duplicated one. */
export function checkProtocols(protocols: string | string[]): string[] {
  // WebIDL's (DOMString or sequence<DOMString>): an iterable is a list, anything else (null
  // included) is converted to a string, as browsers do.
  const p: unknown = protocols
  const list =
    typeof p === 'object' && p !== null && Symbol.iterator in p
      ? [...(p as Iterable<unknown>)].map(String)
      : [String(p)]
  list.forEach((protocol, index) => {
    const problem = !TOKEN.test(protocol)
      ? 'is invalid'
      : list.indexOf(protocol) !== index
        ? 'is duplicated'
        : undefined
    if (problem) {
      throw domError(
        `Failed to construct 'WebSocket': The subprotocol '${protocol}' ${problem}.`,
        'SyntaxError',
      )
    }
  })
  return list
}

// WebIDL `[Clamp] unsigned short`: NaN → 0, clamped to 0–65535, rounded half to even.
export function clampUint16(value: number): number {
  const clamped = Math.min(Math.max(Number(value) || 0, 0), 65535)
  const floor = Math.floor(clamped)
  const rest = clamped - floor
  return rest > 0.5 || (rest === 0.5 && floor % 2 === 1) ? floor + 1 : floor
}
