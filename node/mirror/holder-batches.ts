// A sync's lookups in batches: the follower knows every file it is about to fetch, so it asks each peer which of the
// next BATCH of them it holds in one `has` request, instead of one request per peer per file. On 6 storage daemons a
// lookup was 8 of the 13 streams a small file's fetch opened (docs/MIRRORS.md, "Following"; bench:mirror).
import type { Holders } from '../transfer/locator.ts'

/** Files per lookup: a `has` answer for 256 files is ~18 KiB, and at a few files per second per fetch slot the
 *  holders it finds are seconds old when used (a holder gone since is failed over like any other). */
export const HOLDER_BATCH = 256

export type LocateMany = (cids: string[], options: { signal?: AbortSignal }) => Promise<Map<string, Holders>>

export class HolderBatches {
  private readonly position: Map<string, number>
  private readonly found = new Map<string, Holders>()
  private readonly pending = new Map<string, Promise<void>>()

  /** `order`: the CIDs the sync will fetch, in the order it fetches them. */
  constructor (private readonly locateMany: LocateMany, private readonly order: string[], private readonly batch = HOLDER_BATCH) {
    this.position = new Map(order.map((cid, i) => [cid, i]))
  }

  /** Where `cid` is, from the batch that covers it (looked up now if no batch has), or undefined for a CID outside the
   *  sync's list or a failed lookup (the fetch then looks it up itself). Each answer is handed out once. */
  async holdersOf (cid: string, signal?: AbortSignal): Promise<Holders | undefined> {
    const at = this.position.get(cid)
    if (at === undefined) return undefined
    if (!this.found.has(cid)) {
      let lookup = this.pending.get(cid)
      if (lookup === undefined) {
        const window = this.order.slice(at, at + this.batch).filter(c => !this.found.has(c) && !this.pending.has(c))
        lookup = this.locateMany(window, { signal }).then((located) => {
          for (const [c, holders] of located) this.found.set(c, holders)
        }).catch(() => {}).finally(() => { for (const c of window) this.pending.delete(c) })
        for (const c of window) this.pending.set(c, lookup)
      }
      await lookup
    }
    const holders = this.found.get(cid)
    this.found.delete(cid)
    return holders
  }
}
