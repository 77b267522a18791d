// Where the last fetch of a file found its manifest and holders, kept for a few seconds: gateway reads come in
// bursts (a video player seeks many times a minute, a download manager opens several ranges at once), and asking
// every peer `has` again costs a round trip per read, most of a cold range read's time to first byte on loopback and
// more on a WAN. A holder gone since is failed over like any other; a read that finds the file degraded, or fails,
// forgets the entry, so the next one locates afresh. Reads that start together share one lookup: sixteen gateway
// clients starting at once sent sixteen `has` requests down each connection, past the holders' per-connection
// limit (MAX_INBOUND_REQUEST_STREAMS), and the holders that reset the extra streams looked like holders of nothing.
import type { Manifest } from '../../coder/manifest.ts'
import type { Holders } from '../transfer/locator.ts'

/**
 * 5 s: far below the time a holder's death takes to matter (--dead-after, 60 s by default, then repair), well above
 * a burst of reads. At most MAX_FILES entries, the oldest dropped first.
 */
export const RECENT_HOLDERS_TTL_MS = 5_000
const MAX_FILES = 1024

export interface Located { manifest: Manifest, holders: Holders }

export class RecentHolders {
  private readonly entries = new Map<string, { located: Located, at: number }>()
  private readonly pending = new Map<string, Promise<Located>>()

  constructor (private readonly now: () => number = Date.now, private readonly ttlMs = RECENT_HOLDERS_TTL_MS) {}

  /** Where `cid` was found within the TTL, else the lookup already under way for it, else a new one (`find`). */
  async locate (cid: string, find: () => Promise<Located>): Promise<Located> {
    const known = this.get(cid)
    if (known !== undefined) return known
    let lookup = this.pending.get(cid)
    if (lookup === undefined) {
      lookup = find().then((located) => {
        this.remember(cid, located)
        return located
      }).finally(() => { this.pending.delete(cid) })
      this.pending.set(cid, lookup)
    }
    return await lookup
  }

  get (cid: string): Located | undefined {
    const entry = this.entries.get(cid)
    if (entry === undefined) return undefined
    if (this.now() - entry.at > this.ttlMs) {
      this.entries.delete(cid)
      return undefined
    }
    return entry.located
  }

  remember (cid: string, located: Located): void {
    this.entries.delete(cid)
    this.entries.set(cid, { located, at: this.now() })
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= MAX_FILES) break
      this.entries.delete(oldest)
    }
  }

  forget (cid: string): void {
    this.entries.delete(cid)
  }
}
