// What tabs of one group say to each other over their BroadcastChannel. Everything here is
// structured-cloned, so it is plain data: errors travel as `WireError` and are rebuilt on arrival.
import type { RawData } from '../codec'
import {
  ConnectError,
  ConnectTimeoutError,
  HandshakeError,
  HeartbeatTimeoutError,
  ProviderError,
  SteadySocketError,
} from '../errors'
import type { CloseInfo, DropReason, Status } from '../events'
import type { SendResult } from '../flow'

/** A message in the leader's socket: who sent it (`o`, a tab id), its number there (`s`), the data. */
export type Envelope<Out> = { o: string; s: number; d: Out }

/**
 * A socket error as it crosses the channel; `n` numbers the leader's errors so a follower rebuilds
 * each once. (Decode errors never cross: each tab decodes, and reports, its own.)
 */
export type WireError = { n: number; name: string; message: string }

/**
 * The shared socket's state, as every tab mirrors it: the leader from its socket, a follower from
 * the leader. On the channel its error is a `WireError`.
 */
export type SocketState<E = WireError> = {
  status: Status
  attempt: number
  url: string
  protocol: string
  extensions: string
  lastClose: CloseInfo | null
  lastError: E | null
}

/**
 * Socket events a leader forwards as they are. `status` travels as state, and each tab derives
 * `open` from it; `drop` goes to the tab that sent the messages; each tab takes its own messages
 * out of a `session` event's `unconfirmed` (see `ownSession`).
 */
export type Relayed =
  'close' | 'error' | 'reconnecting' | 'stable' | 'exhausted' | 'drain' | 'session'

/**
 * Every message on the channel, before the sender stamps it (see `Wire`).
 *
 * To the leader: `hello` (joined, or met a new leader), `send` (a relayed `send()`), `cmd`
 * (`open()`/`reconnect()` from a follower), `flush`, `leave`. `send` and `flush` name the leader
 * they are for (`to`): a new leader ignores what was meant for its predecessor, and gets it again,
 * in order, once the sender has heard from it, so it sees each tab's messages in order.
 * From the leader: `state`, `msg` (an inbound frame, raw), `event` (with the state it reports), `ack` (the leader's `send()`
 * result for a relayed message), `drop` (relayed messages the leader's socket dropped), `flushed`,
 * `bye` (the leader leaves; `q` is what its queue still held for other tabs).
 */
export type Body<Out> =
  | { t: 'hello'; open: boolean }
  | { t: 'send'; to: string | null; s: number; d: Out }
  | { t: 'cmd'; c: 'open' | 'reconnect'; code: number; reason: string }
  | { t: 'flush'; to: string | null; id: number }
  | { t: 'leave' }
  | { t: 'state'; s: SocketState }
  | { t: 'msg'; raw: RawData }
  | { t: 'event'; k: Relayed; p: unknown; s: SocketState }
  | { t: 'ack'; to: string; s: number; r: SendResult }
  | { t: 'drop'; to: string; m: [number, Out][]; r: DropReason }
  | { t: 'flushed'; to: string; id: number; e: WireError | null }
  | { t: 'bye'; q: Envelope<Out>[] }

/**
 * A message as it travels: `f` is the sending tab's id, `term` the leadership term it knows (a
 * leader's term is unique and grows, so a stale leader's late messages are recognised).
 */
export type Wire<Out> = Body<Out> & { f: string; term: number }

const KINDS: Record<string, new (message: string) => SteadySocketError> = {
  ConnectError,
  ConnectTimeoutError,
  HeartbeatTimeoutError,
  ProviderError,
  HandshakeError,
}

/** Rebuilds an error sent by a leader as an instance of its class (so `isSteadySocketError` works). */
export function revive(w: WireError): SteadySocketError {
  const Kind = KINDS[w.name]
  if (Kind) return new Kind(w.message)
  const error = new SteadySocketError(w.message)
  error.name = w.name
  return error
}
