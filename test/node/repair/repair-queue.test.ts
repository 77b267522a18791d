// The repair queue: urgency order, de-duplication, lost files, grace, backoff with seeded jitter, parking, and
// carbon deferral. Time is an argument everywhere; randomness is seeded.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { backoffDelay } from '../../../node/backoff.ts'
import { RepairQueue, type RepairQueueOptions } from '../../../node/repair/repair-queue.ts'
import { seededRandom } from './helpers.ts'

const HOUR = 3_600_000
const job = (cid: string, live: number, extra = {}): { cid: string, k: number, n: number, live: number } => ({ cid, k: 4, n: 6, live, ...extra })
const drain = (queue: RepairQueue, now: number): string[] => {
  const out: string[] = []
  for (let j = queue.next(now); j !== undefined; j = queue.next(now)) out.push(j.cid)
  return out
}
const queueWith = (options: RepairQueueOptions = {}): RepairQueue => new RepairQueue({ random: seededRandom(1), ...options })

describe('backoffDelay (repair retries)', () => {
  it('doubles from the base up to the cap, with half of it random', () => {
    assert.equal(backoffDelay(1, 10_000, 600_000, () => 0), 5000)
    assert.equal(backoffDelay(1, 10_000, 600_000, () => 0.999999), 10_000)
    assert.equal(backoffDelay(4, 10_000, 600_000, () => 0.5), 60_000)
    assert.equal(backoffDelay(50, 10_000, 600_000, () => 0), 300_000)
  })

  it('stays within [ceiling/2, ceiling]', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 100 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, r) => {
      const ceiling = Math.min(600_000, 10_000 * 2 ** (attempt - 1))
      const d = backoffDelay(attempt, 10_000, 600_000, () => r)
      assert.ok(d >= ceiling / 2 && d <= ceiling)
    }))
  })
})

