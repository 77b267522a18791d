// The bench report generator on a recorded results file (test/bench/fixtures/bench-results.json: a --quick run cut
// down to RS(4,2) and 3 replicas). Checks the tables and that every chart is well-formed SVG with the expected series.
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { describe, it } from 'node:test'
import { renderReport, SUMMARY_HEADER, summaryRows } from '../../bench/report/markdown.ts'
import { composeRepairTime, describeRepairTime, secondsPerGb, spread, type BenchResults } from '../../bench/report/results.ts'
import { DEAD_AFTER_MS, REPAIR_GRACE_MS } from '../../node/repair/constants.ts'

const results = JSON.parse(await readFile(new URL('./fixtures/bench-results.json', import.meta.url), 'utf8')) as BenchResults

/** Every tag closed in order (or self-closed), one <svg> root: enough to catch a truncated or broken document. */
function assertWellFormedSvg (svg: string): void {
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/)
  assert.ok(svg.trimEnd().endsWith('</svg>'))
  const stack: string[] = []
  for (const [tag, closing, name, selfClosing] of svg.matchAll(/<(\/?)([a-zA-Z][\w:-]*)[^>]*?(\/?)>/g)) {
    if (selfClosing === '/') continue
    if (closing === '/') assert.equal(stack.pop(), name, `unbalanced ${tag}`)
    else stack.push(name)
  }
  assert.deepEqual(stack, [])
}

/** The legend entries and bar labels of a chart: vega writes each bar's fields into its aria-label. */
function barLabels (svg: string): string[] {
  return [...svg.matchAll(/aria-label="([^"]*)"/g)].map(m => m[1]).filter(l => !l.includes('-axis') && !l.startsWith('Symbol legend') && !l.startsWith('Title'))
}

