// The bench report: markdown tables and SVG charts from one results file (bench/report/results.ts). Pure over the
// results: the same file always gives the same report, so the report can be rebuilt from an old run.
import { renderBarChart, type Bar, type BarChart } from './charts.ts'
import {
  carbonLines, coderLine, linesOf, secondsPerGb, spread, step, type BenchResults, type Line, type StepName
} from './results.ts'
import { parseScheme, type NamedScheme } from '../schemes.ts'

export interface Chart { name: string, title: string, svg: string }
export interface Report { markdown: string, charts: Chart[] }

const DASH = '–'

export function fixed (x: number | null | undefined, digits = 2): string {
  return x == null || !Number.isFinite(x) ? DASH : x.toFixed(digits)
}

export function sci (x: number | null | undefined): string {
  return x == null || !Number.isFinite(x) ? DASH : x === 0 ? '0' : x.toExponential(2)
}

export function table (header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map(r => `| ${r.join(' | ')} |`)].join('\n')
}

function bytes (n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(2)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`
}

function durationText (ms: number): string {
  return ms >= 3_600_000 ? `${(ms / 3_600_000).toFixed(1)} h` : ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 1000).toFixed(1)} s`
}

/** One line per scheme: what each scheme costs and buys, every figure from this run. */
export function summaryRows (results: BenchResults): string[][] {
  const schemes = results.options.schemes.map(parseScheme)
  return schemes.map(s => {
    const storage = linesOf(results, 'storage').find(l => l.scheme === s.id)
    const share = speedLine(results, 'share', s)
    const fetch = speedLine(results, 'fetch', s)
    const loss = linesOf(results, 'durability').find(l => l.measurement === 'annual-loss' && l.scheme === s.id)
    const carbon = carbonLines(results, s.k, s.m)
    return [
      s.id,
      fixed((s.k + s.m) / s.k),
      fixed(storage?.bytesPerByte, 3),
      fixed(share?.mbPerSec, 1),
      fixed(fetch?.mbPerSec, 1),
      sci(loss?.lossProbability),
      fixed(loss?.nines, 1),
      fixed(carbon.blind?.gco2PerTbMonth, 1),
      fixed(carbon.aware?.gco2PerTbMonth, 1),
      fixed(secondsPerGb(coderLine(results, 'codec-encode', s.k, s.m)?.mbPerSec), 2),
      fixed(secondsPerGb(coderLine(results, 'codec-reconstruct', s.k, s.m)?.mbPerSec), 2)
    ]
  })
}

export const SUMMARY_HEADER = [
  'scheme', 'n/k', 'stored per byte (measured)', 'share MB/s', 'fetch MB/s', 'P(loss in 1 y)', 'nines',
  'gCO2/TB-month blind', 'gCO2/TB-month aware', 'encode s/GB', 'decode s/GB'
]

/** A bench:transfer line of scheme `s`; for 'fetch-degraded', the one with `down` holders killed. */
function speedLine (results: BenchResults, op: string, s: NamedScheme, down?: number): Line | undefined {
  return linesOf(results, 'speed').find(l => l.op === op && l.scheme === s.id && (down === undefined || l.down === down))
}

/** What the swarm ran on, for headings: 'loopback' unless the run had an emulated WAN. */
function networkName (results: BenchResults): string {
  const { profile } = results.options.network
  return profile === 'loopback' ? 'loopback' : profile === 'wan' ? 'emulated WAN' : 'emulated WAN (100 Mbit/s, no added delay)'
}

/** A step's section: its heading, how it ran (or why not), and its body when it printed anything. */
function section (results: BenchResults, name: StepName, heading: string, body: () => string[]): string {
  const st = step(results, name)
  const head = `## ${heading}\n\n`
  if (st === undefined) return `${head}_Not run (not selected with --steps)._\n`
  if (st.status === 'skipped') return `${head}**Skipped:** ${st.reason ?? ''}\n`
  const commands = st.commands.map(c => `\`node ${c.join(' ')}\``).join(', ')
  const how = `Ran ${commands} in ${durationText(st.durationMs)}.`
  const note = st.status === 'failed' ? `**Failed:** ${st.reason ?? ''} ${how} Lines it printed before failing are shown; figures from failed runs count nowhere.` : how
  return [head + note, '', ...(st.lines.length > 0 ? body() : []), ''].join('\n')
}

