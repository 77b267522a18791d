import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { chunksOf, collect, startSwarm, type TestSwarm } from './swarm.ts'

describe('share and fetch on a 6-node loopback swarm', () => {
  let swarm: TestSwarm
  before(async () => { swarm = await startSwarm(6) })
  after(async () => { await swarm?.stop() })

  it('round-trips RS(4,2) and 3 replicas byte-identical from any node', async () => {
    for (const [k, m] of [[4, 2], [1, 2]]) {
      const data = randomBytes(300_000 + k)
      const shared = await swarm.nodes[0].share(chunksOf(data), { size: data.byteLength, k, m, blockSize: 64 * 1024, name: 'a/../b.bin' })
      assert.equal(shared.shards.length, k + m)
      assert.equal(new Set(shared.shards.map(s => s.peer)).size, k + m, 'one shard per peer')
      const start = await swarm.nodes[5].fetch(shared.cid)
      // The name is the sharer's (its share record, sanitized), not the manifest's: another node has none to give.
      assert.equal(start.name, null)
      assert.equal((await swarm.nodes[0].ls()).find(f => f.cid === shared.cid)?.name, 'b.bin')
      const out = await collect(start.body)
      assert.ok(out.equals(data))
      assert.equal(start.sha256, createHash('sha256').update(data).digest('hex'))
      assert.deepEqual((await start.done).rebuilt, [])
    }
  })

  it('fetches with m holders stopped and reports rebuilt shards', async () => {
    const data = randomBytes(200_001)
    const shared = await swarm.nodes[1].share(chunksOf(data), { size: data.byteLength, k: 4, m: 2, blockSize: 32 * 1024 })
    const byIndex = new Map(shared.shards.map(s => [s.index, s.peer]))
    const ids = swarm.nodes.map(n => n.peerId)
    const reader = ids.findIndex(id => id !== byIndex.get(0) && id !== byIndex.get(1))
    await swarm.kill(ids.indexOf(byIndex.get(0)!))
    await swarm.kill(ids.indexOf(byIndex.get(1)!))
    const start = await swarm.nodes[reader].fetch(shared.cid)
    assert.ok((await collect(start.body)).equals(data))
    assert.deepEqual((await start.done).rebuilt, [0, 1])
  })
})

describe('a node that stores nothing', () => {
  it('reads files (--capacity 0B: the manifest it fetches is used, not kept)', async () => {
    const swarm = await startSwarm(4, i => i === 3 ? { capacity: 0 } : {})
    try {
      const data = randomBytes(100_000)
      const shared = await swarm.nodes[0].share(chunksOf(data), { size: data.byteLength, k: 2, m: 1 })
      const start = await swarm.nodes[3].fetch(shared.cid)
      assert.deepEqual(await collect(start.body), data)
      await start.done
      assert.equal((await swarm.nodes[3].storeStats()).manifests, 0, 'nothing kept')
    } finally {
      await swarm.stop()
    }
  })
})
