// The phi-accrual failure detector over an injected clock: suspicion timing, hard death, recovery, adaptivity to
// jitter, bounded history, and phi's monotonicity as a property.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { FailureDetector, phiOf } from '../../../node/repair/failure-detector.ts'
import { fakeClock, seededRandom } from './helpers.ts'

function beating (clock = fakeClock(), options = {}): { clock: ReturnType<typeof fakeClock>, fd: FailureDetector, beat: (peer: string, times: number, everyMs: number) => void } {
  const fd = new FailureDetector({ now: clock.now, ...options })
  const beat = (peer: string, times: number, everyMs: number): void => {
    for (let i = 0; i < times; i++) {
      fd.heartbeat(peer)
      clock.advance(everyMs)
    }
    clock.advance(-everyMs)
  }
  return { clock, fd, beat }
}

/** First whole second of silence at which `peer` is in `state`, stepping the clock by 100 ms. */
function silenceUntil (fd: FailureDetector, clock: ReturnType<typeof fakeClock>, peer: string, state: string): number {
  const start = clock.now()
  while (fd.state(peer) !== state) {
    clock.advance(100)
    if (clock.now() - start > 3_600_000) throw new Error(`${peer} never became ${state}`)
  }
  return clock.now() - start
}

describe('phiOf', () => {
  it('matches the normal tail: phi = -log10(P(X > t))', () => {
    // P(Z > 2) = 0.02275, P(Z > 0) = 0.5; the logistic approximation is within 1.4e-4 in probability.
    assert.ok(Math.abs(phiOf(12_000, 10_000, 1000) - -Math.log10(0.02275)) < 0.01)
    assert.ok(Math.abs(phiOf(10_000, 10_000, 1000) - -Math.log10(0.5)) < 0.001)
    assert.ok(phiOf(5000, 10_000, 1000) < 0.001)
  })

  it('never decreases with elapsed time', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 120_000 }), fc.integer({ min: 0, max: 120_000 }), fc.integer({ min: 1, max: 60_000 }), fc.integer({ min: 100, max: 10_000 }),
      (a, b, mean, sd) => {
        const [early, late] = a < b ? [a, b] : [b, a]
        assert.ok(phiOf(early, mean, sd) <= phiOf(late, mean, sd))
      }))
  })
})

describe('FailureDetector', () => {
  it('keeps a regular peer alive and reports nothing', () => {
    const { fd, beat } = beating()
    beat('a', 500, 5000)
    assert.equal(fd.state('a'), 'alive')
    assert.ok(fd.phi('a') < 1)
    assert.deepEqual(fd.poll(), [])
  })

  it('suspects a silent peer after a few missed heartbeats, then declares it dead at deadAfterMs', () => {
    const { clock, fd, beat } = beating()
    beat('a', 100, 5000)
    const suspectAfter = silenceUntil(fd, clock, 'a', 'suspect')
    // Defaults: mean 5 s + acceptable pause 5 s + ~5.6 σ (σ floor 0.5 s) ≈ 12.8 s.
    assert.ok(suspectAfter > 10_000 && suspectAfter < 15_000, `suspect after ${suspectAfter} ms`)
    assert.ok(fd.phi('a') >= 8)
    assert.deepEqual(fd.poll().map(c => [c.peer, c.from, c.to]), [['a', 'alive', 'suspect']])
    assert.equal(silenceUntil(fd, clock, 'a', 'dead'), 60_000 - suspectAfter)
    const [change] = fd.poll()
    assert.deepEqual([change.from, change.to, change.at], ['suspect', 'dead', clock.now()])
    assert.deepEqual(fd.poll(), [])
  })

  it('brings a dead peer back on its next heartbeat without learning its outage as an interval', () => {
    const { clock, fd, beat } = beating()
    beat('a', 50, 5000)
    clock.advance(10 * 60_000)
    fd.poll()
    assert.equal(fd.state('a'), 'dead')
    fd.heartbeat('a')
    assert.equal(fd.state('a'), 'alive')
    assert.deepEqual(fd.poll().map(c => c.to), ['alive'])
    const health = fd.health('a')
    assert.ok(health !== undefined)
    assert.ok(Math.abs(health.meanIntervalMs - 5000) < 100, `mean ${health.meanIntervalMs}`)
    assert.equal(health.samples, 51)
  })

  it('gives a jittery peer more slack than a regular one', () => {
    const clock = fakeClock()
    const fd = new FailureDetector({ now: clock.now })
    const random = seededRandom(7)
    // Interleave two peers on one clock: 'lan' beats every 5 s, 'lte' every 2–8 s.
    let nextLan = 0
    let nextLte = 0
    while (clock.now() < 3_600_000) {
      if (clock.now() >= nextLan) { fd.heartbeat('lan'); nextLan += 5000 }
      if (clock.now() >= nextLte) { fd.heartbeat('lte'); nextLte += 2000 + Math.round(random() * 6000) }
      clock.advance(100)
    }
    const lan = silenceUntil(fd, clock, 'lan', 'suspect')
    fd.heartbeat('lan')
    fd.heartbeat('lte')
    const lte = silenceUntil(fd, clock, 'lte', 'suspect')
    assert.ok(lte > lan + 3000, `lte suspected after ${lte} ms, lan after ${lan} ms`)
  })

  it('treats an unknown peer as dead and a tracked one as alive until it stays silent', () => {
    const { clock, fd } = beating()
    assert.equal(fd.state('x'), 'dead')
    assert.equal(fd.phi('x'), Infinity)
    fd.track('x')
    assert.equal(fd.state('x'), 'alive')
    assert.equal(fd.health('x')?.heard, false)
    clock.advance(60_000)
    assert.equal(fd.state('x'), 'dead')
    assert.deepEqual(fd.poll().map(c => [c.from, c.to]), [['alive', 'dead']])
  })

  it('does not reset a watched peer on track()', () => {
    const { clock, fd } = beating()
    fd.heartbeat('a')
    clock.advance(59_000)
    fd.track('a')
    clock.advance(1000)
    assert.equal(fd.state('a'), 'dead')
  })

  it('forgets a peer', () => {
    const { fd } = beating()
    fd.heartbeat('a')
    fd.forget('a')
    assert.deepEqual(fd.peers(), [])
    assert.equal(fd.health('a'), undefined)
  })

  it('keeps at most maxSampleSize intervals and follows a changed rhythm', () => {
    const { fd, beat } = beating(fakeClock(), { maxSampleSize: 100 })
    beat('a', 300, 1000)
    beat('a', 300, 3000)
    const health = fd.health('a')
    assert.equal(health?.samples, 100)
    assert.equal(health?.meanIntervalMs, 3000)
  })

  it('does not suspect a perfectly regular peer that is a little late (σ floor)', () => {
    const { clock, fd, beat } = beating()
    beat('a', 200, 5000)
    clock.advance(5000 + 5000 + 1000)
    assert.equal(fd.state('a'), 'alive')
  })

  it('honours short settings for tests', () => {
    const { clock, fd, beat } = beating(fakeClock(), { heartbeatIntervalMs: 100, deadAfterMs: 1000, minStdDeviationMs: 10, acceptablePauseMs: 100 })
    beat('a', 20, 100)
    const last = clock.now()
    assert.ok(silenceUntil(fd, clock, 'a', 'suspect') <= 300)
    clock.set(last + 999)
    assert.equal(fd.state('a'), 'suspect')
    clock.set(last + 1000)
    assert.equal(fd.state('a'), 'dead')
  })

  it('lists snapshots in peer order', () => {
    const { fd } = beating()
    fd.heartbeat('b')
    fd.heartbeat('a')
    assert.deepEqual(fd.snapshot().map(h => h.peer), ['a', 'b'])
  })

  it('rejects nonsense options', () => {
    assert.throws(() => new FailureDetector({ deadAfterMs: 0 }), { code: 'ERR_INVALID_PARAMETERS' })
    assert.throws(() => new FailureDetector({ threshold: Number.NaN }), { code: 'ERR_INVALID_PARAMETERS' })
  })
})