function storageSection (results: BenchResults): string {
  const rows = linesOf(results, 'storage').map(l => [
    l.scheme, bytes(l.sizeBytes), bytes(l.shardBytes), `${bytes(l.manifestBytes)} (${l.manifestCopies} copies)`,
    fixed(l.bytesPerByte, 4), fixed(l.bytesPerByteWithManifests, 4), fixed(l.nominalOverhead, 4), bytes(l.paddingBytes), `${l.holders}/${l.peers}`
  ])
  return section(results, 'storage', '1. Storage: bytes stored per byte shared', () => [
    'Measured: the sum of `bytes` in `edgemirror status` over every daemon, after minus before sharing one file. ' +
    'Manifest bytes (the files under each repo\'s `store/manifests/`) are subtracted and shown apart: "stored per byte" is shard bytes ÷ file bytes. ' +
    'The file is checked by fetching it back (SHA-256) before its figure counts. With fewer daemons than shards, ' +
    'some peers hold several shards (`--allow-fewer-peers`): that changes where bytes are, not how many.', '',
    rows.length > 0 ? table(['scheme', 'file', 'shard bytes', 'manifests', 'stored per byte', 'with manifests', 'n/k', 'padding', 'holders/peers'], rows) : '',
  ])
}

function speedSection (results: BenchResults): string {
  const lines = linesOf(results, 'speed')
  const rows = lines.map(l => [
    l.op, l.scheme ?? 'raw libp2p stream', l.down !== undefined ? String(l.down) : '', fixed(l.mbPerSec, 1), fixed(l.ratioVsRaw, 3), String(l.runs),
    fixed(spread(l) != null ? (spread(l) as number) * 100 : null, 0) + (spread(l) != null ? ' %' : ''),
    fixed(l.peakRssMiB?.daemonMax ?? l.peakRssMiB?.sender, 0),
    l.failedRuns !== undefined ? `${l.failedRuns} failed: ${(l.failures as string[]).join('; ')}` : (l.skipped ?? '')
  ])
  const figure = (l: Line | undefined): string => l?.mbPerSec != null ? `${fixed(l.mbPerSec, 1)} (${fixed(l.ratioVsRaw, 3)})` : DASH
  const perScheme = results.options.schemes.map(parseScheme).map(s => [
    s.id, figure(speedLine(results, 'share', s)), figure(speedLine(results, 'fetch', s)),
    figure(speedLine(results, 'fetch-degraded', s, 1)), `${figure(speedLine(results, 'fetch-degraded', s, s.m))}, m = ${s.m}`
  ])
  const measured = [...new Set(lines.map(l => l.scheme).filter(s => s != null))]
  const missing = results.options.schemes.filter(s => !measured.includes(s))
  const peers = lines.find(l => l.peers !== undefined)?.peers as number | undefined
  const raw = lines.find(l => l.op === 'raw-stream')
  return section(results, 'speed', `2. Speed: share and fetch (${networkName(results)})`, () => [
    `From \`bench:transfer\` (${peers ?? 'six'} daemon processes: at least six and one per shard of the widest scheme; the \`edgemirror\` CLI; every fetch checked by SHA-256). ` +
    'MB/s = 10^6 bytes/s of file, median of the runs; "vs raw" (in brackets) divides by one raw libp2p stream between two processes measured in the same run. ' +
    'The fetch goes through a peer holding no shard of the file where there is one. "1 down" and "m down" kill that many holders (lowest shard indexes ' +
    'first: for RS the data shards, so stripes are rebuilt from parity) and fetch the same file again; for ×R, m = R − 1.',
    missing.length > 0 ? `\n${missing.join(', ')}: not measured in this run.\n` : '',
    raw?.rttMs !== undefined ? `\nThe raw stream crossed the emulated WAN from peer ${String(raw.from)} (the entry) to peer ${String(raw.to)}, ${raw.rttMs > 0 ? `RTT ${String(raw.rttMs)} ms` : 'no added delay'}.\n` : '', '',
    table(['scheme', 'share MB/s (vs raw)', 'fetch', 'fetch, 1 down', 'fetch, m down'], perScheme), '',
    rows.length > 0 ? table(['op', 'scheme', 'down', 'MB/s', 'vs raw', 'runs', 'spread', 'peak RSS MiB', 'notes'], rows) : '',
  ])
}

