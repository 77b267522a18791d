// Helpers for the self-repair tests on loopback swarms (repair.test.ts, repair-storm.test.ts): RS(4,2) shares and the
// checks of a file's redundancy and of the swarm's repair counters.
import assert from 'node:assert/strict'
import { chunksOf, collect, type TestSwarm } from './swarm.ts'

/** The geometry every repair test shares with, and how long one repair may take on a loaded machine. */
export const K = 4
export const M = 2
export const DEADLINE_MS = 30_000

export async function share (swarm: TestSwarm, data: Uint8Array): Promise<{ cid: string, holders: number[] }> {
  const shared = await swarm.nodes[0].share(chunksOf(data), { size: data.byteLength, k: K, m: M, blockSize: 16 * 1024 })
  const ids = swarm.nodes.map(n => n.peerId)
  return { cid: shared.cid, holders: shared.shards.map(s => ids.indexOf(s.peer)) }
}

/** Every index held by exactly one live node, all k + m present, as seen from `reader`. */
export async function fullyRedundant (swarm: TestSwarm, reader: number, cid: string): Promise<boolean> {
  const check = await swarm.nodes[reader].check(cid)
  const live = new Set(swarm.alive().map(i => swarm.nodes[i].peerId))
  const holders = check.shards.filter(s => s.peer !== null)
  return check.healthy && holders.length === K + M && holders.every(s => live.has(s.peer as string)) && new Set(holders.map(s => s.peer)).size === K + M
}

/** A status counter summed over the live nodes. */
export async function total (swarm: TestSwarm, counter: 'repairsDone' | 'bytesRepaired' | 'copiesCollected'): Promise<number> {
  return (await Promise.all(swarm.alive().map(async i => (await swarm.nodes[i].status())[counter]))).reduce((a, b) => a + b, 0)
}

export async function assertFetches (swarm: TestSwarm, reader: number, cid: string, data: Uint8Array): Promise<void> {
  const start = await swarm.nodes[reader].fetch(cid)
  assert.ok((await collect(start.body)).equals(data), 'fetched bytes equal the original')
  assert.deepEqual((await start.done).missing, [], 'no shard was missing after repair')
}
