// `npm run bench:repair`: what the swarm pays to heal one lost holder, for 3 replicas (the baseline), RS(4,2) and
// RS(6,3) on the same amount of data. A loopback swarm of daemon processes (12: k + m = 9 plus spares) with fast
// failure detection; per run a fresh file is shared, one holder is SIGKILLed, and we measure
//   (a) the time from the kill until `check` shows the file at full redundancy again (polled every 100 ms; failure
//       detection, --dead-after, is most of it, so it is printed beside the figure), and
//   (b) repair traffic per byte lost: bytes pushed to the new holder (the sum of every daemon's `bytesRepaired`
//       delta, `status --json`) and bytes read from survivors (k shards for RS, 1 for replication; computed from what
//       the rebuild reads, since the service does not count reads).
// The rebuilt shard must be byte-identical to the one the dead holder had on disk. Every run has a swarm of its own
// (started cold: the first repair of a daemon's life is measured, JIT included), so the victim holds nothing else.
// One JSON line per scheme on stdout (median of --runs), progress on stderr. Docs: docs/BENCHMARKS.md.
//
//   npm run bench:repair -- [--size 64MiB] [--runs 3] [--quick] [--heartbeat 500ms] [--dead-after 3s] [--wan | --wan-rate-only]
//
// --wan: every daemon in a network namespace of its own on 100 Mbit/s links with 20–150 ms round trips (bench/wan/),
// default size 32 MiB; loopback, saying why, where the machine cannot. --wan-rate-only: the same without delay.
import { spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { CheckResult } from '../node/api/types.ts'
import { childEnv, cleanUpOnInterrupt, nodeCommand, scriptArgs } from '../test/harness/daemon-process.ts'
import { parseDuration } from '../node/duration.ts'
import { parseSize } from '../node/size.ts'
import { DaemonSwarm, LOOPBACK, pause, type SwarmNetwork } from '../test/harness/daemon-swarm.ts'
import { pseudoRandomStream } from './pseudo-random.ts'
import { chooseNetwork, type NetworkChoice } from './wan/netns.ts'
import { median } from './measure.ts'

const MIB = 1024 * 1024
const DAEMONS = 12
const ENTRY = 0 // shares, and watches the file with `check`; never the victim
const SCHEMES = [
  { name: 'replicas-3', k: 1, m: 2, args: ['--replicas', '3'] },
  { name: 'rs-4-2', k: 4, m: 2, args: ['--k', '4', '--m', '2'] },
  { name: 'rs-6-3', k: 6, m: 3, args: ['--k', '6', '--m', '3'] }
] as const
const CHECK_EVERY_MS = 100
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url))
const CHECK_POLLER = fileURLToPath(new URL('./check-poller.ts', import.meta.url))
/** On the emulated WAN: every shard crosses a 100 Mbit/s link, so 32 MiB keeps a run to seconds of transfer. */
const WAN_SIZE = 32 * MIB
/** Detection (seconds) plus moving at most a 64 MiB shard on loopback; two minutes means the repair is stuck. */
const REPAIR_DEADLINE_MS = 120_000

interface Settings { size: number, runs: number, heartbeat: string, deadAfter: string, wan: boolean, wanRateOnly: boolean }

