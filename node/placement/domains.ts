// Failure-domain caps. Peers sit in zones, zones in regions (a laminar family), and a file may have at most
// peerCap shards on a peer, zoneCap in a zone and regionCap in a region. Such caps form a laminar matroid, so a greedy
// walk that takes every candidate that still fits always places as many shards as any placement could: if the
// greedy walk comes up short, no placement exists. That is what lets placeShards fail early with a reason.
// Zones and regions are numbered once per call so that the cap searches run over arrays, not string maps.

/** The zone of a peer that declared none (no --zone): it is a failure domain of its own, not one zone shared with every
 *  other peer that declared none. A user who did not declare failure domains has not asked for them to be one. */
export const UNDECLARED_ZONE = ''

/** A zone for people: the undeclared one is the peer's own. */
export function zoneLabel (zone: string | undefined): string | undefined {
  return zone === UNDECLARED_ZONE ? '(own)' : zone
}

/** A zone is named inside its region: zone "a" of region "eu" and zone "a" of region "us" are different zones; a peer
 *  with an undeclared zone is alone in a zone of its own. */
export class DomainIndex {
  readonly regionNames: string[] = []
  readonly zoneNames: string[] = []
  /** Region number of each zone. */
  readonly zoneRegion: number[] = []
  private readonly regions = new Map<string, { id: number, zones: Map<string, number> }>()

  zone (region: string, zone: string, peerId: string): number {
    let r = this.regions.get(region)
    if (r === undefined) {
      r = { id: this.regionNames.length, zones: new Map() }
      this.regions.set(region, r)
      this.regionNames.push(region)
    }
    // Keyed apart, so that no declared zone name can fall into a peer's own zone.
    const key = zone === UNDECLARED_ZONE ? `peer:${peerId}` : `zone:${zone}`
    let z = r.zones.get(key)
    if (z === undefined) {
      z = this.zoneNames.length
      r.zones.set(key, z)
      this.zoneNames.push(zone)
      this.zoneRegion.push(r.id)
    }
    return z
  }
}

/** Where the candidates are, and how many shards each could take by free space. */
export interface DomainMap {
  index: DomainIndex
  /** Zone number of each candidate, in candidate order. */
  zoneOf: Int32Array
  /** Shards each candidate has room for (floor(freeBytes / shardSize)). */
  room: Float64Array
  /** Shards of this file already in each zone / region (request.existing). */
  existingInZone: Int32Array
  existingInRegion: Int32Array
}

/** Shards each zone could take with at most peerCap per peer (space permitting). */
export function zoneRoom (d: DomainMap, peerCap: number): Float64Array {
  const inZone = new Float64Array(d.index.zoneNames.length)
  for (let i = 0; i < d.zoneOf.length; i++) inZone[d.zoneOf[i]] += Math.min(peerCap, d.room[i])
  return inZone
}

/** How many shards of the file these caps let the candidates take, at most. */
export function placeable (d: DomainMap, inZone: Float64Array, zoneCap: number, regionCap: number): number {
  const inRegion = new Float64Array(d.index.regionNames.length)
  for (let z = 0; z < inZone.length; z++) inRegion[d.index.zoneRegion[z]] += Math.min(inZone[z], Math.max(0, zoneCap - d.existingInZone[z]))
  let total = 0
  for (let r = 0; r < inRegion.length; r++) total += Math.min(inRegion[r], Math.max(0, regionCap - d.existingInRegion[r]))
  return total
}

/** The smallest cap in [low, high] for which `fits(cap)` holds (fits is monotone), or undefined. */
export function smallestCap (low: number, high: number, fits: (cap: number) => boolean): number | undefined {
  if (low > high || !fits(high)) return undefined
  while (low < high) {
    const mid = Math.floor((low + high) / 2)
    if (fits(mid)) high = mid
    else low = mid + 1
  }
  return low
}
