// The private channel between a client socket and its server side: neither class exposes it,
// so users see only the WebSocket surface and the FakeConnection API.
import type { RawData } from '../codec'
import type { FakeWebSocket } from './fake-websocket'

/** How a server side drives its client socket. Internal to `steadysocket/testing`. */
export type Control = {
  attach(peer: Peer): void
  open(protocol: string): void
  message(data: string | ArrayBuffer): void
  /** `failed`: the client "fails the WebSocket connection" (an error event first) even once open. */
  close(code: number, reason: string, wasClean: boolean, failed?: boolean): void
  addBuffered(bytes: number): void
  setBuffered(bytes: number): void
}

/** How a client socket reaches its server side. Internal to `steadysocket/testing`. */
export type Peer = {
  /** Data sent while OPEN; returns `false` when it was not transmitted (it stays buffered). */
  transmit(data: RawData, bytes: number): boolean
  /** `close()` while OPEN: the close frame (`code` undefined = no status code). */
  closeFrame(code: number | undefined, reason: string): void
  /** `close()` while CONNECTING: the client gives up on the handshake. */
  abort(): void
}

/** Called by a socket's constructor to connect it to a server. */
export type Connector = (socket: FakeWebSocket, control: Control, protocols: string[]) => void

const connectors = new WeakMap<object, Connector>()

/** Makes `new Class(url)` connect through `connect`. Internal to `steadysocket/testing`. */
export function bindConnector(Class: typeof FakeWebSocket, connect: Connector): void {
  connectors.set(Class, connect)
}

// Walks up from `new.target`, so subclasses of a server's `WebSocket` connect too.
export function connectorOf(Class: object | null): Connector | undefined {
  for (let c = Class; c !== null; c = Object.getPrototypeOf(c) as object | null) {
    const connect = connectors.get(c)
    if (connect) return connect
  }
  return undefined
}