describe('RepairQueue', () => {
  it('serves the fewest live shards above k first, then the oldest', () => {
    const queue = queueWith()
    queue.add(job('c', 5), 0)
    queue.add(job('a', 5), 10)
    queue.add(job('b', 4), 20)
    queue.add(job('d', 5), 0)
    assert.deepEqual(drain(queue, 100), ['b', 'c', 'd', 'a'])
  })

  it('hands out jobs in priority order whatever the order they were added in', () => {
    const request = fc.record({ cid: fc.constantFrom('f1', 'f2', 'f3', 'f4', 'f5', 'f6'), live: fc.integer({ min: 4, max: 5 }), at: fc.integer({ min: 0, max: 50 }) })
    fc.assert(fc.property(fc.array(request, { maxLength: 30 }), requests => {
      const queue = queueWith()
      const first = new Map<string, number>()
      const last = new Map<string, number>()
      for (const r of [...requests].sort((a, b) => a.at - b.at)) {
        queue.add(job(r.cid, r.live), r.at)
        if (!first.has(r.cid)) first.set(r.cid, r.at)
        last.set(r.cid, r.live)
      }
      const out = drain(queue, 100)
      assert.deepEqual([...out].sort(), [...last.keys()].sort())
      const key = (cid: string): [number, number] => [last.get(cid) as number, first.get(cid) as number]
      for (let i = 1; i < out.length; i++) {
        const [la, qa] = key(out[i - 1])
        const [lb, qb] = key(out[i])
        assert.ok(la < lb || (la === lb && qa <= qb), `${out[i - 1]} before ${out[i]}`)
      }
    }))
  })

  it('de-duplicates by CID: re-adding updates the priority and keeps the age', () => {
    const queue = queueWith()
    assert.equal(queue.add(job('a', 5), 0), 'queued')
    assert.equal(queue.add(job('b', 5), 10), 'queued')
    assert.equal(queue.add(job('b', 4, { reason: 'second holder dead' }), 20), 'updated')
    assert.equal(queue.size, 2)
    const first = queue.next(30)
    assert.deepEqual([first?.cid, first?.urgent, first?.queuedAt, first?.reason], ['b', true, 10, 'second holder dead'])
  })

  it('keeps lost files apart and brings them back when holders return', () => {
    const queue = queueWith()
    assert.equal(queue.add(job('x', 3), 0), 'lost')
    assert.equal(queue.size, 0)
    assert.equal(queue.next(10), undefined)
    assert.deepEqual(queue.lost().map(j => j.cid), ['x'])
    assert.deepEqual(queue.snapshot(10).map(s => [s.cid, s.state]), [['x', 'lost']])
    assert.equal(queue.add(job('x', 4), 20), 'updated')
    assert.deepEqual(queue.lost(), [])
    assert.equal(queue.next(20)?.cid, 'x')
  })

  it('drops a file that is healthy again', () => {
    const queue = queueWith()
    queue.add(job('a', 5), 0)
    assert.equal(queue.add(job('a', 6), 1), 'healthy')
    assert.equal(queue.size, 0)
    assert.equal(queue.get('a'), undefined)
  })

  it('waits out the grace period unless the file is urgent; a later report can only shorten it', () => {
    const queue = queueWith()
    queue.add(job('slow', 5, { notBefore: 60_000 }), 0)
    queue.add(job('urgent', 4, { notBefore: 60_000 }), 0)
    assert.deepEqual(drain(queue, 0), ['urgent'])
    assert.deepEqual(queue.snapshot(0).map(s => [s.cid, s.state, s.dueAt]), [['urgent', 'running', undefined], ['slow', 'waiting', 60_000]])
    queue.add(job('slow', 5, { notBefore: 90_000 }), 1000)
    assert.equal(queue.nextDueAt(), 60_000)
    queue.add(job('slow', 5), 30_000)
    assert.deepEqual(drain(queue, 30_000), ['slow'])
  })

  it('never hands out a running job twice, and done() removes it', () => {
    const queue = queueWith()
    queue.add(job('a', 5), 0)
    assert.equal(queue.next(0)?.cid, 'a')
    assert.equal(queue.next(0), undefined)
    queue.add(job('a', 4), 1)
    assert.equal(queue.get('a')?.running, true)
    queue.done('a')
    assert.equal(queue.size, 0)
  })

  it('backs off a failed job with seeded jitter, also when urgent, and parks it after maxAttempts', () => {
    const random = seededRandom(42)
    const expected = seededRandom(42)
    const queue = queueWith({ random, backoffBaseMs: 1000, backoffMaxMs: 8000, maxAttempts: 5 })
    queue.add(job('a', 4), 0)
    let now = 0
    for (let attempt = 1; attempt < 5; attempt++) {
      assert.equal(queue.next(now)?.cid, 'a')
      assert.equal(queue.failed('a', now, 'peer x refused'), 'backoff')
      const delay = backoffDelay(attempt, 1000, 8000, expected)
      assert.equal(queue.get('a')?.retryAt, now + delay)
      assert.equal(queue.next(now + delay - 1), undefined)
      assert.equal(queue.snapshot(now + delay - 1)[0].state, 'backoff')
      now += delay
    }
    assert.equal(queue.next(now)?.attempts, 4)
    assert.equal(queue.failed('a', now, 'peer x refused'), 'parked')
    assert.equal(queue.next(now + HOUR), undefined)
    const [status] = queue.snapshot(now)
    assert.deepEqual([status.state, status.lastError], ['parked', 'gave up after 5 attempts: peer x refused'])
    assert.equal(queue.nextDueAt(), undefined)
    // The same report again leaves it parked; a worse one, or a user, tries again.
    queue.add(job('a', 4), now)
    assert.equal(queue.get('a')?.parked, true)
    assert.equal(queue.retry('a', now), true)
    assert.equal(queue.next(now)?.attempts, 0)
    queue.failed('a', now, 'again')
    assert.equal(queue.get('a')?.attempts, 1)
  })

  it('unparks a parked job when the file gets worse', () => {
    const queue = queueWith({ maxAttempts: 1 })
    queue.add(job('a', 5), 0)
    queue.next(0)
    assert.equal(queue.failed('a', 0, 'x'), 'parked')
    queue.add(job('a', 4), 10)
    assert.equal(queue.next(10)?.cid, 'a')
  })

  it('rejects a nonsense request', () => {
    assert.throws(() => queueWith().add({ cid: 'a', k: 4, n: 3, live: 2 }, 0), { code: 'ERR_INVALID_PARAMETERS' })
    assert.throws(() => queueWith().add({ cid: 'a', k: 4, n: 6, live: 7 }, 0), { code: 'ERR_INVALID_PARAMETERS' })
  })

  describe('carbon deferral', () => {
    // Hourly forecast: dirty now, green from 3 h to 4 h.
    const forecast = [400, 400, 400, 80, 400].map((gco2PerKwh, i) => ({ at: i * HOUR, durationMs: HOUR, gco2PerKwh }))
    const carbon = (): { current: number, forecast: typeof forecast } => ({ current: 400, forecast })

    it('defers a job with spare redundancy to the green window, once', () => {
      const queue = queueWith({ carbon })
      queue.add({ cid: 'spare', k: 2, n: 6, live: 5 }, 0)
      assert.equal(queue.next(0), undefined)
      const [status] = queue.snapshot(0)
      assert.deepEqual([status.state, status.dueAt], ['deferred', 3 * HOUR])
      assert.match(status.carbonNote ?? '', /deferred 3h to a window at 80/)
      assert.equal(queue.nextDueAt(), 3 * HOUR)
      assert.equal(queue.next(3 * HOUR - 1), undefined)
      assert.equal(queue.next(3 * HOUR)?.cid, 'spare')
    })

    it('never defers an urgent job or one without the margin', () => {
      const queue = queueWith({ carbon })
      queue.add({ cid: 'urgent', k: 4, n: 6, live: 4 }, 0)
      queue.add({ cid: 'thin', k: 4, n: 6, live: 5 }, 0)
      assert.deepEqual(drain(queue, 0), ['urgent', 'thin'])
    })

    it('cancels a deferral when the file loses its margin, and defers nothing without an outlook', () => {
      const queue = queueWith({ carbon })
      queue.add({ cid: 'f', k: 2, n: 6, live: 5 }, 0)
      assert.equal(queue.next(0), undefined)
      queue.add({ cid: 'f', k: 2, n: 6, live: 3 }, HOUR)
      assert.equal(queue.next(HOUR)?.cid, 'f')
      const plain = queueWith({ carbon: () => undefined })
      plain.add({ cid: 'f', k: 2, n: 6, live: 5 }, 0)
      assert.equal(plain.next(0)?.cid, 'f')
    })

    it('lets a lower-priority job run while a higher one is deferred', () => {
      const queue = queueWith({ carbon })
      queue.add({ cid: 'deferrable', k: 2, n: 8, live: 5 }, 0)
      queue.add({ cid: 'tight', k: 4, n: 8, live: 5 }, 10)
      assert.deepEqual(drain(queue, 10), ['tight'])
    })
  })
})
