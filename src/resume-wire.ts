// The wire format of resumable sessions, exactly as PROTOCOL.md specifies it: pure functions, no
// I/O, no state. Shared by the client (src/resume.ts) and the Node server (src/server/).

/** The protocol's name, carried as `proto` by `hello` and `welcome` (PROTOCOL.md, section 2). */
export const PROTOCOL = 'steadysocket.resume.v1'

/** Close codes (PROTOCOL.md, section 8). */
export const CLOSE = {
  /** The peer does not speak the protocol (or not this version). */
  unspoken: 4460,
  /** A protocol violation; the reason says which. */
  violation: 4461,
  /** The server replaced this connection by a newer one of the same session. */
  replaced: 4462,
} as const

/** A message's payload as it travels: text stays a string, binary stays bytes. */
export type Payload = string | Uint8Array

/** A control frame: a JSON object in a text frame. */
export type Control =
  | { t: 'hello'; proto: typeof PROTOCOL; sid?: string; epoch?: string; ack: number; max: number }
  | {
      t: 'welcome'
      proto: typeof PROTOCOL
      sid: string
      epoch: string
      resumed: boolean
      ack: number
      max: number
    }
  | { t: 'ping' }
  | { t: 'pong' }
  | { t: 'bye' }

/** A decoded frame. `data` is the frame itself (binary) or the rest of it (text), never a copy. */
export type Frame = { t: 'data'; ack?: number; data: Payload } | { t: 'ack'; ack: number } | Control

// The encoders trust their input: the counters and ids come from the session's own state, and
// every byte spent here counts against the client's size budget. `decode` trusts nothing.

/**
 * A text data frame: the acknowledgement, if one rides along, then `:`, then the text unchanged.
 * A binary message needs no encoding: the payload is the frame (PROTOCOL.md, section 3).
 */
export function encodeText(data: string, ack?: number): string {
  return (ack === undefined ? ':' : ack + ':') + data
}

/** An ack frame (a text frame). */
export function encodeAck(ack: number): string {
  return '' + ack
}

/**
 * A control frame (a text frame). Its members go out in the object's own order: build it in the
 * order PROTOCOL.md shows (`decode` returns them in that order).
 */
export function encodeControl(c: Control): string {
  return JSON.stringify(c)
}

/**
 * Reads one frame. A binary frame is data, as it is. Returns `null` for a control frame of a `t`
 * this version does not know (to be ignored, section 3); throws an `Error` whose message is the
 * close reason of a 4461 otherwise.
 */
export function decode(frame: Payload): Frame | null {
  if (typeof frame !== 'string') return { t: 'data', data: frame }
  let i = 0
  let ack = 0
  for (let c = frame.charCodeAt(0); c >= 48 && c <= 57; c = frame.charCodeAt(++i))
    ack = ack * 10 + (c - 48)
  // 16 digits at most: past 2^53 the sum is inexact, yet still above the bound.
  if (i && ((frame[0] === '0' && i > 1) || i > 16 || ack > Number.MAX_SAFE_INTEGER))
    fail('invalid ack')
  if (frame[i] === ':') {
    const data = frame.slice(i + 1)
    return i ? { t: 'data', ack, data } : { t: 'data', data }
  }
  if (i) return i === frame.length ? { t: 'ack', ack } : fail('invalid ack')
  return frame[0] === '{' ? control(frame) : fail('unknown frame')
}

function control(frame: string): Control | null {
  let c: Record<string, unknown> | null | undefined
  try {
    c = JSON.parse(frame) as typeof c
  } catch {
    // c stays undefined: an invalid control frame
  }
  const t = c?.t
  if (!c || typeof t !== 'string') return fail('invalid control frame')
  if (t === 'ping' || t === 'pong' || t === 'bye') return { t }
  if (t !== 'hello' && t !== 'welcome') return null
  // Built in the order PROTOCOL.md writes the members, so that encodeControl() gives them back.
  if (c.proto !== PROTOCOL) fail('not ' + PROTOCOL)
  const out: Record<string, unknown> = { t, proto: PROTOCOL }
  const welcome = t === 'welcome'
  if (welcome || c.sid !== undefined || c.epoch !== undefined) {
    out.sid = id(c.sid)
    out.epoch = id(c.epoch)
  }
  if (welcome) out.resumed = typeof c.resumed === 'boolean' ? c.resumed : fail('invalid welcome')
  out.ack = count(c.ack)
  out.max = count(c.max)
  return out as Control
}

/** A counter or a byte bound: a non-negative safe integer. */
function count(n: unknown): number {
  return Number.isSafeInteger(n) && (n as number) >= 0 ? (n as number) : fail('invalid number')
}

/** A session id or an epoch: 1 to 64 of `A–Z a–z 0–9 - _`. */
function id(s: unknown): string {
  return typeof s === 'string' && /^[\w-]{1,64}$/.test(s) ? s : fail('invalid sid or epoch')
}

function fail(what: string): never {
  throw new Error(`${PROTOCOL}: ${what}`)
}
