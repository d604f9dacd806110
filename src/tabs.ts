/**
 * `steadysocket/tabs`: one connection for all tabs of an origin. `TabSocket` has the
 * `SteadySocket` surface; the tab holding a Web Lock owns the one real socket and the others
 * relay through a `BroadcastChannel`. Importing it reads no browser global.
 *
 * @module
 */
export { TabSocket } from './tabs/tab-socket'
export type {
  TabSocketOptions,
  TabSocketEvents,
  TabSnapshot,
  LockManagerLike,
  ChannelLike,
  BroadcastChannelConstructor,
} from './tabs/tab-socket'