function settings (): Settings {
  const { values } = parseArgs({
    options: {
      size: { type: 'string' }, runs: { type: 'string' }, quick: { type: 'boolean' }, heartbeat: { type: 'string' }, 'dead-after': { type: 'string' },
      wan: { type: 'boolean', default: false }, 'wan-rate-only': { type: 'boolean', default: false }
    }
  })
  if (values.wan && values['wan-rate-only']) throw new Error('--wan and --wan-rate-only exclude each other')
  const wan = values.wan || values['wan-rate-only']
  const size = values.quick === true ? 8 * MIB : values.size !== undefined ? parseSize(values.size) : wan ? WAN_SIZE : 64 * MIB
  const runs = Number(values.runs ?? '3')
  if (size < 1) throw new Error('--size must be at least 1B')
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`)
  const heartbeat = values.heartbeat ?? '500ms'
  const deadAfter = values['dead-after'] ?? '3s'
  parseDuration(heartbeat)
  parseDuration(deadAfter)
  return { size, runs, heartbeat, deadAfter, wan: values.wan, wanRateOnly: values['wan-rate-only'] }
}

const benchStarted = performance.now()
function progress (text: string): void {
  process.stderr.write(`[bench:repair +${((performance.now() - benchStarted) / 1000).toFixed(1)}s] ${text}\n`)
}

interface Run {
  ms: number
  shardBytes: number
  bytesPushed: number
  repairsDone: number
}

/** Every index on exactly one holder, k + m distinct holders, none of them `gone`. */
function fullyRedundant (check: CheckResult, gone: string): boolean {
  const held = check.shards.filter(s => s.peer !== null && s.live)
  const n = check.k + check.m
  const perIndex = Array.from({ length: n }, (_, i) => held.filter(s => s.index === i).length)
  return check.healthy && perIndex.every(c => c === 1) && new Set(held.map(s => s.peer)).size === n && !held.some(s => s.peer === gone)
}

async function sumCounters (swarm: DaemonSwarm, daemons: number[]): Promise<{ bytesRepaired: number, repairsDone: number }> {
  const statuses = await Promise.all(daemons.map(async i => await swarm.status(i)))
  return { bytesRepaired: statuses.reduce((n, s) => n + s.bytesRepaired, 0), repairsDone: statuses.reduce((n, s) => n + s.repairsDone, 0) }
}

/** `check CID` of daemon i every CHECK_EVERY_MS, in its network (bench/check-poller.ts): `ready` gives the first
 *  answer, `until` the first that satisfies `done`, with the time it arrived. */
function watchCheck (swarm: DaemonSwarm, i: number, cid: string): { ready: Promise<CheckResult>, until: (done: (c: CheckResult) => boolean) => Promise<{ check: CheckResult, at: number }>, stop: () => void } {
  const options = swarm.processOptions(i)
  const child = spawn(...nodeCommand(scriptArgs(CHECK_POLLER, [swarm.repos[i], cid, String(CHECK_EVERY_MS)]), options.prefix),
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: childEnv(options.env) })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  let pending = ''
  let listener: ((check: CheckResult, at: number) => void) | undefined
  let first: (check: CheckResult) => void = () => {}
  const ready = new Promise<CheckResult>(resolve => { first = resolve })
  child.stdout.on('data', (d: Buffer) => {
    const at = performance.now()
    pending += d.toString()
    const lines = pending.split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) {
      const check = JSON.parse(line) as CheckResult
      first(check)
      listener?.(check, at)
    }
  })
  const exited = new Promise<never>((_resolve, reject) => {
    child.once('exit', (code) => { reject(new Error(`the check poller exited (${String(code)}): ${stderr.trim().slice(-500)}`)) })
  })
  exited.catch(() => {}) // rejected on every exit, also the final one; only a wait that races it sees it
  return {
    ready: Promise.race([ready, exited]),
    until: async (done) => await Promise.race([exited, new Promise<{ check: CheckResult, at: number }>(resolve => {
      listener = (check, at) => { if (done(check)) resolve({ check, at }) }
    })]),
    stop: () => { child.kill('SIGTERM') }
  }
}

async function waitUntil (what: string, deadlineMs: number, everyMs: number, condition: () => Promise<boolean>): Promise<void> {
  const deadline = performance.now() + deadlineMs
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`)
    await pause(everyMs)
  }
}

