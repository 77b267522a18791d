// The fetch's hedge timer with a hand-driven clock: how late is late, and what it learns from stripes.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Clock } from '../../../node/clock.ts'
import { HEDGE_FACTOR, HEDGE_INITIAL_MS, HEDGE_MIN_MS, HedgeTimer } from '../../../node/fetch/hedge-timer.ts'

function manualClock (): Clock & { advance: (ms: number) => void } {
  let now = 0
  const timers = new Map<number, { at: number, fn: () => void }>()
  let nextId = 0
  return {
    now: () => now,
    setTimeout: (fn, ms) => { timers.set(++nextId, { at: now + ms, fn }); return nextId },
    clearTimeout: (id) => { timers.delete(id as number) },
    advance (ms) {
      now += ms
      for (const [id, t] of [...timers]) if (t.at <= now) { timers.delete(id); t.fn() }
    }
  }
}

describe('HedgeTimer', () => {
  it('waits HEDGE_INITIAL_MS before anything was timed, then a multiple of the median stripe time', async () => {
    const clock = manualClock()
    const timer = new HedgeTimer(clock)
    assert.equal(timer.delay(), HEDGE_INITIAL_MS)
    for (const [stripe, ms] of [[0, 100], [1, 120], [2, 80]]) {
      timer.late(stripe).catch(() => {})
      clock.advance(ms)
      timer.settled(stripe)
    }
    assert.equal(timer.delay(), HEDGE_FACTOR * 100)
  })

  it('never hedges sooner than HEDGE_MIN_MS', () => {
    const clock = manualClock()
    const timer = new HedgeTimer(clock)
    for (let stripe = 0; stripe < 5; stripe++) {
      timer.late(stripe).catch(() => {})
      clock.advance(1)
      timer.settled(stripe)
    }
    assert.equal(timer.delay(), HEDGE_MIN_MS)
  })

  it('resolves late() only when the stripe overruns, and does not learn from late stripes', async () => {
    const clock = manualClock()
    const timer = new HedgeTimer(clock)
    let fired = false
    const late = timer.late(0).then(() => { fired = true })
    clock.advance(HEDGE_INITIAL_MS - 1)
    await Promise.resolve()
    assert.equal(fired, false)
    clock.advance(1)
    await late
    assert.equal(fired, true)
    timer.settled(0)
    assert.equal(timer.delay(), HEDGE_INITIAL_MS, 'a stripe that was late says nothing about the typical one')
  })
})
