// Compile-time tests for steadysocket/tabs: TabSocket has SteadySocket's surface and types.
import { expectTypeOf } from 'vitest'
import { json, type SendResult, type SteadySocket } from '../../src/index'
import { TabSocket, type TabSnapshot } from '../../src/tabs'

type ServerMsg = { kind: 'tick'; n: number }
type ClientMsg = { kind: 'sub'; topic: string }

declare const tab: TabSocket<ServerMsg, ClientMsg>

tab.on('message', (m) => {
  expectTypeOf(m).toEqualTypeOf<ServerMsg>()
})
tab.on('leader', (e) => {
  expectTypeOf(e).toEqualTypeOf<{ isLeader: boolean }>()
})
tab.on('drop', ({ messages }) => {
  expectTypeOf(messages).toEqualTypeOf<ClientMsg[]>()
})
expectTypeOf(tab.send({ kind: 'sub', topic: 'a' })).toEqualTypeOf<SendResult>()
expectTypeOf(tab.isLeader).toEqualTypeOf<boolean>()
expectTypeOf(tab.getSnapshot()).toEqualTypeOf<TabSnapshot>()
expectTypeOf(tab.getSnapshot().isLeader).toEqualTypeOf<boolean>()

// @ts-expect-error send takes Out, not In
tab.send({ kind: 'tick', n: 1 })
// @ts-expect-error unknown event names are compile errors
tab.on('nope', () => {})

// Everything adapters and apps use on a SteadySocket is there, with the same types.
type Shared =
  | 'send'
  | 'open'
  | 'close'
  | 'reconnect'
  | 'opened'
  | 'flush'
  | 'dispose'
  | 'getSnapshot'
  | 'subscribe'
  | 'on'
  | 'once'
  | 'off'
  | 'status'
  | 'readyState'
  | 'attempt'
  | 'url'
  | 'isConnecting'
  | 'isOpen'
  | 'isClosing'
  | 'isReconnecting'
  | 'isClosed'
  | 'onmessage'
  | 'addEventListener'
  | 'protocol'
  | 'extensions'
  | 'binaryType'
  | 'clearQueue'
expectTypeOf(tab).toExtend<Pick<SteadySocket<ServerMsg, ClientMsg>, Shared>>()
// The whole SteadySocket surface: no public member is missing from TabSocket.
expectTypeOf<
  Exclude<keyof SteadySocket<ServerMsg, ClientMsg>, keyof TabSocket<ServerMsg, ClientMsg>>
>().toEqualTypeOf<never>()

// The handshake gets the TabSocket; the browser's own APIs fit the injection options.
new TabSocket<ServerMsg, ClientMsg>('wss://example.com/live', {
  codec: json(),
  handshake: (s) => {
    expectTypeOf(s).toEqualTypeOf<TabSocket<ServerMsg, ClientMsg>>()
  },
  locks: navigator.locks,
  BroadcastChannel,
})
new TabSocket(() => 'wss://example.com/live', { channel: 'live' })
// @ts-expect-error unknown options are rejected at compile time
new TabSocket('wss://example.com/live', { chanel: 'typo' })