async function measure (swarm: DaemonSwarm, root: string, scheme: typeof SCHEMES[number], size: number, seed: number): Promise<Run> {
  const input = join(root, `input-${seed}.bin`)
  await pipeline(pseudoRandomStream(seed, size), createWriteStream(input))
  const shared = await swarm.cli(ENTRY, ['share', input, ...scheme.args, '--json'])
  await rm(input)
  if (shared.code !== 0) throw new Error(`share failed (exit ${shared.code}): ${shared.stderr.trim()}`)
  const cid: string = shared.json.cid
  const holders = (shared.json.shards as Array<{ index: number, peer: string }>).map(s => ({ index: s.index, daemon: swarm.byPeer(s.peer) })).sort((a, b) => a.index - b.index)
  const lost = holders.find(h => h.daemon !== ENTRY) as { index: number, daemon: number }
  const victim = swarm.daemons[lost.daemon]
  const lostShard = join(victim.repo, 'store', 'shards', cid, String(lost.index))
  const shardBytes = (await stat(lostShard)).size
  const survivors = swarm.up().filter(i => i !== lost.daemon)
  // The watcher starts while the counters are read: every second between the share and the kill is a second in which
  // a loaded machine's late heartbeat can make the fast detector call a live holder dead.
  const watcher = watchCheck(swarm, ENTRY, cid)
  let before: { bytesRepaired: number, repairsDone: number }
  let healed: CheckResult
  let ms: number
  try {
    before = await sumCounters(swarm, survivors)
    const first = await watcher.ready
    if (!fullyRedundant(first, '') || !first.shards.some(s => s.index === lost.index && s.peer === victim.peerId && s.live)) {
      throw new Error(`before the kill, check no longer showed ${cid} whole with shard ${lost.index} on peer ${lost.daemon}: ` +
        'the swarm was already repairing (a late heartbeat read as a death: the fast --dead-after on a loaded machine); no figure')
    }
    progress(`${scheme.name}: kill peer ${lost.daemon} (shard ${lost.index}, ${shardBytes} bytes)`)
    const killedAt = performance.now()
    await swarm.kill(lost.daemon)
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => { reject(new Error(`timed out after ${REPAIR_DEADLINE_MS} ms waiting for ${cid} back at ${scheme.k + scheme.m} holders`)) }, REPAIR_DEADLINE_MS)
    })
    try {
      const result = await Promise.race([watcher.until(check => fullyRedundant(check, victim.peerId)), deadline])
      healed = result.check
      ms = result.at - killedAt
    } finally {
      clearTimeout(timer)
    }
  } finally {
    watcher.stop()
  }
  // The repairer counts its bytes just after the new holder commits: wait for the counter, not for a fixed time.
  let after = before
  await waitUntil('the repairer to count its repair', REPAIR_DEADLINE_MS, CHECK_EVERY_MS, async () => {
    after = await sumCounters(swarm, survivors)
    return after.repairsDone > before.repairsDone
  })
  const newHolder = swarm.byPeer(healed.shards.find(s => s.index === lost.index && s.live)?.peer ?? '')
  const rebuilt = await readFile(join(swarm.repos[newHolder], 'store', 'shards', cid, String(lost.index)))
  const original = await readFile(lostShard).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err
    throw new Error(`the killed holder's shard file is gone: it deleted it as an extra copy before the kill, so the swarm had rebuilt it already ` +
      '(a late heartbeat read as a death: the fast --dead-after on a loaded machine); no figure')
  })
  if (!rebuilt.equals(original)) throw new Error(`the rebuilt shard ${lost.index} on peer ${newHolder} differs from the lost one`)
  progress(`${scheme.name}: full redundancy ${Math.round(ms)} ms after the kill; shard ${lost.index} rebuilt on peer ${newHolder}, identical`)
  return { ms, shardBytes, bytesPushed: after.bytesRepaired - before.bytesRepaired, repairsDone: after.repairsDone - before.repairsDone }
}

/** One measurement on a swarm of its own: the victim holds a shard of this file and nothing else, so every byte
 *  pushed is this file's repair, and no earlier kill or restart is still settling. */
async function measureOnFreshSwarm (root: string, flags: string[], network: SwarmNetwork, scheme: typeof SCHEMES[number], size: number, seed: number): Promise<Run> {
  const dir = await mkdtemp(join(root, `${scheme.name}-`))
  const swarm = await DaemonSwarm.start({ root: dir, count: DAEMONS, progress, flags: () => flags, network })
  try {
    return await measure(swarm, dir, scheme, size, seed)
  } finally {
    for (const h of await swarm.stop()) progress(`peer ${h.index} did not stop on SIGTERM`)
  }
}

