export { SteadySocket } from './socket'
export type { Snapshot, SteadySocketOptions } from './socket'
export { json } from './codec'
export type { Codec, RawData } from './codec'
export {
  SteadySocketError,
  ConnectError,
  ConnectTimeoutError,
  HeartbeatTimeoutError,
  DecodeError,
  ProviderError,
  HandshakeError,
  ClosedError,
  TimeoutError,
  isSteadySocketError,
} from './errors'
export type { SteadySocketErrorName } from './errors'
export { DEFAULTS } from './options'
export type {
  SocketOptions,
  ReconnectOptions,
  QueueOptions,
  BackpressureOptions,
  HeartbeatOptions,
  ResumeOptions,
  Provider,
  BinaryType,
  WebSocketConstructor,
  WebSocketLike,
} from './options'
export type { SteadySocketEvents, Status, CloseInfo, DropReason } from './events'
export type { SocketHandlers } from './binding'
export type { SendResult } from './flow'
export type { UrlSource } from './url'
export type { CompatEventMap, CompatListener, CompatTarget } from './compat'
export type { SocketSurface } from './surface'
