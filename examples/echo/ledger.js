// Where each message the demo page sent went: the echo server returns every message on the
// connection it arrived on, so a message is
//   delivered   when its echo comes back on the connection it was sent on (or the first one after
//               it was queued while the socket was down),
//   recovered   when its echo comes back after the connection it was sent on died: steadysocket
//               kept it (its queue, or the browser's unsent bytes via recoverUnsent) and sent it
//               on the next connection,
//   lost in TCP when that connection died with it already handed to the kernel (or read by the
//               server, whose echo went to the dead socket): no browser API gives such bytes back,
//   dropped     when send() returned 'dropped' or a `drop` event named it.
// A message sent before a drop is in doubt until the page knows it will never echo. Recovered
// messages go out first on the next connection (FIFO), so the page sends a marker once that
// connection is open: when the marker's echo arrives, anything older still without an echo is
// lost. No timer decides it, so a slow or paused server only delays the count.
;(() => {
  'use strict'

  const LOST_REMEMBERED = 10_000 // long enough to notice an echo that overtook its marker

  function createLedger() {
    let epoch = 0 // connections that were open and closed so far
    let markers = 0
    const pending = new Map() // n → { epoch, kind, text }
    const markerEpoch = new Map() // marker id → epoch it was sent in
    const lostSet = new Set() // declared lost: an echo after that means the order was broken
    const counts = { sent: 0, delivered: 0, recovered: 0, lost: 0, dropped: 0 }
    let recoveredSinceReport = []

    return {
      /** A send() that returned 'sent' or 'queued'. */
      sent(n, kind, text) {
        counts.sent += 1
        pending.set(n, { epoch, kind, text })
      },
      /** A send() that returned 'dropped'. */
      refused() {
        counts.sent += 1
        counts.dropped += 1
      },
      /** A message named by a `drop` event. */
      dropped(n) {
        if (!pending.delete(n)) return
        counts.dropped += 1
      },
      /** The page let go of its socket (the resume switch): what awaits an echo never gets one. */
      abandoned() {
        counts.dropped += pending.size
        pending.clear()
        markerEpoch.clear()
      },
      /** An open connection closed: what it still owed an echo for is now in doubt. */
      closed() {
        epoch += 1
      },
      /** The echo of message `n`: 'delivered', 'recovered', 'late' (after it was counted lost), or null. */
      echoed(n) {
        const entry = pending.get(n)
        if (!entry) {
          if (!lostSet.delete(n)) return null
          // Counted lost, yet here it is: a re-sent message overtook the marker.
          counts.lost -= 1
          counts.recovered += 1
          return 'late'
        }
        pending.delete(n)
        if (entry.epoch < epoch) {
          counts.recovered += 1
          recoveredSinceReport.push(n)
          return 'recovered'
        }
        counts.delivered += 1
        return 'delivered'
      },
      /** Messages sent on connections that have since closed and have not echoed. */
      inDoubt() {
        let count = 0
        for (const entry of pending.values()) if (entry.epoch < epoch) count += 1
        return count
      },
      /** A marker id to send now when messages are in doubt and none was sent on this connection. */
      nextMarker() {
        if (this.inDoubt() === 0) return null
        for (const sentIn of markerEpoch.values()) if (sentIn === epoch) return null
        const id = ++markers
        markerEpoch.set(id, epoch)
        return id
      },
      /**
       * The echo of marker `id`: everything sent before the connection it went out on and still
       * without an echo is lost. Returns what it settled ({ lost, recovered } entries), or null.
       */
      markerEchoed(id) {
        const sentIn = markerEpoch.get(id)
        if (sentIn === undefined) return null
        markerEpoch.delete(id)
        const lost = []
        for (const [n, entry] of pending) {
          if (entry.epoch >= sentIn) continue
          pending.delete(n)
          lostSet.add(n)
          lost.push({ n, ...entry })
        }
        counts.lost += lost.length
        // An older marker still out is moot: it went before this one, so it echoed or died.
        for (const [other, epochOf] of markerEpoch) if (epochOf <= sentIn) markerEpoch.delete(other)
        while (lostSet.size > LOST_REMEMBERED) lostSet.delete(lostSet.values().next().value)
        const recovered = recoveredSinceReport
        recoveredSinceReport = []
        return lost.length || recovered.length ? { lost, recovered } : null
      },
      counts() {
        return { ...counts, awaiting: pending.size, inDoubt: this.inDoubt() }
      },
    }
  }

  /** "#3–#5, #9" for [3, 4, 5, 9]; at most `max` runs, then "…". */
  function ranges(numbers, max = 4) {
    const sorted = [...numbers].sort((a, b) => a - b)
    const runs = []
    for (const n of sorted) {
      const last = runs[runs.length - 1]
      if (last && n === last[1] + 1) last[1] = n
      else runs.push([n, n])
    }
    const text = runs
      .slice(0, max)
      .map(([a, b]) => (a === b ? `#${a}` : `#${a}–#${b}`))
      .join(', ')
    return runs.length > max ? `${text}, …` : text
  }

  window.createLedger = createLedger
  window.ledgerRanges = ranges
})()
