// Leaderless repair: who rebuilds a file's lost shards, decided by every holder alone and identically, with no
// election and no coordinator. Each peer's weight for a file is SHA-256(cid ‖ peer id) (rendezvous / highest random
// weight hashing, Thaler & Ravishankar 1998); the holders ranked by weight give an order of succession. The first live
// holder repairs; the others watch it and, when their failure detector declares it dead, the next live one takes
// over. Two holders disagree only while their failure detectors disagree (then both may repair: the work is
// idempotent, a shard index is either present or not, and the holder map merge drops the duplicate copy).
//
// SHA-256 rather than placement's murmur3: the ranking must be identical on every peer and every future version
// of edgemirror (a protocol fact, specified as "SHA-256 of the UTF-8 bytes of cid, a NUL byte, peer id"), and it
// hashes only the few holders of one file at a time.
import { createHash } from 'node:crypto'

/** The rendezvous weight of `peer` for `cid`: the first 8 bytes of SHA-256(cid ‖ 0x00 ‖ peer), as a big-endian
 *  64-bit integer. Higher ranks first. */
export function repairWeight (cid: string, peer: string): bigint {
  return createHash('sha256').update(cid).update('\0').update(peer).digest().readBigUInt64BE(0)
}

/** Every distinct peer ranked for `cid`, highest weight first (ties, 2^-64 unlikely, by peer id). The order of
 *  succession: the same on every peer for the same set, whatever order the peers are listed in. */
export function rankPeers (cid: string, peers: Iterable<string>): string[] {
  const weighted = [...new Set(peers)].map(peer => ({ peer, weight: repairWeight(cid, peer) }))
  weighted.sort((a, b) => a.weight === b.weight ? (a.peer < b.peer ? -1 : 1) : (a.weight > b.weight ? -1 : 1))
  return weighted.map(w => w.peer)
}

/** Each peer's position in rankPeers (0 = first): for sorting by rendezvous rank as a tie-break. */
export function rankPositions (cid: string, peers: Iterable<string>): Map<string, number> {
  return new Map(rankPeers(cid, peers).map((peer, position) => [peer, position]))
}

/** The peer that repairs `cid` among its live holders, or undefined when none is live. */
export function repairLeader (cid: string, liveHolders: Iterable<string>): string | undefined {
  return rankPeers(cid, liveHolders)[0]
}

/** The holders in order of succession; with `isAlive`, only the live ones (the first is the leader, the second
 *  takes over if the first dies, and so on). */
export function takeoverOrder (cid: string, holders: Iterable<string>, isAlive: (peer: string) => boolean = () => true): string[] {
  return rankPeers(cid, holders).filter(isAlive)
}

/** The rule each holder applies for itself: repair `cid` if I am the first live holder in the ranking. `self` counts
 *  as alive (a node does not watch its own heartbeats) and must be one of the holders. */
export function shouldRepair (self: string, cid: string, holders: Iterable<string>, isAlive: (peer: string) => boolean): boolean {
  const ranked = rankPeers(cid, holders)
  if (!ranked.includes(self)) return false
  return ranked.find(peer => peer === self || isAlive(peer)) === self
}
