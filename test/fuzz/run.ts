// `npm run test:fuzz`: every decoder of wire and disk input fuzzed (test/fuzz/targets.ts), one JSON line per decoder;
// exits non-zero on any crash or hang. docs/FUZZING.md.
//   --inputs N   inputs per decoder (default 100000; a slow target uses its own documented count unless --inputs is given)
//   --seed S     the run's seed (default 1): the same seed replays the same inputs
//   --only NAME  only the targets whose name contains NAME
import { parseArgs } from 'node:util'
import { fuzzTarget } from './engine.ts'
import { TARGETS } from './targets.ts'

const { values } = parseArgs({ options: { inputs: { type: 'string' }, seed: { type: 'string', default: '1' }, only: { type: 'string' } } })
const given = values.inputs === undefined ? undefined : Number(values.inputs)
const seed = Number(values.seed)
if ((given !== undefined && !(Number.isSafeInteger(given) && given > 0)) || !Number.isSafeInteger(seed)) {
  console.error('usage: test:fuzz [--inputs N] [--seed S] [--only NAME]')
  process.exit(2)
}
const targets = TARGETS.filter(t => values.only === undefined || t.name.includes(values.only))
if (targets.length === 0) {
  console.error(`no target matches ${values.only}; targets: ${TARGETS.map(t => t.name).join(', ')}`)
  process.exit(2)
}

const started = performance.now()
let failed = 0
for (const target of targets) {
  const inputs = given ?? target.inputs?.count ?? 100_000
  const { examples, ...line } = await fuzzTarget(target, { inputs, seed })
  console.log(JSON.stringify(line))
  for (const example of examples) console.error(`  ${target.name}: ${example.error}\n    input (${example.inputLength} bytes): ${example.inputHex}\n    at ${example.stack}`)
  if (line.crashes > 0 || line.hangs > 0) failed++
}
console.log(JSON.stringify({ decoders: targets.length, failed, seconds: Math.round((performance.now() - started) / 1000), peakRssMiB: Math.round(process.memoryUsage().rss / 1024 / 1024) }))
process.exit(failed > 0 ? 1 : 0)
