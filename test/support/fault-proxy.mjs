// @ts-check
// A TCP proxy that cuts connections on command, for the resumable-session proofs: the client
// connects to the proxy, the proxy to the server, and a cut lands wherever the bytes happen to be
// (frames half-written, in the kernel's buffers, in flight). Plain `net`, so it works under any
// WebSocket server and any client, Chromium included. Types in fault-proxy.d.mts.
import { connect, createServer } from 'node:net'

/** @typedef {import('./fault-proxy.d.mts').FaultProxy} FaultProxy */
/** @typedef {import('./fault-proxy.d.mts').FaultProxyOptions} FaultProxyOptions */
/** @typedef {import('./fault-proxy.d.mts').FaultProxyStats} FaultProxyStats */
/** @typedef {import('node:net').Socket} Socket */

/** Longest black hole a command may ask for, so a typo cannot wedge a test run. */
export const MAX_BLACKHOLE_MS = 60_000

/**
 * One accepted connection and its upstream twin.
 * @typedef {{
 *   id: number,
 *   client: Socket,
 *   upstream: Socket,
 *   connected: boolean,
 *   holed: boolean,
 *   held: Buffer[] | null,
 *   timer: NodeJS.Timeout | undefined,
 * }} Pair
 */

/**
 * Starts the proxy on `host`, port 0, forwarding to `host:target`.
 * @param {FaultProxyOptions} options
 * @returns {Promise<FaultProxy>}
 */
