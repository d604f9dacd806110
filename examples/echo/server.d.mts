// Types for server.mjs, so TypeScript tests can start the demo.
import type { FaultServer } from '../../test/support/fault-server.d.mts'

/** Absolute path of `dist/steadysocket.umd.min.js`, which the page loads. */
export declare const BUNDLE: string

/** Absolute path of `dist/steadysocket-tabs.umd.min.js`, loaded for `?tabs=1`. */
export declare const TABS_BUNDLE: string

/** Absolute path of `dist/server.js` (steadysocket/server), which serves `/resume`. */
export declare const SERVER_MODULE: string

/**
 * Starts the demo: the page on `/`, the bundle, an echo socket on `/echo`, a resumable echo
 * (`resumable()` from dist/server.js) on `/resume`, faults on `/control/*` (they act on both).
 */
export declare function startDemoServer(options?: {
  /** `0` picks a free port. @default 10000 */
  port?: number
  /** @default '127.0.0.1' */
  host?: string
  /** Path of the UMD bundle to serve. @default BUNDLE */
  bundle?: string
  /** ms the resumable server keeps a session after its connection is lost. @default 120000 */
  window?: number
}): Promise<FaultServer>
