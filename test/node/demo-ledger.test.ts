// The echo demo's ledger (examples/echo/ledger.js, a page script): how it decides each message's
// fate around a drop. The page itself is driven in test/browser/demo.test.ts; here the cases a
// real server does not produce on demand (an echo after its marker, a second drop before the
// marker returns).
import { readFileSync } from 'node:fs'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'

type Fate = 'delivered' | 'recovered' | 'late' | null
type Entry = { n: number; epoch: number; kind: string; text?: string }
interface Ledger {
  sent(n: number, kind: string, text?: string): void
  refused(): void
  dropped(n: number): void
  abandoned(): void
  closed(): void
  echoed(n: number): Fate
  inDoubt(): number
  nextMarker(): number | null
  markerEchoed(id: number): { lost: Entry[]; recovered: number[] } | null
  counts(): Record<
    'sent' | 'delivered' | 'recovered' | 'lost' | 'dropped' | 'awaiting' | 'inDoubt',
    number
  >
}

const source = readFileSync(new URL('../../examples/echo/ledger.js', import.meta.url), 'utf8')
const page = () => {
  const window = {} as {
    createLedger(): Ledger
    ledgerRanges(numbers: number[], max?: number): string
  }
  runInNewContext(source, { window })
  return window
}
const balanced = (ledger: Ledger) => {
  const c = ledger.counts()
  return c.delivered + c.recovered + c.lost + c.dropped + c.awaiting === c.sent
}

describe('demo ledger', () => {
  it('counts echoes on the same connection as delivered and needs no marker', () => {
    const ledger = page().createLedger()
    ledger.sent(1, 'text', 'hi')
    ledger.refused()
    expect(ledger.echoed(1)).toBe('delivered')
    expect(ledger.echoed(99)).toBeNull()
    expect(ledger.nextMarker()).toBeNull()
    expect(ledger.counts()).toMatchObject({ sent: 2, delivered: 1, dropped: 1, awaiting: 0 })
  })

  it('after a drop: echoes before the marker are recovered, the rest lost when it returns', () => {
    const ledger = page().createLedger()
    for (let n = 1; n <= 5; n++) ledger.sent(n, 'slow')
    expect(ledger.echoed(1)).toBe('delivered')
    ledger.closed()
    ledger.sent(6, 'text', 'while down') // queued while reconnecting: not in doubt
    expect(ledger.inDoubt()).toBe(4)
    const marker = ledger.nextMarker()!
    expect(ledger.nextMarker()).toBeNull() // one per connection
    expect(ledger.echoed(4)).toBe('recovered')
    expect(ledger.echoed(5)).toBe('recovered')
    expect(ledger.echoed(6)).toBe('delivered')
    const report = ledger.markerEchoed(marker)!
    expect(report.recovered).toEqual([4, 5])
    expect(report.lost.map((m) => m.n)).toEqual([2, 3])
    expect(ledger.counts()).toMatchObject({ sent: 6, delivered: 2, recovered: 2, lost: 2 })
    expect(ledger.counts().awaiting).toBe(0)
    expect(balanced(ledger)).toBe(true)
  })

  it('a second drop before the marker returns: the next marker settles both', () => {
    const ledger = page().createLedger()
    ledger.sent(1, 'slow')
    ledger.closed()
    const first = ledger.nextMarker()!
    ledger.sent(2, 'slow')
    ledger.closed() // the marker and #2 may have died with this connection
    const second = ledger.nextMarker()!
    expect(second).not.toBe(first)
    expect(ledger.echoed(2)).toBe('recovered')
    expect(ledger.markerEchoed(second)!.lost.map((m) => m.n)).toEqual([1])
    expect(ledger.markerEchoed(first)).toBeNull() // moot once a later one returned
    expect(balanced(ledger)).toBe(true)
  })

  it('an echo after its marker moves the message from lost to recovered', () => {
    const ledger = page().createLedger()
    ledger.sent(1, 'slow')
    ledger.closed()
    expect(ledger.markerEchoed(ledger.nextMarker()!)!.lost).toHaveLength(1)
    expect(ledger.echoed(1)).toBe('late')
    expect(ledger.counts()).toMatchObject({ lost: 0, recovered: 1 })
    expect(ledger.echoed(1)).toBeNull()
  })

  it('a message named by a drop event is dropped, once', () => {
    const ledger = page().createLedger()
    ledger.sent(1, 'burst')
    ledger.dropped(1)
    ledger.dropped(1)
    expect(ledger.counts()).toMatchObject({ sent: 1, dropped: 1, awaiting: 0 })
  })

  it('when the page lets go of its socket (the resume switch), what awaits an echo is dropped', () => {
    const ledger = page().createLedger()
    ledger.sent(1, 'text', 'a')
    ledger.sent(2, 'text', 'b')
    expect(ledger.echoed(1)).toBe('delivered')
    ledger.closed()
    ledger.abandoned()
    expect(ledger.nextMarker()).toBeNull() // nothing left in doubt
    expect(ledger.echoed(2)).toBeNull()
    expect(ledger.counts()).toMatchObject({ sent: 2, delivered: 1, dropped: 1, awaiting: 0 })
    expect(balanced(ledger)).toBe(true)
  })

  it('names runs of numbers compactly', () => {
    const { ledgerRanges } = page()
    expect(ledgerRanges([5, 3, 4, 9])).toBe('#3–#5, #9')
    expect(ledgerRanges([1, 3, 5, 7, 9, 11], 4)).toBe('#1, #3, #5, #7, …')
  })
})
