// Prints the annual loss probability of the usual schemes, for docs/DURABILITY.md:
//   node --import tsx --import ./node/polyfill.ts bench/durability/table.ts [--afr 0.05] [--repair-hours 1,24]
//     [--repair-mode all-missing|one-at-a-time] [--years 1]
// One JSON line per (scheme, repair time) with its parameters and the ratio to replication x3 computed in the
// same run, then a markdown table. Exits non-zero if the Storj self-check fails, since then nothing else holds.
import { parseArgs } from 'node:util'
import { DEFAULT_AFR, DEFAULT_REPAIR_HOURS } from './constants.ts'
import { compareAtEqualOverhead, DEFAULT_SCHEMES, type SchemeDurability } from './compare.ts'
import { DEFAULT_REPAIR_MODE, type RepairMode } from './markov.ts'
import { selfCheck } from './storj.ts'

const { values } = parseArgs({
  options: {
    afr: { type: 'string', default: String(DEFAULT_AFR) },
    'repair-hours': { type: 'string', default: DEFAULT_REPAIR_HOURS.join(',') },
    'repair-mode': { type: 'string', default: DEFAULT_REPAIR_MODE },
    years: { type: 'string', default: '1' }
  }
})
const afr = Number(values.afr)
const repairHours = values['repair-hours'].split(',').map(Number)
const repairMode = values['repair-mode'] as RepairMode
const years = Number(values.years)
if (repairMode !== 'all-missing' && repairMode !== 'one-at-a-time') throw new Error(`unknown --repair-mode ${repairMode}`)

const check = selfCheck()
console.log(JSON.stringify({ measurement: 'storj-self-check', k: check.k, n: check.n, p: check.p, computedPercent: check.computedPercent, printed: check.printed, matches: check.matches, allRowsMatch: check.allRowsMatch, binomialPercent: check.binomialPercent }))
if (!check.matches || !check.allRowsMatch) {
  console.error('Storj whitepaper self-check failed: the piece-survival tails are wrong')
  process.exit(1)
}

const byRepair = new Map<number, SchemeDurability[]>()
for (const hours of repairHours) {
  const rows = compareAtEqualOverhead({ afr, repairHours: hours, repairMode, years, schemes: DEFAULT_SCHEMES })
  const baseline = rows.find(r => r.k === 1 && r.n === 3)
  for (const row of rows) {
    console.log(JSON.stringify({
      measurement: 'annual-loss',
      afr,
      repairHours: hours,
      repairMode,
      years,
      ...row,
      ratioToReplication3: baseline === undefined ? null : row.lossProbability / baseline.lossProbability
    }))
  }
  byRepair.set(hours, rows)
}

const sci = (x: number): string => x === 0 ? '0' : x.toExponential(2)
const first = byRepair.get(repairHours[0]) ?? []
const header = ['scheme', 'n/k', 'losses tolerated', `no repair`, ...repairHours.map(h => `repair ${h} h`), `MTTDL, repair ${repairHours[repairHours.length - 1]} h`]
console.log()
console.log(`P(file lost within ${years} year${years === 1 ? '' : 's'}), AFR ${afr * 100} %, repair mode ${repairMode}; (nines) = -log10 P`)
console.log()
console.log(`| ${header.join(' | ')} |`)
console.log(`|${header.map(() => '---').join('|')}|`)
for (const row of first) {
  const cells = [row.name, row.overhead.toFixed(2), String(row.m), `${sci(row.noRepairLossProbability)} (${(-Math.log10(row.noRepairLossProbability)).toFixed(1)})`]
  for (const hours of repairHours) {
    const r = byRepair.get(hours)?.find(x => x.name === row.name)
    cells.push(r === undefined ? '' : `${sci(r.lossProbability)} (${r.nines.toFixed(1)})`)
  }
  const last = byRepair.get(repairHours[repairHours.length - 1])?.find(x => x.name === row.name)
  cells.push(last === undefined ? '' : `${sci(last.mttdlYears)} y`)
  console.log(`| ${cells.join(' | ')} |`)
}
