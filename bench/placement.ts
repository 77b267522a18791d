// Carbon-aware vs carbon-blind placement on a world of 51 peers, one in each of 51 capitals, and placement time at
// 10,000 peers. One JSON line per measurement, each with its parameters and ratios against the carbon-blind run
// (carbon weight 0) of the same seed. Usage: npm run bench:placement -- [--seed N] [--files N] [--k N] [--m N]
//
// Model (docs/PLACEMENT.md): RTT between two capitals = 2 x great-circle distance / 200 km/ms (light in fibre at ~2/3 c)
// + 5 ms fixed overhead (access links, routing detours, queueing: the floor a same-city round trip pays). Carbon: each
// country's 2024 Ember yearly average from node/carbon/data/country-averages.json (co2.js 0.19.0). A file is shared by a
// peer in one of four reader cities and read back there; its fetch latency is the k-th smallest RTT from the reader to
// its holders (a fetch needs any k shards and waits for the k-th). Storage energy: node/placement/storage-energy.ts.
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { placeShards, type PlacementPeer, type Weights } from '../node/placement/index.ts'
import { gco2PerMonth } from '../node/placement/storage-energy.ts'
import { Xoshiro128ss } from './durability/prng.ts'

interface Capital { country: string, capital: string, lat: number, lon: number, region: string }

const KM_PER_MS_IN_FIBRE = 200
const RTT_OVERHEAD_MS = 5
const EARTH_RADIUS_KM = 6371
const READERS = ['DE', 'US', 'JP', 'BR']
const TB = 1e12

const { values: args } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    files: { type: 'string', default: '1000' },
    k: { type: 'string', default: '6' },
    m: { type: 'string', default: '3' },
    'timing-peers': { type: 'string', default: '10000' },
    'timing-files': { type: 'string', default: '300' }
  }
})
const seed = Number(args.seed)
const files = Number(args.files)
const k = Number(args.k)
const m = Number(args.m)

function haversineKm (a: { lat: number, lon: number }, b: { lat: number, lon: number }): number {
  const rad = Math.PI / 180
  const dLat = (b.lat - a.lat) * rad
  const dLon = (b.lon - a.lon) * rad
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.sqrt(h))
}

const rttMs = (a: Capital, b: Capital): number => 2 * haversineKm(a, b) / KM_PER_MS_IN_FIBRE + RTT_OVERHEAD_MS

function quantile (sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
}

const round = (x: number, digits = 4): number => Number(x.toFixed(digits))

const capitals = (JSON.parse(readFileSync(new URL('./world/capitals.json', import.meta.url), 'utf8')) as { capitals: Capital[] }).capitals
const intensity = (JSON.parse(readFileSync(new URL('../node/carbon/data/country-averages.json', import.meta.url), 'utf8')) as { countries: Record<string, { gco2PerKwh: number }> }).countries

interface SimPeer { capital: Capital, carbon: number, capacity: number, used: number }

/** The 51-peer world: capacity 2, 4 or 8 TB, already 0-50% full (seeded). */
function makeWorld (rng: Xoshiro128ss): SimPeer[] {
  return capitals.map(capital => {
    const capacity = [2, 4, 8][Math.floor(rng.nextFloat() * 3)] * TB
    return { capital, carbon: intensity[capital.country].gco2PerKwh, capacity, used: Math.floor(rng.nextFloat() * 0.5 * capacity) }
  })
}

interface FileSpec { key: string, size: number, reader: Capital }

function makeFiles (rng: Xoshiro128ss): FileSpec[] {
  return Array.from({ length: files }, (_, i) => ({
    key: `file-${seed}-${i}`,
    size: Math.floor((0.1 + rng.nextFloat() * 1.9) * 1e9),
    reader: capitals.find(c => c.country === READERS[i % READERS.length]) as Capital
  }))
}

