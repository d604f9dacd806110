// The command-line part the examples share: HOST/PORT from the environment, a one-line error
// for a busy port, the URL to open, and a clean stop on Ctrl-C (or SIGTERM).
import { existsSync } from 'node:fs'

/**
 * @param {{
 *   label: string,
 *   defaultPort: number,
 *   start: (options: { host: string, port: number }) => Promise<{ host: string, port: number, close(): Promise<void> }>,
 *   bundle: string,
 *   missing: string,
 *   hint?: string,
 * }} options
 */
export async function runExample({ label, defaultPort, start, bundle, missing, hint = '' }) {
  const host = process.env.HOST || '127.0.0.1'
  const port = Number(process.env.PORT || defaultPort)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`PORT must be a port number (0-65535), got ${JSON.stringify(process.env.PORT)}`)
    process.exit(1)
  }

  let server
  try {
    server = await start({ host, port })
  } catch (error) {
    const code = /** @type {NodeJS.ErrnoException} */ (error).code
    if (code === 'EADDRINUSE') {
      console.error(busyMessage(port, defaultPort))
    } else {
      console.error(`Could not start the ${label} on ${host}:${port}: ${String(error)}`)
    }
    process.exit(1)
  }

  if (!existsSync(bundle)) console.warn(missing)
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : server.host
  const hostPart = shown.includes(':') ? `[${shown}]` : shown
  console.log(
    `steadysocket ${label}: open http://${hostPart}:${server.port}/${hint}  (Ctrl-C to stop)`,
  )

  let stopping = false
  /** @param {NodeJS.Signals} signal */
  const stop = (signal) => {
    if (stopping) return
    stopping = true
    console.log(`\n${signal}: stopping the ${label} server`)
    // A socket that will not close must not keep the process alive.
    setTimeout(() => process.exit(0), 2000).unref()
    server.close().then(() => process.exit(0))
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

/** The one line for a busy port. 10000 and 10001 are the demo's and the chat example's: the
 * suggestion skips both. */
export function busyMessage(port, defaultPort) {
  const next = port < 65534 ? port + 2 : defaultPort + 2
  return `Port ${port} is busy: set PORT=${next} (or stop the other process)`
}
