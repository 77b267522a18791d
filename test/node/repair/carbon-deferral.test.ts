// chooseRepairTime: the greenest window within the bound, only when meaningfully greener than now.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { chooseRepairTime, type ForecastWindow } from '../../../node/repair/carbon-deferral.ts'

const HOUR = 3_600_000
const hourly = (start: number, values: number[]): ForecastWindow[] => values.map((gco2PerKwh, i) => ({ at: start + i * HOUR, durationMs: HOUR, gco2PerKwh }))

describe('chooseRepairTime', () => {
  it('picks the start of the greenest window within the bound', () => {
    const forecast = hourly(0, [400, 380, 200, 150, 90, 300])
    const t = chooseRepairTime(0, forecast, 400, 6 * HOUR)
    assert.deepEqual([t.at, t.gco2PerKwh, t.deferred], [4 * HOUR, 90, true])
    assert.match(t.reason, /deferred 4h to a window at 90 gCO2\/kWh, 78% below now \(400\)/)
  })

  it('ignores windows that start beyond the bound', () => {
    const forecast = hourly(0, [400, 300, 350, 10])
    assert.equal(chooseRepairTime(0, forecast, 400, 2 * HOUR).at, HOUR)
    assert.equal(chooseRepairTime(0, forecast, 400, 3 * HOUR).at, 3 * HOUR)
  })

  it('stays unless the best window is at least 10% greener', () => {
    const forecast = hourly(0, [400, 361])
    const stay = chooseRepairTime(0, forecast, 400, 6 * HOUR)
    assert.deepEqual([stay.at, stay.deferred, stay.gco2PerKwh], [0, false, 400])
    assert.match(stay.reason, /no window within 6h is 10% greener than now \(400 gCO2\/kWh\)/)
    assert.equal(chooseRepairTime(0, hourly(0, [400, 360]), 400, 6 * HOUR).at, HOUR)
    assert.equal(chooseRepairTime(0, hourly(0, [400, 360]), 400, 6 * HOUR, 0.2).deferred, false)
  })

  it('counts a running window from now and prefers the earliest of equals', () => {
    const forecast = hourly(-HOUR / 2, [100, 100, 100])
    const t = chooseRepairTime(0, forecast, 400, 6 * HOUR)
    assert.deepEqual([t.at, t.deferred], [0, false])
    const later = chooseRepairTime(0, hourly(0, [400, 100, 100]), 400, 6 * HOUR)
    assert.equal(later.at, HOUR)
  })

  it('stays without a forecast, without a current figure, and skips nonsense windows', () => {
    assert.match(chooseRepairTime(0, [], 400, HOUR).reason, /no carbon forecast within 1h/)
    assert.match(chooseRepairTime(0, hourly(0, [1, 1]), Number.NaN, HOUR).reason, /unknown/)
    const bad = [{ at: HOUR, durationMs: HOUR, gco2PerKwh: -5 }, { at: HOUR, durationMs: 0, gco2PerKwh: 1 }, { at: HOUR, durationMs: HOUR, gco2PerKwh: Number.NaN }]
    assert.equal(chooseRepairTime(0, bad, 400, 6 * HOUR).deferred, false)
    assert.equal(chooseRepairTime(0, hourly(-3 * HOUR, [1, 1]), 400, 6 * HOUR).deferred, false)
  })

  it('never goes past the bound nor back in time, and defers only to a greener figure', () => {
    const windows = fc.array(fc.record({ at: fc.integer({ min: -10 * HOUR, max: 20 * HOUR }), durationMs: fc.integer({ min: 1, max: 2 * HOUR }), gco2PerKwh: fc.integer({ min: 0, max: 900 }) }), { maxLength: 30 })
    fc.assert(fc.property(windows, fc.integer({ min: 1, max: 900 }), fc.integer({ min: 0, max: 12 * HOUR }), (forecast, current, maxDelay) => {
      const t = chooseRepairTime(1000, forecast, current, maxDelay)
      assert.ok(t.at >= 1000 && t.at <= 1000 + maxDelay)
      if (t.deferred) assert.ok(t.gco2PerKwh <= current * 0.9 && t.at > 1000)
      else assert.equal(t.at, 1000)
    }))
  })
})
