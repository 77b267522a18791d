// The scrubber's loop on an empty memory store: many passes back to back must not pile listeners onto its stop
// signal (one per pass was left behind; over a daemon's life that grows without bound, and Node warns at 11).
// Stopped in the middle of a pass, it must stop at once: it used to wait out the pause between passes (1 h).
import assert from 'node:assert/strict'
import { getEventListeners } from 'node:events'
import { describe, it } from 'node:test'
import { ManifestCache } from '../../../node/manifest-cache.ts'
import { Scrubber } from '../../../node/repair/scrubber.ts'
import { MemoryShardStore } from '../../../node/store/memory-shard-store.ts'
import { STOP_DEADLINE_MS, waitFor, withDeadline } from '../../swarm/swarm.ts'

const PASSES = 25

describe('Scrubber', () => {
  it(`runs ${PASSES} passes and stops, leaving no listeners on its stop signal`, async () => {
    const store = new MemoryShardStore()
    await store.start()
    const scrubber = new Scrubber({ store, manifests: new ManifestCache(store), onCorrupt: () => {} }, { intervalMs: 1 })
    const added: number[] = []
    const { addEventListener } = AbortSignal.prototype
    // Count abort listeners on the scrubber's own signal as they are added (the signal is private to it).
    AbortSignal.prototype.addEventListener = function (this: AbortSignal, ...args: Parameters<AbortSignal['addEventListener']>) {
      addEventListener.apply(this, args)
      added.push(getEventListeners(this, 'abort').length)
    } as AbortSignal['addEventListener']
    try {
      scrubber.start()
      while (scrubber.counters().passes < PASSES) await new Promise(resolve => setTimeout(resolve, 5))
    } finally {
      AbortSignal.prototype.addEventListener = addEventListener
      await scrubber.stop()
      await store.stop()
    }
    assert.ok(added.length >= PASSES - 1, `listeners were added (${added.length})`)
    assert.ok(Math.max(...added) <= 2, `at most ${Math.max(...added)} abort listeners at once`)
  })

  it('stops within a deadline when stopped in the middle of a pass (throttled far below the shard size)', async () => {
    const store = new MemoryShardStore()
    await store.start()
    const cid = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
    const blockSize = 1024 * 1024
    const writer = await store.createShardWriter(4 * blockSize)
    await writer.write(new Uint8Array(4 * blockSize))
    await writer.commit(cid, 0)
    // The manifest is a fake of the surroundings: the pass must be waiting on its rate limiter, not judging hashes.
    const geometry = { k: 1, m: 1, blockSize, fileSize: 4 * blockSize }
    let asked = false
    const manifests = {
      get: async () => { asked = true; return { ...geometry, shardHashes: [new Uint8Array(4 * 32), new Uint8Array(4 * 32)] } }
    } as unknown as ManifestCache
    // 1 kB/s against 1 MiB blocks: the first block alone waits ~17 minutes. The default pause between passes (1 h)
    // is what the loop slept through after an abort before the fix.
    const scrubber = new Scrubber({ store, manifests, onCorrupt: () => { assert.fail('nothing is corrupt') } }, { bytesPerSecond: 1000 })
    scrubber.start()
    try {
      await waitFor(() => asked, 5000, 'the pass to reach the shard')
      await withDeadline(scrubber.stop(), STOP_DEADLINE_MS, 'Scrubber.stop() during a pass')
      assert.equal(scrubber.counters().corruptFound, 0, 'an aborted read is not rot')
    } finally {
      await withDeadline(scrubber.stop(), STOP_DEADLINE_MS, 'Scrubber.stop() (cleanup)').catch(() => {})
      await store.stop()
    }
  })
})
