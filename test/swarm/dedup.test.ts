// Content addressing that dedups (issue #15 item 1): the CID covers only the bytes and their coding, so sharing the
// same file again, under any name, from any node, gives the same CID and stores nothing new; the name and time of a
// share live in the sharer's share record, which `ls` shows; a re-share restores what holders lost, and only that.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { open, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { encodeManifest, manifestCid, type ManifestV1 } from '../../coder/manifest.ts'
import { chunksOf, collect, startSwarm, waitFor, type TestSwarm } from './swarm.ts'

const K = 4
const M = 2
const BLOCK = 16 * 1024
/** Two stripes of 4 × 16 KiB. */
const SIZE = 100_000
const NODES = K + M

interface Counts { shards: number, bytes: number, manifests: number }

describe('sharing the same bytes twice stores them once', () => {
  let swarm: TestSwarm
  const data = randomBytes(SIZE)
  let cid = ''
  let startedAt = 0
  before(async () => { swarm = await startSwarm(NODES) })
  after(async () => { await swarm?.stop() })

  const share = async (node: number, name?: string): ReturnType<TestSwarm['nodes'][number]['share']> =>
    await swarm.nodes[node].share(chunksOf(data), { size: SIZE, k: K, m: M, blockSize: BLOCK, name })
  const nodeOf = (peer: string): number => swarm.nodes.findIndex(n => n.peerId === peer)

  /** Every node's committed counts, once no put is in flight anywhere (holders drop an aborted put a moment after the
   *  sharer returns: polled, so a leaked reservation fails the test too). */
  async function settledCounts (): Promise<Counts[]> {
    let last = ''
    await waitFor(async () => {
      const stats = await Promise.all(swarm.nodes.map(async n => await n.storeStats()))
      last = JSON.stringify(stats.map(s => s.reservedBytes))
      return stats.every(s => s.reservedBytes === 0)
    }, 10_000, 'every reservation to be released').catch((err) => { throw new Error(`${(err as Error).message}; reserved ${last}`) })
    return await Promise.all(swarm.nodes.map(async n => {
      const { shards, bytes, manifests } = await n.storeStats()
      return { shards, bytes, manifests }
    }))
  }

  it('a second share, under another name and from another node, gives the same CID and leaves every store as it was', async () => {
    startedAt = Date.now()
    const first = await share(0, 'photos.tar')
    cid = first.cid
    assert.deepEqual(first.alreadyHeld, [])
    const stored = await settledCounts()
    assert.equal(stored.reduce((n, c) => n + c.shards, 0), NODES, 'one shard per node')

    const again = await share(0, 'renamed.tar')
    assert.equal(again.cid, cid)
    assert.deepEqual([...again.alreadyHeld].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5])
    assert.deepEqual(new Map(again.shards.map(s => [s.index, s.peer])), new Map(first.shards.map(s => [s.index, s.peer])), 'shown where they are held')
    assert.deepEqual(await settledCounts(), stored)

    const elsewhere = await share(3)
    assert.equal(elsewhere.cid, cid)
    assert.equal(elsewhere.alreadyHeld.length, NODES)
    assert.deepEqual(await settledCounts(), stored)

    const start = await swarm.nodes[5].fetch(cid)
    assert.ok((await collect(start.body)).equals(data))
  })

  it('ls shows the share record (latest name, time) on the sharer, and the file as held on a holder', async () => {
    const mine = (await swarm.nodes[0].ls()).find(f => f.cid === cid)
    assert.ok(mine !== undefined)
    assert.equal(mine.name, 'renamed.tar')
    assert.equal(mine.shared, true)
    assert.equal(mine.size, SIZE)
    assert.ok(mine.sharedAt !== null && mine.sharedAt >= startedAt && mine.sharedAt <= Date.now(), String(mine.sharedAt))
    const noName = (await swarm.nodes[3].ls()).find(f => f.cid === cid)
    assert.deepEqual({ name: noName?.name, shared: noName?.shared }, { name: null, shared: true })
    const held = (await swarm.nodes[1].ls()).find(f => f.cid === cid)
    assert.deepEqual(held, { cid, name: null, size: SIZE, k: K, m: M, codec: 'rs-wasm-1', shared: false, sharedAt: null })
    // The fetch answer names the file on its sharer (the name travels no further: it is not in the manifest).
    const start = await swarm.nodes[0].fetch(cid)
    await collect(start.body)
    assert.equal(start.name, 'renamed.tar')
  })

  it('ls shows a version 1 manifest\'s own name and time when no share record exists', async () => {
    const v1: ManifestV1 = {
      version: 1, codec: 'rs-wasm-1', k: 2, m: 1, blockSize: 4096, fileSize: 5000, fileHash: randomBytes(32),
      shardHashes: [randomBytes(32), randomBytes(32), randomBytes(32)], createdAt: 1_700_000_000_000, name: 'old.tar'
    }
    const bytes = encodeManifest(v1)
    const oldCid = (await manifestCid(bytes)).toString()
    // As a node that held it before the upgrade would have it on disk.
    await swarm.kill(1)
    await writeFile(join(swarm.repos[1], 'store', 'manifests', oldCid), bytes)
    await swarm.restart(1)
    const listed = (await swarm.nodes[1].ls()).find(f => f.cid === oldCid)
    assert.deepEqual(listed, { cid: oldCid, name: 'old.tar', size: 5000, k: 2, m: 1, codec: 'rs-wasm-1', shared: false, sharedAt: 1_700_000_000_000 })
  })

  it('the same bytes with another coding are another file', async () => {
    const other = await swarm.nodes[0].share(chunksOf(data), { size: SIZE, k: 2, m: 1, blockSize: BLOCK })
    assert.notEqual(other.cid, cid)
    assert.deepEqual(other.alreadyHeld, [])
    await settledCounts()
  })

  it('a re-share stores again the shards holders lost (wiped) or that rotted, and only those', async () => {
    const before = (await swarm.nodes[0].check(cid)).shards
    const holderOf = (index: number): number => nodeOf(before.find(s => s.index === index && s.live)?.peer ?? '')
    // Two shards held by two nodes other than the sharer (which re-shares, so it must stay up), whichever they are:
    // placement spreads the indexes differently on every share.
    const [rotIndex, wipeIndex] = Array.from({ length: NODES }, (_, i) => i).filter(i => holderOf(i) > 0)
    const rotted = holderOf(rotIndex)
    const wiped = holderOf(wipeIndex)
    assert.ok(rotted > 0 && wiped > 0 && rotted !== wiped)
    // Rot: one flipped byte in each block of the shard (its size unchanged, so only a proof can tell).
    const file = await open(join(swarm.repos[rotted], 'store', 'shards', cid, String(rotIndex)), 'r+')
    for (const offset of [0, BLOCK]) {
      const byte = Buffer.alloc(1)
      await file.read(byte, 0, 1, offset)
      byte[0] ^= 0xff
      await file.write(byte, 0, 1, offset)
    }
    await file.close()
    // Wiped: the shard is gone from the disk while the node was down.
    await swarm.kill(wiped)
    await rm(join(swarm.repos[wiped], 'store', 'shards', cid), { recursive: true })
    await swarm.restart(wiped)
    await waitFor(async () => (await swarm.nodes[0].peers()).length === NODES - 1, 10_000, 'the sharer to know the restarted node')

    const restored = await share(0, 'renamed.tar')
    assert.equal(restored.cid, cid)
    assert.deepEqual([...restored.alreadyHeld].sort((a, b) => a - b), Array.from({ length: NODES }, (_, i) => i).filter(i => i !== rotIndex && i !== wipeIndex))
    await settledCounts()
    const check = await swarm.nodes[4].check(cid)
    assert.equal(check.healthy, true, JSON.stringify(check.shards))
    assert.equal(new Set(check.shards.filter(s => s.live).map(s => s.index)).size, NODES)
    const start = await swarm.nodes[5].fetch(cid)
    assert.ok((await collect(start.body)).equals(data))
  })
})