/** Place every file in turn (holders fill up as they go) and measure carbon, fetch latency and spread. */
function simulate (weights: Weights, worldSeed: number) {
  const world = makeWorld(new Xoshiro128ss(worldSeed))
  const specs = makeFiles(new Xoshiro128ss(worldSeed + 1))
  let grams = 0
  let bytes = 0
  const fetchMs: number[] = []
  let regionsPerFile = 0
  let maxPerRegion = 0
  let ms = 0
  for (const f of specs) {
    const shardSize = Math.ceil(f.size / k)
    const peers: PlacementPeer[] = world.map(p => ({
      peerId: p.capital.country, region: p.capital.region, zone: p.capital.country, carbon: p.carbon,
      freeBytes: p.capacity - p.used, usedBytes: p.used, rttMs: rttMs(f.reader, p.capital)
    }))
    const t0 = performance.now()
    const placement = placeShards({ key: f.key, k, m, shardSize, readerRegion: f.reader.region }, peers, weights)
    ms += performance.now() - t0
    const byRegion = new Map<string, number>()
    const rtts: number[] = []
    for (const s of placement.shards) {
      const p = world.find(x => x.capital.country === s.peerId) as SimPeer
      p.used += shardSize
      if (p.used > p.capacity) throw new Error(`bench check: ${s.peerId} over capacity`)
      grams += gco2PerMonth(shardSize, p.carbon)
      rtts.push(rttMs(f.reader, p.capital))
      byRegion.set(p.capital.region, (byRegion.get(p.capital.region) ?? 0) + 1)
    }
    if (new Set(placement.shards.map(s => s.peerId)).size !== k + m) throw new Error('bench check: a peer holds two shards')
    const most = Math.max(...byRegion.values())
    if (most > placement.constraints.regionCap || most > m) throw new Error(`bench check: ${most} shards in one region`)
    regionsPerFile += byRegion.size
    maxPerRegion = Math.max(maxPerRegion, most)
    bytes += f.size
    fetchMs.push(rtts.sort((a, b) => a - b)[k - 1])
  }
  fetchMs.sort((a, b) => a - b)
  const fills = world.map(p => p.used / p.capacity).sort((a, b) => a - b)
  return {
    gco2PerTbMonth: grams / (bytes / TB),
    medianFetchMs: quantile(fetchMs, 0.5),
    p95FetchMs: quantile(fetchMs, 0.95),
    regionsPerFile: regionsPerFile / specs.length,
    maxShardsPerRegion: maxPerRegion,
    maxFill: fills[fills.length - 1],
    medianFill: quantile(fills, 0.5),
    msPerFile: ms / specs.length
  }
}

const common = { bench: 'placement', seed, files, k, m, peers: capitals.length, readers: READERS, rttModel: `2*d/${KM_PER_MS_IN_FIBRE}+${RTT_OVERHEAD_MS}ms` }
const sweep = Array.from({ length: 11 }, (_, i) => i / 10)
// latency : balance stays 3 : 2 as in DEFAULT_WEIGHTS, so carbon 0.5 is the default.
const weightsFor = (carbon: number): Weights => ({ carbon, latency: (1 - carbon) * 0.6, balance: (1 - carbon) * 0.4 })

simulate(weightsFor(0.5), seed) // warm-up
const baseline = simulate(weightsFor(0), seed)
for (const carbon of sweep) {
  const r = carbon === 0 ? baseline : simulate(weightsFor(carbon), seed)
  console.log(JSON.stringify({
    ...common,
    measurement: 'carbon-sweep',
    weights: weightsFor(carbon),
    isDefault: carbon === 0.5,
    gco2PerTbMonth: round(r.gco2PerTbMonth, 2),
    medianFetchMs: round(r.medianFetchMs, 1),
    p95FetchMs: round(r.p95FetchMs, 1),
    ratioGco2: round(r.gco2PerTbMonth / baseline.gco2PerTbMonth),
    ratioMedianFetch: round(r.medianFetchMs / baseline.medianFetchMs),
    ratioP95Fetch: round(r.p95FetchMs / baseline.p95FetchMs),
    regionsPerFile: round(r.regionsPerFile, 2),
    maxShardsPerRegion: r.maxShardsPerRegion,
    medianFill: round(r.medianFill, 3),
    maxFill: round(r.maxFill, 3)
  }))
}

/** Placement time with many peers: 10,000 peers around the capitals, 20 zones per country. */
function timing (): void {
  const count = Number(args['timing-peers'])
  const rng = new Xoshiro128ss(seed + 2)
  const reader = capitals[0]
  const peers: PlacementPeer[] = Array.from({ length: count }, (_, i) => {
    const c = capitals[Math.floor(rng.nextFloat() * capitals.length)]
    const capacity = 4 * TB
    return {
      peerId: `12D3KooW${i.toString(36).padStart(44, 'x')}`, region: c.region, zone: `${c.country}-${Math.floor(rng.nextFloat() * 20)}`,
      carbon: intensity[c.country].gco2PerKwh, freeBytes: capacity * rng.nextFloat(), usedBytes: 0, rttMs: rng.nextFloat() < 0.9 ? rttMs(reader, c) : undefined
    }
  })
  const run = (i: number): number => {
    const t0 = performance.now()
    placeShards({ key: `timing-${i}`, k, m, shardSize: 1e8 }, peers)
    return performance.now() - t0
  }
  for (let i = 0; i < 30; i++) run(-i - 1)
  const times = Array.from({ length: Number(args['timing-files']) }, (_, i) => run(i)).sort((a, b) => a - b)
  console.log(JSON.stringify({ ...common, measurement: 'placement-time', peers: count, filesTimed: times.length, medianMsPerFile: round(times[Math.floor(times.length / 2)], 3), p95MsPerFile: round(quantile(times, 0.95), 3), targetMs: 10 }))
}
timing()
