// Per-peer token buckets over a fake clock: a burst, then the average rate; peers do not share a bucket; a bucket
// left idle long enough to refill is forgotten (the map stays bounded) without changing any answer.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { PeerRateLimits } from '../../../node/wire/peer-rate-limits.ts'

function limits (): { limits: PeerRateLimits, advance: (ms: number) => void } {
  let now = 1_000_000
  return { limits: new PeerRateLimits({ perSecond: 10, burst: 20, what: 'reports', now: () => now }), advance: (ms) => { now += ms } }
}

/** How many of `n` requests from `peer` are let through now. */
function allowed (l: PeerRateLimits, peer: string, n: number): number {
  let ok = 0
  for (let i = 0; i < n; i++) {
    try {
      l.take(peer)
      ok++
    } catch (err) {
      assert.equal((err as { code?: string }).code, 'ERR_RATE_LIMITED')
    }
  }
  return ok
}

describe('PeerRateLimits', () => {
  it('lets a burst through, then the average rate, and refuses the rest with ERR_RATE_LIMITED', () => {
    const { limits: l, advance } = limits()
    assert.equal(allowed(l, 'a', 50), 20)
    assert.throws(() => { l.take('a') }, { code: 'ERR_RATE_LIMITED' })
    advance(500)
    assert.equal(allowed(l, 'a', 50), 5)
    advance(10_000)
    assert.equal(allowed(l, 'a', 50), 20, 'refilled to the burst, no more')
  })

  it('gives each peer its own bucket', () => {
    const { limits: l } = limits()
    assert.equal(allowed(l, 'a', 30), 20)
    assert.equal(allowed(l, 'b', 30), 20)
  })

  it('forgets buckets idle long enough to be full again, and only those', () => {
    const { limits: l, advance } = limits()
    for (let i = 0; i < 100; i++) allowed(l, `p${i}`, 1)
    advance(1000)
    assert.equal(allowed(l, 'busy', 25), 20)
    assert.equal(l.size, 101)
    advance(1000) // 2 s since the first hundred: their buckets (20 at 10/s) are full again; busy's is half full
    assert.equal(allowed(l, 'new', 1), 1)
    assert.equal(l.size, 2, 'busy (still refilling) and new are kept, the idle hundred forgotten')
    assert.equal(allowed(l, 'busy', 25), 10, 'a kept bucket is not reset')
  })
})
