// The per-pusher quota's accounting (node/store/peer-quota.ts): reservations, refusals, a shard pushed again by
// another peer, shards deleted since they were counted, and the ledger on disk read back (untrusted) after a restart.
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { PeerQuota } from '../../../node/store/peer-quota.ts'
import { MemoryShardStore } from '../../../node/store/memory-shard-store.ts'

const A = '12D3KooWEh7jzwSGt8rZMDGQR216rs1TmBBqfq4uUYrXWfmcWnR9'
const B = '12D3KooWPA1co94VrhKHWqKkEYBiRfWR4cH8wTLB6BdnMnmNsWBx'
const CID = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
const OTHER = 'bafkreibme22gw2h7y2h7tg2fhqotaqjucnbc24deqo72b6mkl2egezxhvy'

async function storeWith (shards: Array<[string, number, number]>): Promise<MemoryShardStore> {
  const store = new MemoryShardStore()
  await store.start()
  for (const [cid, index, size] of shards) {
    const writer = await store.createShardWriter(size)
    await writer.write(new Uint8Array(size))
    await writer.commit(cid, index)
  }
  return store
}

describe('PeerQuota', () => {
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'edgemirror-quota-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('refuses a peer past its quota (puts in progress count), not another peer; a released put gives its bytes back', async () => {
    const quota = new PeerQuota({ quotaBytes: 100, store: await storeWith([]) })
    const first = await quota.reserve(A, 60)
    await assert.rejects(quota.reserve(A, 41), { code: 'ERR_QUOTA_EXCEEDED' })
    const other = await quota.reserve(B, 100)
    first.release()
    first.release() // idempotent
    const again = await quota.reserve(A, 100)
    again.release()
    other.release()
  })

  it('0 means no limit, still counted', async () => {
    const store = await storeWith([[CID, 0, 10]])
    const quota = new PeerQuota({ quotaBytes: 0, store })
    await (await quota.reserve(A, 10)).commit(CID, 0)
    assert.equal(quota.usage(A), 10)
    await (await quota.reserve(A, Number.MAX_SAFE_INTEGER)).release()
  })

  it('a shard pushed again by another peer counts for that peer only; a deleted shard stops counting when it matters', async () => {
    const store = await storeWith([[CID, 0, 50], [CID, 1, 50], [OTHER, 0, 50]])
    const quota = new PeerQuota({ quotaBytes: 100, store })
    await (await quota.reserve(A, 50)).commit(CID, 0)
    await (await quota.reserve(A, 50)).commit(CID, 1)
    await (await quota.reserve(B, 50)).commit(CID, 1)
    assert.equal(quota.usage(A), 50)
    assert.equal(quota.usage(B), 50)
    await (await quota.reserve(A, 50)).commit(OTHER, 0)
    await assert.rejects(quota.reserve(A, 50), { code: 'ERR_QUOTA_EXCEEDED' })
    await store.deleteShard(CID, 0)
    // Refused at first sight, then looked up again: shard 0 is gone, so there is room.
    const room = await quota.reserve(A, 50)
    room.release()
  })

  it('rebuilds its accounting from the ledger after a restart, and drops entries that are not valid or whose shard is gone', async () => {
    const ledger = join(dir, 'pushers')
    const store = await storeWith([[CID, 0, 70], [CID, 1, 20]])
    const before = new PeerQuota({ quotaBytes: 100, dir: ledger, store })
    await before.start()
    await (await before.reserve(A, 70)).commit(CID, 0)
    await (await before.reserve(B, 20)).commit(CID, 1)
    await (await before.reserve(B, 5)).commit(OTHER, 3) // never stored: dropped on restart
    await writeFile(join(ledger, `${CID}.2`), 'not a peer id\n')
    await writeFile(join(ledger, '.tmp-junk'), A)
    await writeFile(join(ledger, `${CID}.999`), A)
    await mkdir(join(ledger, `${CID}.5`)) // not a file: left alone, counted for no one

    const after = new PeerQuota({ quotaBytes: 100, dir: ledger, store })
    await after.start()
    assert.equal(after.usage(A), 70)
    assert.equal(after.usage(B), 20)
    await assert.rejects(after.reserve(A, 31), { code: 'ERR_QUOTA_EXCEEDED' })
    assert.deepEqual((await readdir(ledger)).sort(), [`${CID}.0`, `${CID}.1`, `${CID}.5`])
  })
})