function repairSection (results: BenchResults): string {
  const lines = linesOf(results, 'repair')
  const keys = [...new Set(lines.flatMap(l => Object.keys(l).filter(k => typeof l[k] !== 'object' || l[k] === null)))].filter(k => k !== 'bench' && k !== 'node')
  return section(results, 'repair', '3. Repair: time to full redundancy after a peer dies', () => [
    lines.length > 0 ? table(keys, lines.map(l => keys.map(k => l[k] === undefined ? DASH : String(l[k])))) : '',
  ])
}

function durabilitySection (results: BenchResults): string {
  const lines = linesOf(results, 'durability')
  const check = lines.find(l => l.measurement === 'storj-self-check')
  const { afr, repairHours, repairHoursSource } = results.options
  const loss = lines.filter(l => l.measurement === 'annual-loss')
  const mc = lines.filter(l => l.measurement === 'monte-carlo')
  return section(results, 'durability', '4. Durability: probability of losing a file within a year', () => [
    `Per-peer annual failure rate ${afr * 100} %, repair time ${fixed(repairHours, 4)} h = ${durationText(repairHours * 3_600_000)}: ${repairHoursSource}. ` +
    'Markov model with repair and the binomial no-repair tail from `bench/durability/` (docs/DURABILITY.md). Rows are sorted by overhead: ' +
    'schemes with the same n/k are the fair comparison. Independent failures only, so these are upper bounds on real durability.', '',
    check !== undefined
      ? `**Storj self-check** (whitepaper v3 §3.4, k=20, n=40, p=10 %): computed ${check.computedPercent.toFixed(8)} %, printed ${check.printed} %: ${check.matches === true && check.allRowsMatch === true ? 'matches (all 16 table rows too)' : '**DOES NOT MATCH**'}.\n`
      : '',
    loss.length > 0
      ? table(['scheme', 'n/k', 'losses tolerated', 'P(loss), repair', 'nines', 'no repair', 'MTTDL', 'vs ×3', 'same n/k as'], loss.map(l => [
        l.scheme, fixed(l.overhead), String(l.m), sci(l.lossProbability), fixed(l.nines, 1), sci(l.noRepairLossProbability), `${sci(l.mttdlYears)} y`,
        l.ratioToReplication3 == null ? DASH : sci(l.ratioToReplication3), (l.sameOverheadAs as string[]).join(', ')
      ]))
      : '',
    '',
    mc.length > 0 ? 'Monte Carlo (seeded, Wilson 95 % interval) against the analytic value. "run": this run\'s parameters, where losses are too rare for any feasible trial count and only the upper bound says something; "check": AFR 50 %, 30-day repair, where losses are common and the interval must hold the analytic value.\n' : '',
    mc.length > 0
      ? table(['scheme', 'regime', 'AFR', 'repair h', 'trials', 'losses', 'Monte Carlo [95 %]', 'analytic', 'agrees'], mc.map(l => [
        l.scheme, l.regime, String(l.afr), fixed(l.repairHours, 4), String(l.trials), String(l.losses), `${sci(l.estimate)} [${sci(l.ci95.low)}, ${sci(l.ci95.high)}]`, sci(l.analytic), l.agrees === true ? 'yes' : '**no**'
      ]))
      : '',
  ])
}

function carbonSection (results: BenchResults): string {
  const rows = results.options.schemes.map(parseScheme).flatMap(s => {
    const { blind, aware, carbonOnly } = carbonLines(results, s.k, s.m)
    if (blind === undefined) return []
    return [[s.id, fixed(blind.gco2PerTbMonth, 1), fixed(aware?.gco2PerTbMonth, 1), fixed(aware?.ratioGco2, 3), fixed(carbonOnly?.gco2PerTbMonth, 1),
      `${fixed(blind.medianFetchMs, 1)} → ${fixed(aware?.medianFetchMs, 1)}`]]
  })
  return section(results, 'carbon', '5. Carbon: gCO2 per TB-month of data kept', () => [
    'From `bench:placement` run once per scheme (`--k`, `--m`): 1 file per simulated share placed by `placeShards` on 51 peers, one per capital, ' +
    'each on its country\'s grid (Ember 2024 averages); storage energy 0.215 kWh per TB-month (node/placement/storage-energy.ts). ' +
    'gCO2 are per TB of *file* data, so a scheme\'s overhead is in them. Blind = carbon weight 0; aware = the default weights (carbon 0.5); ' +
    'carbon only = weight 1. The fetch latency column shows what the aware placement costs (median k-th-holder RTT, model in docs/PLACEMENT.md).', '',
    rows.length > 0 ? table(['scheme', 'blind', 'aware (default)', 'aware / blind', 'carbon only', 'median fetch ms blind → aware'], rows) : '',
  ])
}

