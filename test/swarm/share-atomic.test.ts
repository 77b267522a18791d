// A share is all-or-nothing (issue #13 item 5): when one holder, or the sharer itself, fails at the very end, no
// holder keeps a shard, a manifest or reserved bytes, and a retry once the cause is fixed gives a CID.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { shardSize } from '../../coder/layout.ts'
import { chunksOf, collect, startSwarm, waitFor, type TestSwarm } from './swarm.ts'

const K = 4
const M = 2
const BLOCK = 16 * 1024
const SIZE = 100_000
/** Room for exactly one shard and not one byte more: the shard's reservation fits, its manifest does not. */
const TIGHT = shardSize({ k: K, m: M, blockSize: BLOCK, fileSize: SIZE })
const TIGHT_NODE = 5
/** A sharer with no room at all: placement never picks it, and its own copy of the manifest cannot be stored. */
const FULL_SHARER = 6

describe('a share that fails leaves nothing behind', () => {
  let swarm: TestSwarm
  let tightCapacity: number | null = TIGHT
  before(async () => {
    swarm = await startSwarm(7, i => ({ capacity: i === TIGHT_NODE ? tightCapacity : i === FULL_SHARER ? 0 : null }))
  })
  after(async () => { await swarm?.stop() })

  /** Every node: no shard, no manifest, no reservation, nothing in shards/ or tmp/ (polled: holders drop their part
   *  when the sharer's streams close, which they see a moment after the sharer returns). */
  async function assertNothingStored (): Promise<void> {
    let left = ''
    await waitFor(async () => {
      for (const i of swarm.alive()) {
        const stats = await swarm.nodes[i].storeStats()
        const dir = join(swarm.repos[i], 'store')
        const files = [...await readdir(join(dir, 'shards')), ...await readdir(join(dir, 'tmp'))]
        left = `node ${i}: ${JSON.stringify(stats)} ${files.join(' ')}`
        if (stats.shards !== 0 || stats.manifests !== 0 || stats.reservedBytes !== 0 || stats.bytes !== 0 || files.length > 0) return false
      }
      return true
    }, 10_000, 'every node to drop what it received').catch((err) => { throw new Error(`${(err as Error).message}; ${left}`) })
  }

  it('a holder that cannot store the manifest at the end fails the share, and every holder drops its shard', async () => {
    const data = randomBytes(SIZE)
    await assert.rejects(swarm.nodes[0].share(chunksOf(data), { size: SIZE, k: K, m: M, blockSize: BLOCK }), (err: any) => {
      assert.equal(err.code, 'ERR_HOLDER_FAILED', err.message)
      assert.equal(err.details.cause, 'ERR_STORE_FULL')
      assert.equal(err.details.peer, swarm.nodes[TIGHT_NODE].peerId)
      return true
    })
    await assertNothingStored()
  })

  it('a sharer that cannot store its own manifest fails the share, and every holder drops its shard', async () => {
    tightCapacity = null
    await swarm.kill(TIGHT_NODE)
    await swarm.restart(TIGHT_NODE)
    await waitFor(async () => (await swarm.nodes[FULL_SHARER].peers()).length === 6, 10_000, 'the sharer to know the restarted node')
    const data = randomBytes(SIZE)
    await assert.rejects(swarm.nodes[FULL_SHARER].share(chunksOf(data), { size: SIZE, k: K, m: M, blockSize: BLOCK }), { code: 'ERR_STORE_FULL' })
    await assertNothingStored()
  })

  it('an upload shorter or longer than announced is ERR_SIZE_MISMATCH (not ERR_PROTOCOL) and leaves nothing', async () => {
    const data = randomBytes(SIZE)
    for (const announced of [SIZE + 1000, SIZE - 1000]) {
      await assert.rejects(swarm.nodes[0].share(chunksOf(data), { size: announced, k: K, m: M, blockSize: BLOCK }), { code: 'ERR_SIZE_MISMATCH' })
    }
    await assertNothingStored()
  })

  it('a retry once the holder has room gives a CID, and the file fetches', async () => {
    const data = randomBytes(SIZE)
    const shared = await swarm.nodes[0].share(chunksOf(data), { size: SIZE, k: K, m: M, blockSize: BLOCK })
    assert.equal(shared.shards.length, K + M)
    const start = await swarm.nodes[3].fetch(shared.cid)
    assert.ok((await collect(start.body)).equals(data))
  })
})