async function main (): Promise<void> {
  const config = settings()
  const { size, runs, heartbeat, deadAfter } = config
  const detection = { heartbeat, deadAfter, repairGrace: '0s', repairRate: '200MB/s' }
  const root = await mkdtemp(join(tmpdir(), 'edgemirror-bench-repair-'))
  const flags = ['--heartbeat', heartbeat, '--dead-after', deadAfter, '--repair-grace', '0s', '--repair-rate', '200MB/s']
  let failed = false
  // Interrupted (Ctrl-C, a test's timeout): daemons stopped, repos removed, and an exit that lets the emulated WAN's
  // exit hook remove its namespaces (and what still runs in them).
  const stopListening = cleanUpOnInterrupt(root)
  // One topology for every run: each run's fresh swarm starts its daemons in the same namespaces.
  const { choice, topology } = await chooseNetwork(config, DAEMONS, progress)
  const network: NetworkChoice = choice
  try {
    progress(`network: ${network.profile} (${network.reason})`)
    progress(`${DAEMONS} daemons per run, ${flags.join(' ')}; ${size} bytes per file, ${runs} run(s) per scheme, a fresh swarm each`)
    let baselineMs: number | undefined
    for (const [s, scheme] of SCHEMES.entries()) {
      const ok: Run[] = []
      const failures: string[] = []
      for (let run = 0; run < runs; run++) {
        try {
          ok.push(await measureOnFreshSwarm(root, flags, topology ?? LOOPBACK, scheme, size, 1000 * (s + 1) + run))
        } catch (err) {
          failures.push((err as Error).message)
          progress(`${scheme.name} run ${run + 1} failed: ${(err as Error).message}`)
        }
      }
      if (failures.length > 0) failed = true
      const medianMs = ok.length > 0 ? Math.round(median(ok.map(r => r.ms))) : null
      if (s === 0 && medianMs !== null) baselineMs = medianMs
      const shardBytes = ok[0]?.shardBytes ?? null
      const bytesPushed = ok.length > 0 ? median(ok.map(r => r.bytesPushed)) : null
      process.stdout.write(`${JSON.stringify({
        bench: 'repair',
        scheme: scheme.name,
        k: scheme.k,
        m: scheme.m,
        sizeBytes: size,
        daemons: DAEMONS,
        runs,
        detection,
        medianMs,
        runsMs: ok.map(r => Math.round(r.ms)),
        /** The time beyond --dead-after: the last heartbeat round, planning, the rebuild and the push. */
        afterDeadMs: medianMs !== null ? medianMs - parseDuration(deadAfter) : null,
        ratioVsReplicationMs: medianMs !== null && baselineMs !== undefined ? Math.round(medianMs / baselineMs * 100) / 100 : null,
        bytesLost: shardBytes,
        bytesPushed,
        pushedPerLost: bytesPushed !== null && shardBytes !== null ? Math.round(bytesPushed / shardBytes * 1000) / 1000 : null,
        theoreticalPushedPerLost: 1,
        bytesRead: shardBytes !== null ? scheme.k * shardBytes : null,
        readPerLost: scheme.k,
        readSource: 'computed: the rebuild reads k whole shards (1 for replication); the service counts no bytes read',
        repairsDone: ok.map(r => r.repairsDone),
        rebuiltIdentical: ok.length,
        failedRuns: failures.length,
        failures,
        node: process.version,
        cpus: availableParallelism(),
        loadAvg1m: Math.round(loadavg()[0] * 10) / 10,
        network: network.profile
      })}\n`)
    }
  } finally {
    await topology?.destroy()
    await rm(root, { recursive: true, force: true })
    stopListening()
  }
  if (failed) process.exitCode = 1
}

main().catch((err) => {
  process.stderr.write(`bench:repair failed: ${(err as Error).stack ?? String(err)}\n`)
  process.exitCode = 1
})