function cpuSection (results: BenchResults): string {
  const rows = results.options.schemes.map(parseScheme).map(s => {
    const enc = coderLine(results, 'codec-encode', s.k, s.m)
    const dec = coderLine(results, 'codec-reconstruct', s.k, s.m)
    const penc = coderLine(results, 'pipeline-encode', s.k, s.m)
    const pdec = coderLine(results, 'pipeline-decode', s.k, s.m)
    if (enc === undefined && penc === undefined) return [s.id, 'not measured: bench:coder has no such (k, m)', DASH, DASH, DASH, DASH, DASH]
    return [s.id, enc?.codec ?? penc?.codec, fixed(secondsPerGb(enc?.mbPerSec)), fixed(secondsPerGb(dec?.mbPerSec)),
      fixed(secondsPerGb(penc?.mbPerSec)), fixed(secondsPerGb(pdec?.mbPerSec)), fixed(enc?.ratioVsSha256, 2)]
  })
  const sha = linesOf(results, 'cpu').find(l => l.op === 'baseline-sha256')
  return section(results, 'cpu', '6. CPU: encode and decode cost per GB', () => [
    'From `bench:coder`, one core: seconds per 10^9 bytes of file = 1000 / MB/s. "codec" is the erasure code alone; "pipeline" is file → stripes → ' +
    'encode → SHA-256 per block → shard files, and back with m data shards lost (every stripe reconstructed). ' +
    `Baseline in the same run: SHA-256 at ${fixed(sha?.mbPerSec, 0)} MB/s (${fixed(secondsPerGb(sha?.mbPerSec))} s/GB).`, '',
    table(['scheme', 'codec', 'encode s/GB', 'reconstruct s/GB', 'pipeline encode s/GB', 'pipeline decode s/GB', 'encode vs SHA-256'], rows as string[][]),
  ])
}

function noiseSection (results: BenchResults): string {
  const noisy = results.steps.flatMap(st => st.lines.map(l => ({ st: st.step, l, s: spread(l) })))
    .filter((x): x is { st: StepName, l: Line, s: number } => x.s !== undefined).sort((a, b) => b.s - a.s)
  const m = results.machine
  return [
    '## Machine and noise', '',
    `${m.cpuModel}, ${m.cores} cores, ${bytes(m.totalMemoryBytes)} RAM, ${m.os} ${m.arch}, Node.js ${m.node}. ` +
    `Commit \`${m.gitCommit}\`${m.gitDirty ? ' (with uncommitted changes in the tree)' : ''}. ` +
    `Packages: ${Object.entries(m.packages).map(([k, v]) => `${k} ${v ?? 'not installed'}`).join(', ')}.`, '',
    `1-minute load average ${m.loadAvg1mStart.toFixed(2)} at the start, ${m.loadAvg1mEnd.toFixed(2)} at the end` +
    (Math.max(m.loadAvg1mStart, m.loadAvg1mEnd) > m.cores ? ': **the machine was busy with other work**, so absolute MB/s are low and noisy; ratios within this run are the meaningful part.' : '.'),
    '',
    noisy.length > 0
      ? 'Spread between runs, (max − min) / median, largest first:\n\n' + table(['step', 'measurement', 'runs', 'spread'], noisy.slice(0, 8).map(x => [
        x.st, [x.l.op, x.l.scheme ?? x.l.codec, x.l.k != null && x.l.scheme == null ? `(${x.l.k},${x.l.m})` : ''].filter(v => v != null && v !== '').join(' '),
        String((x.l.runsMs ?? x.l.allMs).length), `${(x.s * 100).toFixed(0)} %`
      ]))
      : 'No measurement had more than one run, so the spread between runs is unknown.',
    ''
  ].join('\n')
}

