// Compile-time tests: `npm run typecheck` fails when any expectation here stops holding.
import { expectTypeOf } from 'vitest'
import {
  type BinaryType,
  SteadySocket,
  json,
  type RawData,
  type SteadySocketEvents,
  type Snapshot,
  type SendResult,
} from '../../src/index'

type ServerMsg = { kind: 'tick'; n: number }
type ClientMsg = { kind: 'sub'; topic: string }

declare const socket: SteadySocket<ServerMsg, ClientMsg>

socket.on('message', (m) => {
  expectTypeOf(m).toEqualTypeOf<ServerMsg>()
})
socket.on('close', (c) => {
  expectTypeOf(c).toEqualTypeOf<{
    code: number
    reason: string
    wasClean: boolean
    willReconnect: boolean
  }>()
})
socket.on('session', (s) => {
  expectTypeOf(s).toEqualTypeOf<{ id: string; resumed: boolean; unconfirmed: ClientMsg[] }>()
})
new SteadySocket<ServerMsg, ClientMsg>('wss://x.test', { resume: { maxBytes: 65536 } })
new SteadySocket('wss://x.test', { resume: true })
// @ts-expect-error maxBytes is a number
new SteadySocket('wss://x.test', { resume: { maxBytes: '1' } })
socket.on('drop', ({ messages, reason }) => {
  expectTypeOf(messages).toEqualTypeOf<ClientMsg[]>()
  expectTypeOf(reason).toEqualTypeOf<'overflow' | 'expired' | 'disabled' | 'disposed' | 'refused'>()
})
socket.on('reconnecting', ({ attempt, delay }) => {
  expectTypeOf(attempt).toBeNumber()
  expectTypeOf(delay).toBeNumber()
})

expectTypeOf(socket.send({ kind: 'sub', topic: 'a' })).toEqualTypeOf<SendResult>()
// @ts-expect-error send takes Out, not In
socket.send({ kind: 'tick', n: 1 })
// @ts-expect-error unknown event names are compile errors
socket.on('opened', () => {})
// @ts-expect-error the payload type follows the event name
socket.on('open', (e: { code: number }) => e)

expectTypeOf(socket.getSnapshot()).toEqualTypeOf<Snapshot>()
expectTypeOf(socket.status).toEqualTypeOf<
  'connecting' | 'open' | 'closing' | 'reconnecting' | 'closed'
>()
expectTypeOf(socket.opened()).toEqualTypeOf<Promise<void>>()
expectTypeOf(socket.clearQueue()).toEqualTypeOf<ClientMsg[]>()

// Defaults: raw frames both ways.
const raw = new SteadySocket('ws://a.test')
raw.on('message', (m) => expectTypeOf(m).toEqualTypeOf<RawData>())
raw.send('text')
raw.send(new Uint8Array(2))

// json() carries the message types into the socket.
const typed = new SteadySocket('ws://a.test', { codec: json<ServerMsg, ClientMsg>() })
expectTypeOf(typed).toEqualTypeOf<SteadySocket<ServerMsg, ClientMsg>>()

// The handshake gets the socket with its types.
new SteadySocket<ServerMsg, ClientMsg>('ws://a.test', {
  handshake: (s) => {
    expectTypeOf(s).toEqualTypeOf<SteadySocket<ServerMsg, ClientMsg>>()
  },
})

// @ts-expect-error options are checked
new SteadySocket('ws://a.test', { reconnect: { jitter: 'some' } })
// @ts-expect-error unknown options are rejected at compile time too
new SteadySocket('ws://a.test', { reconect: false })

// The event map is a type (mitt rejects interfaces): indexable by its keys.
expectTypeOf<SteadySocketEvents<ServerMsg, ClientMsg>['message']>().toEqualTypeOf<ServerMsg>()

// WebSocket-compatible surface.
socket.onmessage = (e) => expectTypeOf(e.data).toEqualTypeOf<RawData>()
socket.addEventListener('close', (e) => expectTypeOf(e.code).toBeNumber())

// Drop-in construction: undefined and null mean no protocols, as with new WebSocket(url).
new SteadySocket('ws://a.test', undefined)
new SteadySocket('ws://a.test', null)

// binaryType: the browser's two types are suggested, any other string (ws: 'nodebuffer',
// 'fragments') is accepted; the implementation ignores one it does not know.
expectTypeOf(socket.binaryType).toEqualTypeOf<BinaryType>()
expectTypeOf<'blob'>().toMatchTypeOf<BinaryType>()
expectTypeOf<'nodebuffer'>().toMatchTypeOf<BinaryType>()
socket.binaryType = 'arraybuffer'
socket.binaryType = 'fragments'
new SteadySocket('ws://a.test', { binaryType: 'nodebuffer' })
// @ts-expect-error a string, not a number
new SteadySocket('ws://a.test', { binaryType: 5 })
