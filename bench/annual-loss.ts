// Step 4 of `npm run bench`: the probability of losing a file within a year for each scheme, from the durability
// models in bench/durability/ (docs/DURABILITY.md) at the repair time the repair bench measured, with the Storj
// whitepaper self-check and a Monte Carlo run per scheme checked against the analytic figure.
//
//   node --import tsx --import ./node/polyfill.ts bench/annual-loss.ts -- [--schemes …] [--afr 0.05]
//     [--repair-hours 24] [--trials 200000] [--seed 20240601] [--quick]
//
// One JSON line per figure on stdout. Monte Carlo runs twice per scheme: at the run's own parameters, where real
// losses (1e-7 and below) are far under what any feasible trial count resolves, so only the interval's upper bound
// says something; and at harsh parameters (AFR 50 %, a 30-day repair, the regime of the model tests) where losses
// are common and the interval must contain the analytic value. Exits 1 if the self-check or an agreement fails.
import { parseArgs } from 'node:util'
import { compareAtEqualOverhead, selfCheck } from './durability/analytic.ts'
import { DEFAULT_AFR, DEFAULT_REPAIR_HOURS } from './durability/constants.ts'
import { simulateLoss } from './durability/montecarlo.ts'
import { parseSchemes } from './schemes.ts'

/** The Monte Carlo check regime of test/bench/durability-montecarlo.test.ts and docs/DURABILITY.md §4. */
const CHECK_AFR = 0.5
const CHECK_REPAIR_HOURS = 720
/** docs/DURABILITY.md §4: the seed of the recorded agreement table. */
const DEFAULT_SEED = 20240601

const { values: flags } = parseArgs({
  options: {
    schemes: { type: 'string' },
    afr: { type: 'string', default: String(DEFAULT_AFR) },
    // The slow case of the durability table: a repair that waits a day. bench/run.ts passes the measured time.
    'repair-hours': { type: 'string', default: String(DEFAULT_REPAIR_HOURS[1]) },
    trials: { type: 'string' },
    seed: { type: 'string', default: String(DEFAULT_SEED) },
    quick: { type: 'boolean', default: false }
  }
})
const schemes = parseSchemes(flags.schemes)
const afr = Number(flags.afr)
const repairHours = Number(flags['repair-hours'])
const trials = Number(flags.trials ?? (flags.quick === true ? 50_000 : 200_000))
const seed = Number(flags.seed)

const emit = (line: Record<string, unknown>): void => { process.stdout.write(JSON.stringify({ bench: 'durability', ...line }) + '\n') }
let failures = 0

const check = selfCheck()
emit({ measurement: 'storj-self-check', k: check.k, n: check.n, p: check.p, computedPercent: check.computedPercent, printed: check.printed, matches: check.matches, allRowsMatch: check.allRowsMatch, binomialPercent: check.binomialPercent })
if (!check.matches || !check.allRowsMatch) failures++

const rows = compareAtEqualOverhead({ afr, repairHours, schemes })
const baseline = rows.find(r => r.k === 1 && r.n === 3)
for (const row of rows) {
  const scheme = schemes.find(s => s.name === row.name)
  emit({
    measurement: 'annual-loss',
    scheme: scheme?.id ?? row.name,
    ...row,
    afr,
    repairHours,
    years: 1,
    ratioToReplication3: baseline === undefined ? null : row.lossProbability / baseline.lossProbability,
    /** Other schemes of this run with the same n/k: the fair comparison. */
    sameOverheadAs: rows.filter(r => r !== row && Math.abs(r.overhead - row.overhead) < 1e-9).map(r => schemes.find(s => s.name === r.name)?.id ?? r.name)
  })
}

for (const scheme of schemes) {
  for (const [regime, regimeAfr, regimeHours] of [['run', afr, repairHours], ['check', CHECK_AFR, CHECK_REPAIR_HOURS]] as const) {
    const analytic = compareAtEqualOverhead({ afr: regimeAfr, repairHours: regimeHours, schemes: [scheme] })[0].lossProbability
    const started = performance.now()
    const mc = simulateLoss({ k: scheme.k, n: scheme.k + scheme.m, afr: regimeAfr, repairHours: regimeHours, trials, seed })
    const agrees = analytic >= mc.ci95.low && analytic <= mc.ci95.high
    // At the run's parameters a miss with zero losses can only mean a tiny analytic value; any other miss is a bug.
    if (!agrees) failures++
    emit({
      measurement: 'monte-carlo', regime, scheme: scheme.id, k: scheme.k, n: scheme.k + scheme.m, afr: regimeAfr, repairHours: regimeHours,
      trials, seed, losses: mc.losses, estimate: mc.estimate, ci95: mc.ci95, analytic, agrees, ms: Math.round(performance.now() - started)
    })
  }
}
if (failures > 0) {
  process.stderr.write(`[bench:durability] ${failures} check(s) failed (self-check or Monte Carlo outside its interval)\n`)
  process.exitCode = 1
}
