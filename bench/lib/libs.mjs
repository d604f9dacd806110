// The libraries compared, in report order (native first: the baseline every ratio divides by).
export const LIBS = [
  'native',
  'steadysocket',
  'reconnecting-websocket',
  'partysocket',
  'sockette',
  'websocket-ts',
]

/** SteadySocket with `resume: true` against resumable() (bench/lib/resume-routes.mjs): measured
 * against the plain SteadySocket in the throughput, overhead and chaos scenarios, not a peer. */
export const RESUME = 'steadysocket-resume'
