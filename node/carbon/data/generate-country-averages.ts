// Rebuilds country-averages.json from a co2.js release (see SOURCE.md). Not used at run time.
// node --import tsx node/carbon/data/generate-country-averages.ts <unpacked @tgwf/co2 package> <co2.js data/output/average-intensities.json> <co2.js data/fixtures/countries.csv>
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const [pkgDir, yearsJson, countriesCsv] = process.argv.slice(2)
if (pkgDir === undefined || yearsJson === undefined || countriesCsv === undefined) throw new Error('usage: generate-country-averages.ts <pkg dir> <average-intensities.json> <countries.csv>')

const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { name: string, version: string }
const shipped = (await import(pathToFileURL(join(pkgDir, 'dist/esm/data/average-intensities.min.js')).href)).data as Record<string, number>
const detail = JSON.parse(readFileSync(yearsJson, 'utf8')) as Record<string, { country_or_region: string, year: number, emissions_intensity_gco2_per_kwh: number }>
const detailByKey = new Map(Object.entries(detail).map(([k, v]) => [k.toUpperCase(), v]))

// co2.js's own alpha-3 → alpha-2 table, with one correction: it maps CYM (Cayman Islands) to CY, which is Cyprus.
const alpha2Of = new Map<string, string>()
for (const line of readFileSync(countriesCsv, 'utf8').trim().split('\n').slice(1)) {
  const cells = line.split(',')
  alpha2Of.set(cells[cells.length - 1].trim(), cells[cells.length - 2].trim())
}
alpha2Of.set('CYM', 'KY')

const countries: Record<string, unknown> = {}
const regions: Record<string, unknown> = {}
for (const [key, gco2PerKwh] of Object.entries(shipped)) {
  const d = detailByKey.get(key)
  if (d === undefined || d.emissions_intensity_gco2_per_kwh !== gco2PerKwh) throw new Error(`${key}: shipped ${gco2PerKwh} has no matching detail row`)
  const alpha2 = alpha2Of.get(key)
  if (alpha2 === undefined) {
    regions[key] = { name: d.country_or_region, year: d.year, gco2PerKwh }
    continue
  }
  if (alpha2 in countries) throw new Error(`${key}: alpha-2 ${alpha2} used twice`)
  countries[alpha2] = { alpha3: key, name: d.country_or_region, year: d.year, gco2PerKwh }
}

const sorted = (o: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)))
const out = { package: `${pkg.name}@${pkg.version}`, upstream: 'Ember yearly electricity data (averageIntensity in co2.js)', unit: 'gCO2e/kWh', countries: sorted(countries), regions: sorted(regions) }
writeFileSync(new URL('./country-averages.json', import.meta.url), JSON.stringify(out, null, 1) + '\n')
console.log(`${Object.keys(countries).length} countries, ${Object.keys(regions).length} regions`)
