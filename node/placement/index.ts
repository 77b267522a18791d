// TEMPORARY shim (owner: integration). Replaced by the placement module's real exports.
import { createHash } from 'node:crypto'
import { NotEnoughPeersError } from '../errors.ts'
export interface PlacementPeer { peerId: string, region: string, zone: string, carbon: number, freeBytes: number, usedBytes: number, rttMs?: number }
export interface PlacementRequest { key: string, k: number, m: number, shardSize: number, indexes?: number[], existing?: Array<{ index: number, peerId: string }>, exclude?: string[], allowFewerPeers?: boolean }
export interface Weights { carbon: number, latency: number, balance: number }
export const DEFAULT_WEIGHTS: Weights = { carbon: 0.5, latency: 0.3, balance: 0.2 }
export function parseWeights (_spec: string): Weights { return DEFAULT_WEIGHTS }
export interface Placement { shards: Array<{ index: number, peerId: string }>, multiplePerPeer: boolean, explain (): string[] }
export function placeShards (request: PlacementRequest, peers: PlacementPeer[], _weights?: Weights): Placement {
  const n = request.k + request.m
  const ranked = peers.filter(p => p.freeBytes >= request.shardSize).map(p => ({ p, h: createHash('sha256').update(request.key + p.peerId).digest('hex') })).sort((a, b) => a.h < b.h ? -1 : 1).map(x => x.p)
  if (ranked.length < n && request.allowFewerPeers !== true) throw new NotEnoughPeersError(ranked.length, n)
  const shards = Array.from({ length: n }, (_, i) => ({ index: i, peerId: ranked[i % ranked.length].peerId }))
  return { shards, multiplePerPeer: ranked.length < n, explain: () => shards.map(s => `shard ${s.index} → ${s.peerId}`) }
}
