// The `npm run bench` orchestrator: argument plumbing into each step's command (no daemons started), and a real run
// of the steps that need no swarm (durability, carbon at tiny sizes) writing JSON, markdown and SVG. No timing asserts.
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { parseRunArgs, runBench, stepCommands } from '../../bench/run.ts'
import { probeNetwork } from '../../bench/wan/netns.ts'
import { parseScheme, parseSchemes, shareFlags } from '../../bench/schemes.ts'

describe('bench schemes', () => {
  it('parses replication and RS ids into (k, m) and share flags', () => {
    assert.deepEqual(parseSchemes(undefined).map(s => [s.id, s.k, s.m]), [
      ['replicas-2', 1, 1], ['replicas-3', 1, 2], ['rs-4-2', 4, 2], ['rs-6-3', 6, 3], ['rs-10-4', 10, 4]
    ])
    assert.deepEqual(shareFlags(parseScheme('replicas-3')), ['--replicas', '3'])
    assert.deepEqual(shareFlags(parseScheme('rs-6-3')), ['--k', '6', '--m', '3'])
    assert.deepEqual(parseSchemes('rs-4-2, replicas-3,rs-4-2').map(s => s.id), ['rs-4-2', 'replicas-3'])
    for (const bad of ['replicas-1', 'rs-4', 'rs-200-100', 'raid5']) assert.throws(() => parseScheme(bad), /unknown scheme/)
  })
})

describe('bench run: argument plumbing', () => {
  const commands = (argv: string[], repairHours = 24): Record<string, string[][] | { skip: string }> => {
    const o = parseRunArgs(argv)
    return Object.fromEntries(o.steps.map(s => [s, stepCommands(s, o, repairHours)]))
  }

  it('--quick reaches every step with its quick sizes, --schemes every scheme-aware step', () => {
    const c = commands(['--quick', '--schemes', 'rs-4-2,replicas-3'])
    assert.deepEqual(c.storage, [['bench/storage.ts', '--schemes', 'rs-4-2,replicas-3', '--quick']])
    assert.deepEqual(c.speed, [['bench/transfer.ts', '--schemes', 'rs-4-2,replicas-3', '--size', '16MiB', '--runs', '3']])
    assert.deepEqual(c.repair, [['bench/repair.ts', '--quick']])
    assert.deepEqual(c.durability, [['bench/annual-loss.ts', '--schemes', 'rs-4-2,replicas-3', '--afr', '0.05', '--repair-hours', '24', '--quick']])
    assert.deepEqual((c.carbon as string[][]).map(a => a.slice(0, 5)), [
      ['bench/placement.ts', '--k', '4', '--m', '2'], ['bench/placement.ts', '--k', '1', '--m', '2']
    ])
    assert.ok((c.carbon as string[][]).every(a => a.includes('--files')))
    assert.deepEqual(c.cpu, [['bench/coder.ts', '--quick', '--size', '16MiB', '--runs', '3']])
    assert.match((c.helia as { skip: string }).skip, /not implemented/)
  })

  it('full sizes without --quick; the repair time and AFR reach the durability step', () => {
    const c = commands(['--afr', '0.02'], 0.5)
    assert.deepEqual(c.storage, [['bench/storage.ts', '--schemes', 'replicas-2,replicas-3,rs-4-2,rs-6-3,rs-10-4']])
    assert.deepEqual(c.speed, [['bench/transfer.ts', '--schemes', 'replicas-2,replicas-3,rs-4-2,rs-6-3,rs-10-4', '--size', '256MiB', '--runs', '3']])
    assert.ok(!(c.carbon as string[][]).some(a => a.includes('--files')))
    assert.deepEqual(c.cpu, [['bench/coder.ts']])
    assert.deepEqual((c.durability as string[][])[0].slice(3, 7), ['--afr', '0.02', '--repair-hours', '0.5'])
  })

  it('rejects unknown steps and out-of-range numbers', () => {
    assert.throws(() => parseRunArgs(['--steps', 'storage,nope']), /unknown step/)
    assert.throws(() => parseRunArgs(['--afr', '1']), /--afr/)
    assert.throws(() => parseRunArgs(['--repair-hours', '0']), /--repair-hours/)
  })

  it('says which network ran, and why it is loopback when --wan cannot run here', async () => {
    assert.deepEqual(await probeNetwork({ wan: false, wanRateOnly: false }), { profile: 'loopback', reason: '--wan not given' })
    for (const [request, profile, flag] of [[{ wan: true, wanRateOnly: false }, 'wan', '--wan'], [{ wan: false, wanRateOnly: true }, 'wan-rate-only', '--wan-rate-only']] as const) {
      const choice = await probeNetwork(request)
      if (choice.profile === 'loopback') {
        assert.match(choice.reason, new RegExp(`^${flag} given, but .+`)) // e.g. not root, or no netem in the kernel
        assert.equal(choice.flag, undefined)
      } else {
        assert.equal(choice.profile, profile)
        assert.equal(choice.flag, flag)
        assert.match(choice.reason, /network namespace .* 100 Mbit\/s/)
      }
    }
  })

  it('passes the WAN flag to the speed and repair steps only, with sizes for 100 Mbit/s', () => {
    const o = { ...parseRunArgs(['--schemes', 'rs-4-2']), networkFlag: '--wan' }
    assert.deepEqual(stepCommands('speed', o, 24), [['bench/transfer.ts', '--schemes', 'rs-4-2', '--size', '32MiB', '--runs', '3', '--wan']])
    assert.deepEqual(stepCommands('speed', { ...o, quick: true }, 24), [['bench/transfer.ts', '--schemes', 'rs-4-2', '--size', '16MiB', '--runs', '3', '--wan']])
    assert.deepEqual(stepCommands('repair', o, 24), [['bench/repair.ts', '--wan']])
    assert.ok(!(stepCommands('storage', o, 24) as string[][])[0].includes('--wan'))
    assert.throws(() => parseRunArgs(['--wan', '--wan-rate-only']), /exclude/)
  })
})

describe('bench run: end to end without a swarm', () => {
  it('runs durability and carbon, skips Helia, writes JSON, markdown and charts', { timeout: 120_000 }, async () => {
    const out = await mkdtemp(join(tmpdir(), 'edgemirror-bench-run-'))
    try {
      const { results, files } = await runBench(['--quick', '--schemes', 'rs-4-2,replicas-3', '--steps', 'durability,carbon,helia', '--out', out])
      assert.deepEqual(results.steps.map(s => [s.step, s.status]), [['durability', 'ok'], ['carbon', 'ok'], ['helia', 'skipped']])
      assert.equal(results.options.repairHoursSource.startsWith('default'), true)
      assert.match(results.machine.gitCommit, /^[0-9a-f]{40}$/)
      assert.ok(results.machine.cores > 0 && results.machine.totalMemoryBytes > 0)
      assert.ok(results.machine.packages.libp2p !== null)
      const check = results.steps[0].lines.find(l => l.measurement === 'storj-self-check')
      assert.equal(check?.matches, true)
      const saved = JSON.parse(await readFile(files[0], 'utf8'))
      assert.deepEqual(saved, JSON.parse(JSON.stringify(results)))
      const markdown = await readFile(files[1], 'utf8')
      assert.match(markdown, /## Summary/)
      assert.match(markdown, /\*\*Skipped:\*\*/)
      assert.deepEqual(files.slice(2).map(f => f.replace(/^.*-/, '')).sort(), ['carbon.svg', 'durability.svg'])
    } finally {
      await rm(out, { recursive: true, force: true })
    }
  })
})
