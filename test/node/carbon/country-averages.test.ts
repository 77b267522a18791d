import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { countryAverage, countryCodes, createCarbonProvider, worldAverage } from '../../../node/carbon/index.ts'

describe('country averages (co2.js 0.19.0, Ember)', () => {
  it('spot checks: NO, FR, DE, US, IN', () => {
    const expected = { NO: 30.75, FR: 44.18, DE: 342.06, US: 383.55, IN: 708.96 }
    for (const [code, gco2PerKwh] of Object.entries(expected)) {
      const c = countryAverage(code)
      assert.equal(c.gco2PerKwh, gco2PerKwh, code)
      assert.equal(c.year, 2024, code)
    }
    assert.equal(countryAverage('DE').alpha3, 'DEU')
  })

  it('the world average is the default', () => {
    assert.deepEqual(worldAverage(), { gco2PerKwh: 472.94, year: 2024 })
    const reading = createCarbonProvider({}).current()
    assert.equal(reading.source, 'default:world')
    assert.equal(reading.gco2PerKwh, 472.94)
    assert.match(reading.note ?? '', /no carbon source configured/)
  })

  it('accepts any case and surrounding spaces', () => {
    assert.equal(countryAverage(' fr ').code, 'FR')
  })

  it('keys are unique alpha-2 codes; the Cayman Islands are KY, not Cyprus', () => {
    const codes = countryCodes()
    assert.ok(codes.length > 200)
    assert.ok(codes.every(c => /^[A-Z]{2}$/.test(c)))
    assert.equal(countryAverage('KY').alpha3, 'CYM')
    assert.equal(countryAverage('CY').alpha3, 'CYP')
  })

  it('an unknown code is a CarbonDataError that says where the valid codes are', () => {
    assert.throws(() => countryAverage('ZZ'), (err: any) => err.code === 'ERR_CARBON_DATA' && /docs\/CARBON\.md/.test(err.message))
    assert.throws(() => countryAverage('__proto__'), { code: 'ERR_CARBON_DATA' })
    assert.throws(() => createCarbonProvider({ country: 'ZZ' }), { code: 'ERR_CARBON_DATA' })
  })

  it('an alpha-3 code gets a suggestion', () => {
    assert.throws(() => countryAverage('DEU'), (err: any) => err.details.suggestion === 'DE' && /use DE for Germany/.test(err.message))
  })

  it('--carbon-country alone is a static, non-stale reading', () => {
    const reading = createCarbonProvider({ country: 'no' }).current()
    assert.equal(reading.source, 'country:NO')
    assert.equal(reading.gco2PerKwh, 30.75)
    assert.equal(reading.stale, false)
    assert.match(reading.note ?? '', /Norway yearly average for 2024/)
  })
})
