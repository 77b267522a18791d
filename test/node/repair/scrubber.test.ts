// The scrubber's loop on an empty memory store: many passes back to back must not pile listeners onto its stop
// signal (one per pass was left behind; over a daemon's life that grows without bound, and Node warns at 11).
import assert from 'node:assert/strict'
import { getEventListeners } from 'node:events'
import { describe, it } from 'node:test'
import { ManifestCache } from '../../../node/manifest-cache.ts'
import { Scrubber } from '../../../node/repair/scrubber.ts'
import { MemoryShardStore } from '../../../node/store/memory-shard-store.ts'

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
})
