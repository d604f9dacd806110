// The script-tag entry: the global `SteadySocket` is the class itself, with the codec and the
// error classes hung on it, so `new SteadySocket(url)` works as `new WebSocket(url)` did.
import { json } from './codec'
import * as errors from './errors'
import { SteadySocket } from './socket'

export default Object.assign(SteadySocket, { json }, errors)
