// The repair token bucket over a fake clock whose sleep advances time: bursts, average rate, call order, aborts.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { RateLimiter } from '../../../node/repair/rate-limiter.ts'
import { fakeClock } from './helpers.ts'

/** A limiter whose sleep moves the fake clock forward by the requested time and records it. */
function limiter (bytesPerSecond: number, burstBytes?: number): { clock: ReturnType<typeof fakeClock>, sleeps: number[], rl: RateLimiter } {
  const clock = fakeClock(1_000_000)
  const sleeps: number[] = []
  const rl = new RateLimiter({ bytesPerSecond, burstBytes, now: clock.now, sleep: async ms => { sleeps.push(ms); clock.advance(ms) } })
  return { clock, sleeps, rl }
}

describe('RateLimiter', () => {
  it('lets a full bucket through at once, then holds the rate', async () => {
    const { sleeps, rl } = limiter(1000)
    await rl.take(1000)
    assert.deepEqual(sleeps, [])
    await rl.take(500)
    await rl.take(250)
    assert.deepEqual(sleeps, [500, 250])
  })

  it('refills while idle, up to the burst', async () => {
    const { clock, sleeps, rl } = limiter(1000, 2000)
    await rl.take(2000)
    clock.advance(60_000)
    await rl.take(2000)
    await rl.take(100)
    assert.deepEqual(sleeps, [100])
  })

  it('allows a take larger than the bucket and makes it wait', async () => {
    const { sleeps, rl } = limiter(1000, 100)
    await rl.take(3100)
    assert.deepEqual(sleeps, [3000])
  })

  it('averages the configured rate over any sequence of takes', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 50_000 }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1000, max: 100_000 }), async (sizes, rate) => {
      const { clock, rl } = limiter(rate)
      const start = clock.now()
      for (const size of sizes) await rl.take(size)
      const total = sizes.reduce((a, b) => a + b, 0)
      const ideal = Math.max(0, (total - rate) / rate * 1000)
      const elapsed = clock.now() - start
      assert.ok(elapsed >= ideal - 1e-6 && elapsed <= ideal + sizes.length, `elapsed ${elapsed} ideal ${ideal}`)
    }))
  })

  it('serves concurrent callers in call order', async () => {
    const clock = fakeClock()
    const waits: number[] = []
    const rl = new RateLimiter({ bytesPerSecond: 1000, burstBytes: 0, now: clock.now, sleep: async ms => { waits.push(ms) } })
    await Promise.all([rl.take(100), rl.take(200), rl.take(300)])
    assert.deepEqual(waits, [100, 300, 600])
  })

  it('gives the bytes back when a wait is aborted', async () => {
    const clock = fakeClock()
    const waits: number[] = []
    // Waits with a signal last until aborted; waits without one end at once.
    const sleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
      waits.push(ms)
      if (signal !== undefined) await new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))))
    }
    const rl = new RateLimiter({ bytesPerSecond: 1000, burstBytes: 0, now: clock.now, sleep })
    const controller = new AbortController()
    controller.abort()
    await assert.rejects(rl.take(100, { signal: controller.signal }), { code: 'ERR_ABORTED' })
    const aborting = new AbortController()
    const taking = rl.take(500, { signal: aborting.signal })
    aborting.abort()
    await assert.rejects(taking, { code: 'ERR_ABORTED' })
    await rl.take(100)
    assert.deepEqual(waits, [500, 100])
  })

  it('never waits without a limit', async () => {
    const { sleeps, rl } = limiter(Infinity)
    await rl.take(1e12)
    assert.deepEqual(sleeps, [])
  })

  it('changes rate on the fly', async () => {
    const { sleeps, rl } = limiter(1000)
    await rl.take(1000)
    rl.setRate(100)
    assert.equal(rl.bytesPerSecond, 100)
    await rl.take(50)
    assert.deepEqual(sleeps, [500])
  })

  it('rejects nonsense', async () => {
    assert.throws(() => new RateLimiter({ bytesPerSecond: 0 }), { code: 'ERR_INVALID_PARAMETERS' })
    assert.throws(() => new RateLimiter({ bytesPerSecond: 10, burstBytes: -1 }), { code: 'ERR_INVALID_PARAMETERS' })
    await assert.rejects(new RateLimiter({ bytesPerSecond: 10 }).take(-1), { code: 'ERR_INVALID_PARAMETERS' })
  })
})
