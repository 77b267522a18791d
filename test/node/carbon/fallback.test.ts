import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { backoffDelay } from '../../../node/backoff.ts'
import { countryFallback, parseCarbonSeries, resolveReading, upcomingWindows, worldFallback } from '../../../node/carbon/index.ts'
import { HOUR, T0, sdkDoc } from './helpers.ts'

const SOURCE = 'url:http://example.test/ci'
const windows = parseCarbonSeries(sdkDoc(T0, [100, 200, 300]))   // T0 .. T0+3h
const de = countryFallback('DE')
const at = (now: number, state = { windows, fetchedAt: T0 }): ReturnType<typeof resolveReading> => resolveReading(SOURCE, state, de, now, 2 * HOUR)

describe('fallback chain', () => {
  it('a window covering now is the live figure', () => {
    assert.deepEqual(at(T0 + 90 * 60_000), { gco2PerKwh: 200, source: SOURCE, at: T0 + HOUR, stale: false })
  })

  it('after a failed poll, a window that still covers now is last-good but not stale', () => {
    const r = resolveReading(SOURCE, { windows, fetchedAt: T0, error: { message: 'HTTP 500', at: T0 + HOUR } }, de, T0 + HOUR, 2 * HOUR)
    assert.equal(r.source, 'last-good')
    assert.equal(r.stale, false)
    assert.equal(r.gco2PerKwh, 200)
    assert.match(r.note ?? '', /failed at .*HTTP 500; the data fetched at 2025-03-01T12:00:00.000Z still covers now/)
  })

  it('past the last window, the last figure is served stale for up to maxStale', () => {
    const r = at(T0 + 3 * HOUR + 30 * 60_000)
    assert.equal(r.source, 'last-good')
    assert.equal(r.stale, true)
    assert.equal(r.gco2PerKwh, 300)
    assert.match(r.note ?? '', /newest ended at 2025-03-01T15:00:00.000Z.*ended 30 min ago/)
    assert.equal(at(T0 + 5 * HOUR).source, 'last-good')
  })

  it('beyond maxStale, the country average', () => {
    const r = at(T0 + 5 * HOUR + 1)
    assert.equal(r.source, 'country:DE')
    assert.equal(r.gco2PerKwh, 342.06)
    assert.equal(r.stale, true)
  })

  it('data only for the future, or none yet: the fallback', () => {
    assert.match(at(T0 - 1).note ?? '', /first starts at 2025-03-01T12:00:00.000Z/)
    const none = resolveReading(SOURCE, {}, worldFallback(), T0, 2 * HOUR)
    assert.equal(none.source, 'default:world')
    assert.equal(none.gco2PerKwh, 472.94)
    assert.match(none.note ?? '', /has not been read yet; using the world yearly average/)
  })

  it('forecast: the window covering now first, then the future', () => {
    assert.deepEqual(upcomingWindows(windows, T0 + 90 * 60_000).map(w => w.gco2PerKwh), [200, 300])
    assert.deepEqual(upcomingWindows(windows, T0 + 3 * HOUR), [])
  })
})

describe('backoff', () => {
  it('doubles from the base, is capped, and jitters within the upper half', () => {
    assert.deepEqual([1, 2, 3, 4].map(n => backoffDelay(n, 1000, 5000, () => 0)), [500, 1000, 2000, 2500])
    assert.deepEqual([1, 2, 3, 4].map(n => backoffDelay(n, 1000, 5000, () => 1)), [1000, 2000, 4000, 5000])
    assert.equal(backoffDelay(10_000, 1000, 5000, () => 0.5), 3750)
  })
})
