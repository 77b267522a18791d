// Yearly average grid intensity per country, embedded so --carbon-country works offline (data/SOURCE.md).
import { CarbonDataError } from '../errors.ts'
import dataset from './data/country-averages.json' with { type: 'json' }

export interface CountryAverage {
  /** ISO 3166-1 alpha-2 (XK for Kosovo, as Ember and the EU use it). */
  code: string
  alpha3: string
  name: string
  /** The year the figure is for: the latest year Ember had for that country when co2.js was released. */
  year: number
  gco2PerKwh: number
}

interface Entry { alpha3: string, name: string, year: number, gco2PerKwh: number }
const countries: Record<string, Entry> = dataset.countries
const regions: Record<string, Omit<Entry, 'alpha3'>> = dataset.regions

/** The package release the figures were taken from (data/SOURCE.md), for notes. */
export const COUNTRY_DATASET_PACKAGE = dataset.package

export function countryCodes (): string[] {
  return Object.keys(countries)
}

/** The yearly average for an alpha-2 code (any case); throws CarbonDataError naming how to find a valid code. */
export function countryAverage (code: string): CountryAverage {
  const upper = code.trim().toUpperCase()
  const entry = Object.hasOwn(countries, upper) ? countries[upper] : undefined
  if (entry !== undefined) return { code: upper, ...entry }
  const byAlpha3 = Object.entries(countries).find(([, e]) => e.alpha3 === upper)
  const hint = byAlpha3 !== undefined ? ` (an alpha-3 code: use ${byAlpha3[0]} for ${byAlpha3[1].name})` : ''
  throw new CarbonDataError(
    `unknown --carbon-country ${JSON.stringify(code)}${hint}: give an ISO 3166-1 alpha-2 code such as DE, FR or US; ` +
    `the ${countryCodes().length} codes with data are listed in docs/CARBON.md and node/carbon/data/country-averages.json`,
    { country: code, ...(byAlpha3 !== undefined ? { suggestion: byAlpha3[0] } : {}) })
}

/** The world average of the same dataset: the last resort when nothing better is known. */
export function worldAverage (): { gco2PerKwh: number, year: number } {
  const { gco2PerKwh, year } = regions.WORLD
  return { gco2PerKwh, year }
}
