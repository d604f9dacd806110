/**
 * `steadysocket/server`: the Node side of resumable sessions for a `ws` `WebSocketServer`
 * (PROTOCOL.md at the repository's root is the wire format). Node only.
 *
 * @example
 * import { WebSocketServer } from 'ws'
 * import { resumable } from 'steadysocket/server'
 *
 * const server = resumable(new WebSocketServer({ port: 8080 }), { window: 120_000 })
 * server.on('session', (session) => {
 *   session.on('message', (data) => session.send(data))
 *   session.on('end', (reason) => console.log('session over:', reason))
 * })
 *
 * @module
 */
export { resumable } from './resumable'
export type { WebSocketLike, WebSocketServerLike, WsListener } from './resumable'
export { ResumableServer } from './server'
export type { ResumableServerEvents } from './server'
export type { Session, SessionData, SessionEndReason, SessionEvents } from './session-types'
export type { ResumableOptions } from './options'
export { MemoryStore } from './store'
export type { SessionStore } from './store'
export type { Connection, ConnectionLink } from './connection'
export type { Listenable, Listener } from './emitter'