export async function startFaultProxy(options) {
  const host = options.host ?? '127.0.0.1'
  let target = checkPort(options.target)
  let closed = false
  let refusing = false
  let nextId = 0
  /** @type {Set<Pair>} */
  const pairs = new Set()
  /** @type {Set<Pair>} pairs whose client side was cut by halfOpen(): the target side lives on */
  const orphans = new Set()
  /** @type {FaultProxyStats} */
  const stats = {
    accepted: 0,
    refused: 0,
    turnedAway: 0,
    cuts: 0,
    resets: 0,
    blackholes: 0,
    halfOpens: 0,
    bytesHeld: 0,
    bytesReleased: 0,
    pairsCut: 0,
    bytesUp: 0,
    bytesDown: 0,
    bytesDropped: 0,
  }

  const server = createServer({ noDelay: true }, (client) => {
    if (closed || refusing) {
      stats.turnedAway += 1
      return void client.resetAndDestroy()
    }
    stats.accepted += 1
    // Nothing is read from the client until the upstream connection exists.
    client.pause()
    const upstream = connect({ host, port: target, noDelay: true })
    /** @type {Pair} */
    const pair = {
      id: ++nextId,
      client,
      upstream,
      connected: false,
      holed: false,
      held: null,
      timer: undefined,
    }
    pairs.add(pair)
    upstream.once('connect', () => {
      pair.connected = true
      if (!pair.holed) client.resume()
    })
    forward(pair, client, upstream, 'bytesUp')
    forward(pair, upstream, client, 'bytesDown')
    // Either side ending, cleanly or not, ends the pair abruptly: the proxy adds no closing
    // handshake of its own, and a refused upstream looks to the client like a dead server.
    const end = (/** @type {Socket} */ from, /** @type {Error | undefined} */ error) => {
      if (from === upstream && orphans.delete(pair)) return void upstream.destroy()
      if (!pairs.delete(pair)) return
      clearTimeout(pair.timer)
      if (from === upstream && !pair.connected && error) stats.refused += 1
      destroyPair(pair)
    }
    client.on('error', (error) => end(client, error))
    upstream.on('error', (error) => end(upstream, error))
    client.on('close', () => end(client, undefined))
    upstream.on('close', () => end(upstream, undefined))
    // A half-close is passed on as a half-close (a WebSocket closing handshake ends with one).
    client.on('end', () => upstream.end())
    upstream.on('end', () => client.end())
  })

  /**
   * @param {Pair} pair
   * @param {Socket} from
   * @param {Socket} to
   * @param {'bytesUp' | 'bytesDown'} counter
   */
  function forward(pair, from, to, counter) {
    from.on('data', (chunk) => {
      // Bytes already read when a black hole starts are dropped, as a dead link drops them.
      if (pair.holed || to.destroyed) {
        stats.bytesDropped += chunk.length
        return
      }
      if (pair.held && from === pair.client) {
        pair.held.push(chunk)
        stats.bytesHeld += chunk.length
        return
      }
      stats[counter] += chunk.length
      if (!to.write(chunk) && !pair.holed) {
        from.pause()
        to.once('drain', () => {
          if (!pair.holed) from.resume()
        })
      }
    })
  }

  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, () => {
      server.off('error', reject)
      resolve(undefined)
    })
  })
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('fault-proxy: no TCP address')
  const port = address.port

  /** @param {Pair} pair */
  function cutNow(pair) {
    pairs.delete(pair)
    clearTimeout(pair.timer)
    stats.pairsCut += 1
    destroyPair(pair)
  }

  /** @type {FaultProxy} */
  const proxy = {
    host,
    port,
    url: `ws://${host}:${port}`,
    get target() {
      return target
    },
    get live() {
      return [...pairs].filter((p) => !p.holed).length
    },
    get holed() {
      return [...pairs].filter((p) => p.holed).length
    },
    get refusing() {
      return refusing
    },
    get stats() {
      return { ...stats }
    },
    refuse() {
      refusing = true
    },
    accept() {
      refusing = false
    },
    setTarget(next) {
      target = checkPort(next)
    },
    reset() {
      // Black-holed pairs too: their cut lands now instead of later.
      const all = [...pairs]
      for (const pair of all) cutNow(pair)
      if (all.length > 0) {
        stats.cuts += 1
        stats.resets += 1
      }
      return all.length
    },
    blackhole(ms) {
      if (!Number.isInteger(ms) || ms < 0 || ms > MAX_BLACKHOLE_MS) {
        throw new RangeError(`fault-proxy: blackhole(ms) takes 0..${MAX_BLACKHOLE_MS}, got ${ms}`)
      }
      const live = [...pairs].filter((p) => !p.holed)
      for (const pair of live) {
        pair.holed = true
        // Stop reading both ways: what the peers write from now on stays in their buffers or is
        // dropped here, and neither of them learns anything until the cut.
        pair.client.pause()
        pair.upstream.pause()
        pair.timer = setTimeout(() => cutNow(pair), ms)
      }
      if (live.length > 0) {
        stats.cuts += 1
        stats.blackholes += 1
      }
      return live.length
    },
    halfOpen() {
      const live = [...pairs].filter((p) => !p.holed)
      for (const pair of live) {
        pairs.delete(pair)
        orphans.add(pair)
        stats.pairsCut += 1
        try {
          pair.client.resetAndDestroy()
        } catch {
          pair.client.destroy()
        }
        // The target side is read (and what arrives dropped) so that its writer never blocks,
        // and nothing is written to it: the server sees a connection that has gone quiet.
        pair.upstream.resume()
      }
      if (live.length > 0) {
        stats.cuts += 1
        stats.halfOpens += 1
      }
      return live.length
    },
    holdUp() {
      const live = [...pairs].filter((p) => !p.holed)
      for (const pair of live) pair.held ??= []
      return live.length
    },
    release() {
      let bytes = 0
      for (const pair of [...pairs, ...orphans]) {
        const held = pair.held
        pair.held = null
        if (!held || held.length === 0 || pair.upstream.destroyed) continue
        const chunk = Buffer.concat(held)
        bytes += chunk.length
        pair.upstream.write(chunk)
      }
      stats.bytesReleased += bytes
      return bytes
    },
    get orphans() {
      return orphans.size
    },
    async close() {
      if (closed) return
      closed = true
      for (const pair of [...pairs]) cutNow(pair)
      for (const pair of [...orphans]) destroyPair(pair)
      orphans.clear()
      await new Promise((resolve) => server.close(() => resolve(undefined)))
    },
  }
  return proxy
}

/** @param {Pair} pair */
function destroyPair(pair) {
  // A TCP RST on both sides: each peer sees an abrupt loss (ECONNRESET), never a clean close.
  for (const socket of [pair.client, pair.upstream]) {
    if (socket.destroyed) continue
    try {
      socket.resetAndDestroy()
    } catch {
      socket.destroy() // not a TCP handle (yet): nothing to reset
    }
  }
}

/**
 * @param {unknown} port
 * @returns {number}
 */
function checkPort(port) {
  if (
    !Number.isInteger(port) ||
    /** @type {number} */ (port) <= 0 ||
    /** @type {number} */ (port) > 65535
  ) {
    throw new RangeError(`fault-proxy: target must be a TCP port, got ${String(port)}`)
  }
  return /** @type {number} */ (port)
}
