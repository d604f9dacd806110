// Types for server.mjs, so TypeScript tests can start the chat example.
import type { FaultServer } from '../../test/support/fault-server.d.mts'

/** Absolute path of `dist/steadysocket.umd.min.js`, which the page loads. */
export declare const BUNDLE: string

/** Starts the chat: the page on `/`, the bundle, the room on `/chat`. */
export declare function startChatServer(options?: {
  /** `0` picks a free port. @default 10001 */
  port?: number
  /** @default '127.0.0.1' */
  host?: string
  /** Path of the UMD bundle to serve. @default BUNDLE */
  bundle?: string
}): Promise<FaultServer>
