// What the Node suites against the fault server share: a fresh server per test, the sockets a test
// made (disposed after it), and the unhandled rejections seen meanwhile (there must be none).
import { afterEach, beforeEach } from 'vitest'
import { startFaultServer, type FaultServer } from '../support/fault-server.mjs'

export type Harness = {
  /** This test's fault server on 127.0.0.1. */
  server: FaultServer
  /** Disposed after each test. */
  sockets: { dispose(): void }[]
  /** Unhandled rejections during this test. */
  unhandled: unknown[]
}

/** Registers the per-test setup and teardown; call at the top of a test file. */
export function useFaultServer(): Harness {
  const h: Harness = { server: undefined as unknown as FaultServer, sockets: [], unhandled: [] }
  const onUnhandled = (reason: unknown) => h.unhandled.push(reason)
  beforeEach(async () => {
    h.server = await startFaultServer()
    h.unhandled.length = 0
    process.on('unhandledRejection', onUnhandled)
  })
  afterEach(async () => {
    for (const s of h.sockets.splice(0)) s.dispose()
    process.off('unhandledRejection', onUnhandled)
    await h.server.close()
  })
  return h
}
