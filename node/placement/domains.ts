// Failure-domain caps. Peers sit in zones, zones in regions (a laminar family), and a file may have at most
// peerCap shards on a peer, zoneCap in a zone and regionCap in a region. Such caps form a laminar matroid, so a greedy
// walk that takes every candidate that still fits always places as many shards as any placement could: if the
// greedy walk comes up short, no placement exists. That is what lets placeShards fail early with a reason.

/** Where the candidates are, and how many shards each could take by free space. */
export interface DomainMap {
  zoneOf: string[]
  regionOfZone: Map<string, string>
  /** Shards each candidate has room for (floor(freeBytes / shardSize)). */
  room: number[]
  /** Shards of this file already in each zone / region (request.existing). */
  existingInZone: Map<string, number>
  existingInRegion: Map<string, number>
}

/** A zone is named inside its region: zone "a" of region "eu" and zone "a" of region "us" are different zones. */
export function zoneKey (region: string, zone: string): string {
  return `${region}\u0000${zone}`
}

function add (map: Map<string, number>, key: string, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value)
}

/** How many shards of the file these caps let the candidates take, at most. */
export function placeable (d: DomainMap, peerCap: number, zoneCap: number, regionCap: number): number {
  const inZone = new Map<string, number>()
  d.zoneOf.forEach((zone, i) => { add(inZone, zone, Math.min(peerCap, d.room[i])) })
  const inRegion = new Map<string, number>()
  for (const [zone, n] of inZone) add(inRegion, d.regionOfZone.get(zone) as string, Math.min(n, Math.max(0, zoneCap - (d.existingInZone.get(zone) ?? 0))))
  let total = 0
  for (const [region, n] of inRegion) total += Math.min(n, Math.max(0, regionCap - (d.existingInRegion.get(region) ?? 0)))
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
