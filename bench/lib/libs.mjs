// The libraries compared, in report order (native first: the baseline every ratio divides by).
export const LIBS = [
  'native',
  'steadysocket',
  'reconnecting-websocket',
  'partysocket',
  'sockette',
  'websocket-ts',
]
