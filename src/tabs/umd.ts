// The script-tag build of steadysocket/tabs: the global `TabSocket` is the class itself, with
// `json` and the error classes hung on it, as in the core's script-tag build.
import { json } from '../codec'
import * as errors from '../errors'
import { TabSocket } from './tab-socket'

export default Object.assign(TabSocket, { json }, errors)
