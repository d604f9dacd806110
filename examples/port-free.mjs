// `node examples/port-free.mjs <default port>`: exits 1 with the example's one-line message when
// PORT (or the default) is taken on HOST, before `npm run demo` rebuilds dist/ under an example
// that is already running there.
import { createServer } from 'node:net'
import { busyMessage } from './cli.mjs'

const defaultPort = Number(process.argv[2])
const host = process.env.HOST || '127.0.0.1'
const port = Number(process.env.PORT || defaultPort)
// An invalid PORT is the example's own error to report, after the build.
if (!Number.isInteger(port) || port <= 0 || port > 65535) process.exit(0)
const probe = createServer()
probe.once('error', (error) => {
  if (/** @type {NodeJS.ErrnoException} */ (error).code === 'EADDRINUSE') {
    console.error(busyMessage(port, defaultPort))
    process.exit(1)
  }
  process.exit(0) // anything else: let the example say it
})
probe.listen(port, host, () => probe.close(() => process.exit(0)))
