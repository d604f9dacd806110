import type { RawData } from '../codec'
import type { Phase } from '../phase'
import { INTERNAL, SteadySocket, type Internal, type SteadySocketOptions } from '../socket'
import type { UrlSource } from '../url'

/**
 * The tabs leader's socket: a SteadySocket that, once the leader sets `internal.stranded` for its
 * last `close()`, lets the sockets it gave up on settle instead of requeueing at once, and tells
 * `stranded` what none of its sockets transmitted, oldest first, when nothing may still transmit.
 * Kept here, not in the core: only `steadysocket/tabs` pays for it.
 */
export class LeaderSocket<Out> extends SteadySocket<RawData, Out> {
  readonly #internal: Internal<RawData, Out>
  /** What our close() left unsent, while `stranded` waits for abandoned sockets. */
  #unsent: Out[] | null = null

  constructor(url: UrlSource, internal: Internal<RawData, Out>) {
    super(url, { [INTERNAL]: internal } as SteadySocketOptions<RawData, Out>)
    this.#internal = internal
  }

  override close(code?: number, reason?: string): void {
    super.close(code, reason)
    // Closed at once (no open socket to close): nothing of ours is stranded beyond the settling.
    if (this.status === 'closed') this.#strand([])
  }

  protected override _settleOnClose(): void {
    if (!this.#internal.stranded) super._settleOnClose()
  }

  protected override _settled(): void {
    super._settled()
    if (this.#unsent) this.#strand([])
  }

  protected override _finishClose(wasClean: boolean): Phase {
    const p = this._phase
    const next = super._finishClose(wasClean)
    if (p.status === 'closing' && next.status === 'closed')
      this.#strand(p.log ? (p.log.unsent(next.stranded).map((m) => m.data) as Out[]) : [])
    return next
  }

  /** Tells `stranded` what our close() left, once no abandoned socket may transmit. */
  #strand(unsent: Out[]): void {
    const hook = this.#internal.stranded
    if (!hook) return
    const all = (this.#unsent ?? []).concat(unsent)
    this.#unsent = all
    if (this._recovery.pending) return
    this.#unsent = null
    hook(all)
  }
}