/** The bar charts of the report, each from the same figures as a table. */
export function chartData (results: BenchResults): BarChart[] {
  const schemes = results.options.schemes.map(parseScheme)
  const charts: BarChart[] = []
  const collect = (pick: (s: NamedScheme) => Array<[string, number | null | undefined]>): Bar[] =>
    schemes.flatMap(s => pick(s).filter((p): p is [string, number] => p[1] != null && Number.isFinite(p[1])).map(([series, value]) => ({ x: s.id, series, value })))

  const storage = collect(s => {
    const l = linesOf(results, 'storage').find(x => x.scheme === s.id)
    return [['measured', l?.bytesPerByte], ['n/k', l !== undefined ? (s.k + s.m) / s.k : undefined]]
  })
  if (storage.length > 0) charts.push({ name: 'storage', title: 'Bytes stored per byte shared', xTitle: 'scheme', yTitle: 'bytes stored / byte', bars: storage })

  const speed = collect(s => [
    ['share', speedLine(results, 'share', s)?.mbPerSec], ['fetch', speedLine(results, 'fetch', s)?.mbPerSec],
    ['fetch, 1 down', speedLine(results, 'fetch-degraded', s, 1)?.mbPerSec], ['fetch, m down', speedLine(results, 'fetch-degraded', s, s.m)?.mbPerSec]
  ])
  const raw = linesOf(results, 'speed').find(l => l.op === 'raw-stream')
  if (speed.length > 0) charts.push({ name: 'speed', title: `Share and fetch throughput (${networkName(results)})`, xTitle: 'scheme', yTitle: 'MB/s', bars: speed, rule: raw?.mbPerSec != null ? { value: raw.mbPerSec, label: 'raw libp2p stream' } : undefined })

  const nines = collect(s => {
    const l = linesOf(results, 'durability').find(x => x.measurement === 'annual-loss' && x.scheme === s.id)
    return [['with repair', l?.nines], ['no repair', l != null ? -Math.log10(l.noRepairLossProbability) : undefined]]
  })
  if (nines.length > 0) charts.push({ name: 'durability', title: 'Durability over one year: nines = −log10 P(loss)', xTitle: 'scheme', yTitle: 'nines', bars: nines })

  const carbon = collect(s => {
    const c = carbonLines(results, s.k, s.m)
    return [['carbon-blind', c.blind?.gco2PerTbMonth], ['carbon-aware', c.aware?.gco2PerTbMonth]]
  })
  if (carbon.length > 0) charts.push({ name: 'carbon', title: 'gCO2 per TB-month of data', xTitle: 'scheme', yTitle: 'gCO2 / TB-month', bars: carbon })

  const cpu = collect(s => [['encode', secondsPerGb(coderLine(results, 'codec-encode', s.k, s.m)?.mbPerSec)], ['reconstruct', secondsPerGb(coderLine(results, 'codec-reconstruct', s.k, s.m)?.mbPerSec)]])
  if (cpu.length > 0) charts.push({ name: 'cpu', title: 'Erasure code CPU cost (one core)', xTitle: 'scheme', yTitle: 's / GB', bars: cpu })
  return charts
}

/** The markdown report and its charts; `chartPath(name)` is the link the markdown uses for a chart's SVG file. */
export async function renderReport (results: BenchResults, chartPath: (name: string) => string): Promise<Report> {
  const charts: Chart[] = []
  for (const c of chartData(results)) charts.push({ name: c.name, title: c.title, svg: await renderBarChart(c) })
  const image = (name: string): string => {
    const c = charts.find(x => x.name === name)
    return c !== undefined ? `![${c.title}](${chartPath(name)})\n` : ''
  }
  const { network } = results.options
  const skipped = results.steps.filter(s => s.status !== 'ok').map(s => `- **${s.title}**: ${s.status}. ${s.reason ?? ''}`)
  const markdown = [
    `# edgemirror bench: replication vs erasure coding (${results.startedAt})`, '',
    `\`${results.command}\` on ${results.machine.cpuModel} (${results.machine.cores} cores), commit \`${results.machine.gitCommit.slice(0, 12)}\`` +
    `${results.options.quick ? ', **--quick** sizes' : ''}. Network: ${network.profile === 'loopback' ? `loopback only (${network.reason})` : network.reason}.`, '',
    '## Summary', '',
    table(SUMMARY_HEADER, summaryRows(results)), '',
    'n/k is the nominal overhead; "stored per byte" is measured from the daemons\' stores. Speed: bench:transfer, healthy swarm (degraded fetches in section 2). ' +
    'P(loss): Markov model at the repair time below. Carbon: placement model. CPU: the codec alone, one core. A dash: not measured in this run (see its section).', '',
    ...(skipped.length > 0 ? ['Steps not fully run:', '', ...skipped, ''] : []),
    storageSection(results), image('storage'),
    speedSection(results), image('speed'),
    repairSection(results),
    durabilitySection(results), image('durability'),
    carbonSection(results), image('carbon'),
    cpuSection(results), image('cpu'),
    section(results, 'helia', '7. Helia / IPFS', () => []),
    noiseSection(results)
  ].join('\n')
  return { markdown, charts }
}