describe('bench report', () => {
  it('summary table: one row per scheme with the measured and modelled figures', () => {
    const rows = summaryRows(results)
    assert.deepEqual(rows.map(r => r[0]), ['rs-4-2', 'replicas-3'])
    const cell = (scheme: string, column: string): string => rows.find(r => r[0] === scheme)?.[SUMMARY_HEADER.indexOf(column)] ?? ''
    assert.equal(cell('rs-4-2', 'n/k'), '1.50')
    assert.equal(cell('rs-4-2', 'stored per byte (measured)'), '1.500')
    assert.equal(cell('replicas-3', 'stored per byte (measured)'), '3.000')
    assert.equal(cell('rs-4-2', 'P(loss in 1 y)'), '1.20e-7')
    assert.equal(cell('replicas-3', 'P(loss in 1 y)'), '6.03e-9')
    assert.equal(cell('rs-4-2', 'gCO2/TB-month blind'), '95.0')
    assert.equal(cell('rs-4-2', 'gCO2/TB-month aware'), '43.0')
    for (const row of rows) for (const c of row) assert.notEqual(c, '', `empty cell in ${row[0]}`)
  })

  it('markdown: every section, the tables, the self-check, the skipped steps and the chart links', async () => {
    const { markdown, charts } = await renderReport(results, name => `./run-${name}.svg`)
    for (const heading of ['## Summary', '## 1. Storage', '## 2. Speed', '## 3. Repair', '## 4. Durability', '## 5. Carbon', '## 6. CPU', '## 7. Helia / IPFS', '## Machine and noise']) {
      assert.ok(markdown.includes(heading), heading)
    }
    assert.ok(markdown.includes(`| ${SUMMARY_HEADER.join(' | ')} |`))
    assert.match(markdown, /\| rs-4-2 \| 3\.75 MiB \| 5\.63 MiB \| 17\.9 KiB \(6 copies\) \| 1\.5000 \|/)
    assert.match(markdown, /\| raw-stream \| raw libp2p stream \|  \| 181\.9 \| 1\.000 \| 3 \|/)
    assert.match(markdown, /\*\*Storj self-check\*\*.*computed 99\.99999981 %, printed 99\.99999981 %: matches/)
    assert.match(markdown, /\| rs-4-2 \| check \| 0\.5 \| 720\.0000 \| 50000 \| \d+ \| .* \| yes \|/)
    assert.match(markdown, /\*\*3\. repair\*\*: skipped\. bench\/repair\.ts does not exist/)
    assert.match(markdown, /## 7\. Helia \/ IPFS\n\n\*\*Skipped:\*\*/)
    assert.match(markdown, /loopback only \(--wan not given\)/)
    assert.match(markdown, /2 cores/)
    assert.match(markdown, /Spread between runs/)
    assert.deepEqual(charts.map(c => c.name), ['storage', 'speed', 'durability', 'carbon', 'cpu'])
    for (const c of charts) assert.ok(markdown.includes(`](./run-${c.name}.svg)`), c.name)
  })

  it('charts: valid SVG with one bar per scheme and series', async () => {
    const { charts } = await renderReport(results, name => name)
    const expected: Record<string, string[]> = {
      storage: ['measured', 'n/k'],
      speed: ['share', 'fetch', 'fetch, m down'], // the fixture predates the 1-down fetch
      durability: ['with repair', 'no repair'],
      carbon: ['carbon-blind', 'carbon-aware'],
      cpu: ['encode', 'reconstruct']
    }
    for (const chart of charts) {
      assertWellFormedSvg(chart.svg)
      const bars = barLabels(chart.svg)
      for (const series of expected[chart.name]) {
        // The legend names the series; the bars carry "scheme: …; series: …" labels.
        assert.ok(chart.svg.includes(`>${series}</text>`), `${chart.name}: legend entry ${series}`)
        const schemes = bars.filter(b => b.endsWith(`series: ${series}`)).map(b => /scheme: ([^;]+)/.exec(b)?.[1])
        assert.ok(schemes.length >= 1, `${chart.name}: bars of ${series}`)
        assert.ok(schemes.every(s => s === 'rs-4-2' || s === 'replicas-3'), `${chart.name}: ${schemes.join(',')}`)
      }
    }
    const carbon = charts.find(c => c.name === 'carbon')
    assert.equal(barLabels(carbon?.svg ?? '').filter(b => b.includes('series:')).length, 4)
    assert.ok(charts.find(c => c.name === 'speed')?.svg.includes('raw libp2p stream'), 'speed chart has the raw-stream baseline')
  })

  it('speed: every scheme with share, fetch, 1 down and m down (m = R − 1 for replication)', async () => {
    // Lines shaped as bench:transfer prints them, figures made up for the test: the table and chart pick them by scheme and down count.
    const speed = (op: string, scheme: string | null, mbPerSec: number, down?: number): Record<string, unknown> =>
      ({ bench: 'transfer', op, scheme, sizeBytes: 1e6, runs: 1, runsMs: [1], mbPerSec, ratioVsRaw: mbPerSec / 100, peers: 14, ...(down !== undefined ? { down } : {}) })
    const schemes = ['replicas-2', 'replicas-3', 'rs-4-2', 'rs-6-3', 'rs-10-4']
    const synthetic: BenchResults = {
      ...results,
      options: { ...results.options, schemes },
      steps: [{
        step: 'speed', title: '2. speed', commands: [], status: 'ok', durationMs: 1,
        lines: [speed('raw-stream', null, 100), ...schemes.flatMap((id, i) => {
          const m = id === 'replicas-2' ? 1 : id === 'rs-10-4' ? 4 : id === 'rs-6-3' ? 3 : 2
          return [speed('share', id, 10 + i), speed('fetch', id, 20 + i), speed('fetch-degraded', id, 30 + i, 1), ...(m > 1 ? [speed('fetch-degraded', id, 40 + i, m)] : [])]
        })]
      }]
    }
    const { markdown, charts } = await renderReport(synthetic, name => name)
    assert.match(markdown, /## 2\. Speed: share and fetch \(loopback\)/)
    assert.match(markdown, /14 daemon processes/)
    assert.match(markdown, /\| replicas-2 \| 10\.0 \(0\.100\) \| 20\.0 \(0\.200\) \| 30\.0 \(0\.300\) \| 30\.0 \(0\.300\), m = 1 \|/)
    assert.match(markdown, /\| rs-10-4 \| 14\.0 \(0\.140\) \| 24\.0 \(0\.240\) \| 34\.0 \(0\.340\) \| 44\.0 \(0\.440\), m = 4 \|/)
    const chart = charts.find(c => c.name === 'speed')?.svg ?? ''
    const wan: BenchResults = {
      ...synthetic,
      options: { ...synthetic.options, network: { profile: 'wan', reason: '--wan: 14 peers: …' } },
      steps: [{ ...synthetic.steps[0], lines: synthetic.steps[0].lines.map(l => l.op === 'raw-stream' ? { ...l, from: 0, to: 13, rttMs: 35 } : l) }]
    }
    const wanReport = (await renderReport(wan, name => name)).markdown
    assert.match(wanReport, /Network: --wan: 14 peers/)
    assert.match(wanReport, /## 2\. Speed: share and fetch \(emulated WAN\)/)
    assert.match(wanReport, /raw stream crossed the emulated WAN from peer 0 \(the entry\) to peer 13, RTT 35 ms/)
    for (const id of schemes) {
      for (const series of ['share', 'fetch', 'fetch, 1 down', 'fetch, m down']) assert.ok(barLabels(chart).some(b => b.includes(`scheme: ${id}`) && b.endsWith(`series: ${series}`)), `${id} ${series}`)
    }
  })

  it('helpers: s/GB and spread', () => {
    assert.equal(secondsPerGb(500), 2)
    assert.equal(secondsPerGb(0), null)
    assert.equal(spread({ runsMs: [100, 100, 200] }), 1)
    assert.equal(spread({ runsMs: [100] }), undefined)
  })

  it('repair time for durability: the daemon\'s default detection plus what bench:repair measured beyond its dead-after', () => {
    const detection = { heartbeat: '500ms', deadAfter: '3s', repairGrace: '0s', repairRate: '200MB/s' }
    const lines = [{ bench: 'repair', scheme: 'replicas-3', medianMs: 4510, detection }, { bench: 'repair', scheme: 'rs-4-2', medianMs: 5070, detection },
      { bench: 'repair', scheme: 'rs-6-3', medianMs: 4990, detection }]
    const t = composeRepairTime(lines)
    assert.ok(t !== undefined)
    assert.equal(t.detectionMs, DEAD_AFTER_MS + REPAIR_GRACE_MS)
    assert.equal(t.benchDeadAfterMs, 3000)
    assert.equal(t.measuredMs, 4990)
    assert.equal(t.dataMovementMs, 1990) // median of 1510, 2070, 1990
    assert.equal(t.totalMs, DEAD_AFTER_MS + REPAIR_GRACE_MS + 1990)
    const text = describeRepairTime(t)
    assert.match(text, /default detection delay 120\.0 s \(--dead-after 60\.0 s \+ --repair-grace 60\.0 s/)
    assert.match(text, /plus 2\.0 s of data movement measured by bench\/repair\.ts \(median time to full redundancy 5\.0 s minus the --dead-after 3\.0 s/)
    assert.match(text, /--repair-rate 200MB\/s, the daemon's default is 5 MB\/s\) = 122\.0 s$/)
    assert.equal(composeRepairTime([{ bench: 'repair', medianMs: null, detection }, { op: 'other' }]), undefined)
  })
})
