// Types for server.mjs, so TypeScript tests can start the demo.
import type { FaultServer } from '../../test/support/fault-server.d.mts'

/** Absolute path of `dist/steadysocket.umd.min.js`, which the page loads. */
export declare const BUNDLE: string

/** Absolute path of `dist/steadysocket-tabs.umd.min.js`, loaded for `?tabs=1`. */
export declare const TABS_BUNDLE: string

/** Starts the demo: the page on `/`, the bundle, an echo socket on `/echo`, faults on `/control/*`. */
export declare function startDemoServer(options?: {
  /** `0` picks a free port. @default 10000 */
  port?: number
  /** @default '127.0.0.1' */
  host?: string
  /** Path of the UMD bundle to serve. @default BUNDLE */
  bundle?: string
}): Promise<FaultServer>
