import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseCarbonSeries } from '../../../node/carbon/index.ts'
import { HOUR, T0, mapsHistoryDoc, sdkDoc } from './helpers.ts'

const iso = (ms: number): string => new Date(ms).toISOString()
const rejects = (doc: string | Uint8Array, pattern: RegExp, maxBytes?: number): void => {
  assert.throws(() => parseCarbonSeries(doc, { maxBytes }), (err: any) => err.code === 'ERR_CARBON_DATA' && pattern.test(err.message))
}

describe('parseCarbonSeries: Carbon Aware SDK', () => {
  it('EmissionsData with TimeSpan durations, sorted by time', () => {
    const doc = JSON.stringify([
      { location: 'eastus', time: '2025-03-01T13:00:00+00:00', rating: 300.5, duration: '00:30:00' },
      { location: 'eastus', time: '2025-03-01T12:00:00Z', rating: 410, duration: '01:00:00' }
    ])
    assert.deepEqual(parseCarbonSeries(doc), [
      { at: T0, durationMs: HOUR, gco2PerKwh: 410 },
      { at: T0 + HOUR, durationMs: 30 * 60_000, gco2PerKwh: 300.5 }
    ])
  })

  it('TimeSpan with days and fractions; numeric durations are minutes', () => {
    const doc = JSON.stringify([
      { time: iso(T0), rating: 1, duration: '1.02:00:00' },
      { time: iso(T0 + 2 * HOUR), rating: 2, duration: '00:00:01.5' },
      { time: iso(T0 + 3 * HOUR), rating: 3, duration: 5 }
    ])
    assert.deepEqual(parseCarbonSeries(doc).map(w => w.durationMs), [26 * HOUR, 1500, 5 * 60_000])
  })

  it('the JSON data-source wrapper {"emissions": [...]}', () => {
    assert.equal(parseCarbonSeries(JSON.stringify({ emissions: JSON.parse(sdkDoc(T0, [100, 200])) })).length, 2)
  })

  it('the forecast shape: EmissionsDataDTO inside forecastData', () => {
    const doc = JSON.stringify([{
      generatedAt: iso(T0),
      location: 'westus',
      forecastData: [
        { location: 'westus', timestamp: iso(T0), duration: 5, value: 120 },
        { location: 'westus', timestamp: iso(T0 + 5 * 60_000), duration: 5, value: 90 }
      ]
    }])
    assert.deepEqual(parseCarbonSeries(doc), [
      { at: T0, durationMs: 5 * 60_000, gco2PerKwh: 120 },
      { at: T0 + 5 * 60_000, durationMs: 5 * 60_000, gco2PerKwh: 90 }
    ])
  })

  it('a missing duration is the gap to the next entry, the last one an hour', () => {
    const doc = JSON.stringify([{ time: iso(T0), rating: 1 }, { time: iso(T0 + 15 * 60_000), rating: 2 }])
    assert.deepEqual(parseCarbonSeries(doc).map(w => w.durationMs), [15 * 60_000, HOUR])
  })
})

describe('parseCarbonSeries: Electricity Maps', () => {
  it('latest: one object', () => {
    const doc = JSON.stringify({ zone: 'DE', carbonIntensity: 302, datetime: '2025-03-01T12:00:00.000Z', updatedAt: '2025-03-01T12:41:00.000Z', isEstimated: true })
    assert.deepEqual(parseCarbonSeries(doc), [{ at: T0, durationMs: HOUR, gco2PerKwh: 302 }])
  })

  it('history: hourly list; null intensities are gaps', () => {
    const windows = parseCarbonSeries(mapsHistoryDoc(T0, [300, null, 250]))
    assert.deepEqual(windows, [
      { at: T0, durationMs: 2 * HOUR, gco2PerKwh: 300 },
      { at: T0 + 2 * HOUR, durationMs: HOUR, gco2PerKwh: 250 }
    ])
  })

  it('forecast: list under "forecast", zone only at the top', () => {
    const doc = JSON.stringify({ zone: 'FR', forecast: [{ carbonIntensity: 40, datetime: iso(T0) }, { carbonIntensity: 35, datetime: iso(T0 + HOUR) }], updatedAt: iso(T0) })
    assert.deepEqual(parseCarbonSeries(doc).map(w => w.gco2PerKwh), [40, 35])
  })
})

describe('parseCarbonSeries: untrusted input', () => {
  it('not JSON', () => rejects('[{"time": ', /not valid UTF-8 JSON/))
  it('not UTF-8', () => rejects(new Uint8Array([0x5b, 0xff, 0x5d]), /not valid UTF-8 JSON/))
  it('too large, by bytes not characters', () => {
    rejects(sdkDoc(T0, [1, 2, 3]), /exceeds the limit of 50/, 50)
    rejects('"' + 'é'.repeat(30) + '"', /62 bytes exceeds/, 61)
  })
  it('unknown shapes', () => {
    rejects('42', /unknown shape \(a number\)/)
    rejects('{"data": []}', /unknown shape.*"data"/)
    rejects('null', /unknown shape/)
  })
  it('no entries', () => {
    rejects('[]', /no entries/)
    rejects(mapsHistoryDoc(T0, [null, null]), /no entries/)
  })
  it('entries that are not objects', () => rejects('[1]', /\[0\] is not an object/))
  it('intensities out of range or not numbers', () => {
    rejects(sdkDoc(T0, [-1]), /\[0\]\.rating must be a number of gCO2\/kWh in 0\.\.5000, got -1/)
    rejects(sdkDoc(T0, [5000.5]), /got 5000\.5/)
    rejects(JSON.stringify([{ time: iso(T0), rating: '300' }]), /got "300"/)
    rejects(`{"history": [{"datetime": "${iso(T0)}", "carbonIntensity": 1e400}]}`, /history\[0\]\.carbonIntensity.*got null/)
    rejects(JSON.stringify([{ time: iso(T0) }]), /rating must be.*got undefined/)
  })
  it('timestamps: offset required, real dates only', () => {
    rejects(JSON.stringify([{ time: '2025-03-01T12:00:00', rating: 1 }]), /RFC 3339 timestamp with an offset/)
    rejects(JSON.stringify([{ time: 1740830400000, rating: 1 }]), /RFC 3339/)
    rejects(JSON.stringify([{ time: '2025-13-45T12:00:00Z', rating: 1 }]), /not a real date/)
    rejects(JSON.stringify({ carbonIntensity: 1, datetime: 'yesterday' }), /^carbon series datetime must/)
  })
  it('durations: positive, at most a week', () => {
    rejects(JSON.stringify([{ time: iso(T0), rating: 1, duration: 0 }]), /duration must be minutes/)
    rejects(JSON.stringify([{ time: iso(T0), rating: 1, duration: '-01:00:00' }]), /duration must be minutes/)
    rejects(JSON.stringify([{ time: iso(T0), rating: 1, duration: 7 * 24 * 60 + 1 }]), /at most 7 days/)
    rejects(JSON.stringify([{ time: iso(T0), rating: 1, duration: 'PT1H' }]), /got "PT1H"/)
  })
  it('several locations in one series', () => {
    const doc = JSON.stringify([...JSON.parse(sdkDoc(T0, [1], 'eastus')), ...JSON.parse(sdkDoc(T0, [2], 'westus'))])
    rejects(doc, /mixes 2 locations \(eastus, westus\)/)
  })
  it('long strings are cut in messages', () => {
    assert.throws(() => parseCarbonSeries(JSON.stringify([{ time: 'x'.repeat(1000), rating: 1 }])), (err: any) => err.message.length < 300)
  })
})