// Clock skew (#19 item 5): a heartbeat carries no timestamp (PROTOCOLS.md, "Shard reports": an answer to `has` is the
// heartbeat, timed on arrival by the receiver), so a peer's clock, however far off, never reaches the detector. What
// can skew is this node's own clock; these pin what a step does.
describe('FailureDetector under clock steps', () => {
  it('a step back by an hour: a peer that keeps beating stays alive, one that falls silent is dead deadAfterMs after the step, not an hour later', () => {
    const { clock, fd, beat } = beating(fakeClock(10 * 3_600_000))
    beat('steady', 20, 5000)
    beat('silent', 1, 5000)
    fd.poll()
    clock.advance(-3_600_000)
    for (let i = 0; i < 30; i++) {
      clock.advance(5000)
      fd.heartbeat('steady')
      fd.poll()
      assert.equal(fd.state('steady'), 'alive', `steady after ${i + 1} beats past the step`)
    }
    assert.equal(fd.state('silent'), 'dead', 'the silent peer died on the new clock')
    const changes = fd.poll()
    assert.deepEqual(changes, [])
  })

  it('a step back: the silent peer dies exactly deadAfterMs after the first poll past the step', () => {
    const { clock, fd, beat } = beating(fakeClock(10 * 3_600_000))
    beat('a', 20, 5000)
    fd.poll()
    clock.advance(-3_600_000)
    fd.poll()
    assert.equal(silenceUntil(fd, clock, 'a', 'dead'), 60_000)
  })

  it('built without a clock, it ignores a wall-clock step forward: no peer is declared dead by Date.now jumping an hour', (t) => {
    const wall = Date.now
    let step = 0
    t.mock.method(Date, 'now', () => wall() + step)
    const fd = new FailureDetector({ deadAfterMs: 60_000 })
    fd.heartbeat('a')
    step = 3_600_000
    assert.ok(Date.now() - wall() >= 3_600_000, 'the wall clock stepped')
    assert.deepEqual(fd.poll(), [])
    assert.equal(fd.state('a'), 'alive')
  })
})

// A flapping peer (#19 item 5): down and back, again and again. Suspicion only starts the repair grace (REPAIR.md,
// "The queue"), death starts a rebuild; so what bounds the data moved is how often the detector calls it dead.
describe('FailureDetector and a flapping peer', () => {
  it('outages shorter than deadAfterMs never make it dead, however many; each one as long is one death, no more', () => {
    const { clock, fd, beat } = beating()
    beat('flappy', 20, 5000)
    fd.poll()
    const deaths = (): number => fd.poll().filter(c => c.to === 'dead').length
    let died = 0
    for (let flap = 0; flap < 50; flap++) {
      // Down for 50 s (under the 60 s default), polled every 5 s as the repair service does; then back for 3 beats.
      for (let t = 0; t < 50_000; t += 5000) { clock.advance(5000); died += deaths() }
      beat('flappy', 3, 5000)
      died += deaths()
    }
    assert.equal(died, 0, 'never dead: its files wait out the grace and are re-checked when it is back')
    for (let flap = 0; flap < 5; flap++) {
      for (let t = 0; t < 70_000; t += 5000) { clock.advance(5000); died += deaths() }
      beat('flappy', 3, 5000)
      died += deaths()
    }
    assert.equal(died, 5, 'one death per outage past deadAfterMs')
  })
})
