// Transfer throughput of the whole path a user runs: daemon processes on 127.0.0.1 and the `edgemirror` CLI,
// sharing and fetching a generated file with every scheme asked for, and fetching with 1 and with m holders killed.
// The baseline, measured in the same run, is one raw libp2p stream between two processes with the daemon's own host
// config (bench/raw-stream-peer.ts); share and fetch are reported as ratios against it. Peak RSS (VmHWM) of the CLI
// and of every daemon is reported per measurement, so a large --size shows whether memory stays bounded.
//
//   npm run bench:transfer -- [--size 1GiB] [--runs N] [--quick] [--schemes replicas-2,…,rs-10-4] [--cpu-prof DIR]
//     [--wan | --wan-rate-only] [--no-helia]
//
// Last, if Helia is installed (`npm run bench:helia-install`: bench/helia/, outside the project's tree), Helia side by
// side on loopback (bench/helia-peer.ts): one process adds the same size of file, another cats it over bitswap, and
// each scheme's fetch gets its ratio against that cat; without the install the line says it was skipped and why.
//
// --wan runs every daemon, CLI and raw-stream peer in a network namespace of its own, on 100 Mbit/s links with
// 20–150 ms round trips (bench/wan/); where the machine cannot (not root, no ip/tc, no netem) it says why and runs on
// loopback. --wan-rate-only: the same namespaces and rates, no added delay (for kernels without netem).
//
// One JSON line per measurement on stdout, progress on stderr. MB/s are decimal (10^6 bytes per second).
import { createInterface } from 'node:readline'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { childEnv, CLI_PATH, nodeCommand, scriptArgs, type NodeProcessOptions } from '../test/harness/daemon-process.ts'
import { DEAD_AFTER_MS } from '../node/repair/constants.ts'
import { formatSize, parseSize } from '../node/size.ts'
import { CPU_PROFILE_DIR_ENV } from './cpu-profile.mjs'
import { DaemonSwarm, LOOPBACK, type SwarmNetwork } from '../test/harness/daemon-swarm.ts'
import { pseudoRandomStream } from './pseudo-random.ts'
import { parseSchemes, shareFlags, type NamedScheme } from './schemes.ts'
import { chooseNetwork, type NetworkChoice } from './wan/netns.ts'
import { rttMs } from './wan/profile.ts'
import { median, sha256File } from './measure.ts'
import { heliaDir, heliaMissing, heliaVersion } from './helia-install.ts'

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url))
const RAW_PEER = fileURLToPath(new URL('./raw-stream-peer.ts', import.meta.url))
const HELIA_PEER = fileURLToPath(new URL('./helia-peer.ts', import.meta.url))
const CPU_PROFILE_HOOK = new URL('./cpu-profile.mjs', import.meta.url).href

/** At least six daemons (issue 4's swarm), and one per shard of the widest scheme, so every shard of every scheme
 *  lands on a peer of its own (RS(10,4): 14). */
const MIN_PEERS = 6
const ENTRY = 0 // the daemon `share` talks to, and everyone's bootstrap peer

/** Above this size one run takes long enough (seconds) that its noise is small; below it, take the median of 3. */
const MANY_RUNS_UP_TO = 256 * 1024 * 1024
/** Warm-up (JIT, connections, page cache of the binaries) before anything is timed. */
const WARM_UP_BYTES = 16 * 1024 * 1024
/** How often the CLI's VmHWM is read while it runs. VmHWM is a high-water mark, so sampling only has to catch the
 *  process before it exits; the last sample is the peak unless the final 50 ms allocate more than the whole run. */
const RSS_SAMPLE_MS = 50
/** A command is killed if it moves less than this, with at least 60 s: 5 MB/s is a third of the slowest figure
 *  measured here (17 MB/s, a 4 GiB share at load average 21 on 2 cores), so only a stall gets there. */
const SLOWEST_BYTES_PER_MS = 5_000
/** On the emulated WAN a share sends up to R − 1 copies through one 100 Mbit/s (12.5 MB/s) uplink: 1 MB/s is an
 *  eighth of the slowest of those (×3 from a holder, 6.25 MB/s). */
const SLOWEST_WAN_BYTES_PER_MS = 1_000
const MIB = 1024 * 1024
/** The default size on the emulated WAN: minutes, not hours, at 100 Mbit/s for every scheme and run. */
const WAN_SIZE = 32 * MIB

interface Settings { size: number, runs: number, cpuProf: string | undefined, schemes: NamedScheme[], wan: boolean, wanRateOnly: boolean, noHelia: boolean }

function settings (): Settings {
  const { values } = parseArgs({
    options: {
      size: { type: 'string' }, runs: { type: 'string' }, quick: { type: 'boolean' }, 'cpu-prof': { type: 'string' }, schemes: { type: 'string' },
      wan: { type: 'boolean', default: false }, 'wan-rate-only': { type: 'boolean', default: false }, 'no-helia': { type: 'boolean', default: false }
    }
  })
  if (values.wan && values['wan-rate-only']) throw new Error('--wan and --wan-rate-only exclude each other')
  const wan = values.wan || values['wan-rate-only']
  const size = values.quick === true ? (wan ? WAN_SIZE : 64 * MIB) : values.size !== undefined ? parseSize(values.size) : wan ? WAN_SIZE : 1024 * MIB
  const runs = values.runs !== undefined ? Number(values.runs) : values.quick === true ? 1 : size <= MANY_RUNS_UP_TO ? 3 : 1
  if (size < 1) throw new Error('--size must be at least 1B')
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`)
  return { size, runs, cpuProf: values['cpu-prof'], schemes: parseSchemes(values.schemes), wan: values.wan, wanRateOnly: values['wan-rate-only'], noHelia: values['no-helia'] }
}

const benchStarted = performance.now()
function progress (text: string): void {
  process.stderr.write(`[bench:transfer +${((performance.now() - benchStarted) / 1000).toFixed(1)}s] ${text}\n`)
}

const round = (value: number, digits = 1): number => Number(value.toFixed(digits))
const mbPerSec = (bytes: number, ms: number): number => bytes / 1e6 / (ms / 1000)

/** Peak resident set (VmHWM) of a live process in MiB; undefined once it has gone. */
async function peakRssMiB (pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined)
  const kib = status !== undefined ? /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1] : undefined
  return kib !== undefined ? Number(kib) / 1024 : undefined
}

/** Clock ticks per second of /proc/<pid>/stat's CPU times: USER_HZ, 100 on Linux (proc(5), sysconf(_SC_CLK_TCK)). */
const CLOCK_TICKS_PER_SECOND = 100

/** CPU time a live process has used so far, user + system, all its threads (proc(5): utime and stime, fields 14 and
 *  15 of /proc/<pid>/stat), in seconds; undefined once it has gone. */
async function cpuSeconds (pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined)
  if (stat === undefined) return undefined
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ') // after "pid (comm) ": field 3 is at index 0
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND
}

/** Restart a process's high-water mark from its current RSS (proc(5), clear_refs "5"), so each measurement has its own peak. */
async function resetPeakRss (pid: number): Promise<void> {
  await writeFile(`/proc/${pid}/clear_refs`, '5')
}

/** `cpuSeconds`: the child's CPU time at its last sample (every RSS_SAMPLE_MS), so at most that much short. */
interface Measured { stdout: string, ms: number, peakRssMiB: number, cpuSeconds: number }

/** A child that failed; `summary` is what goes into the JSON line (the CLI's error code and message when it gave one). */
class CommandError extends Error {
  readonly summary: string
  constructor (command: string, reason: string, stderr: string, readonly peakRssMiB: number) {
    super(`${command} failed (${reason}): ${stderr.trim()}`)
    let cliError: { code?: string, message?: string } | undefined
    try {
      cliError = (JSON.parse(stderr) as { error?: { code?: string, message?: string } }).error
    } catch {} // not --json output: a crash or a usage error
    const tail = stderr.trim().split('\n').slice(-3).join(' ').slice(0, 300)
    this.summary = cliError !== undefined ? `${cliError.code ?? 'ERR_UNKNOWN'}: ${cliError.message ?? ''}` : tail !== '' ? `${reason}: ${tail}` : reason
  }
}

/** Run a Node.js process to completion, timing it from spawn to exit and sampling its peak RSS while it runs. */
async function runMeasured (args: string[], timeoutMs: number, options: NodeProcessOptions = {}): Promise<Measured> {
  const started = performance.now()
  const child = spawn(...nodeCommand(args, options.prefix), { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: childEnv(options.env) })
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  let peak = 0
  let cpu = 0
  const sample = async (): Promise<void> => {
    peak = Math.max(peak, (await peakRssMiB(child.pid ?? 0)) ?? 0)
    cpu = Math.max(cpu, (await cpuSeconds(child.pid ?? 0)) ?? 0)
  }
  const sampler = setInterval(() => { sample().catch(() => {}) }, RSS_SAMPLE_MS)
  const killer = setTimeout(() => { child.kill('SIGKILL') }, timeoutMs)
  try {
    const [code, signal] = await exited
    const ms = performance.now() - started
    const reason = `${signal ?? `exit ${String(code)}`}${signal === 'SIGKILL' ? `, killed after ${timeoutMs} ms without finishing` : ''}`
    if (code !== 0) throw new CommandError(args.slice(-8).join(' '), reason, stderr, peak)
    return { stdout, ms, peakRssMiB: peak, cpuSeconds: cpu }
  } finally {
    clearInterval(sampler)
    clearTimeout(killer)
  }
}

/** The environment that makes a Node.js child write a CPU profile into `dir` when it exits (bench/cpu-profile.mjs). */
function cpuProfileEnv (dir: string): NodeJS.ProcessEnv {
  return { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${CPU_PROFILE_HOOK}`.trim(), [CPU_PROFILE_DIR_ENV]: dir }
}

function timeoutFor (bytes: number): number {
  return Math.max(60_000, Math.round(bytes / (networkChoice.profile === 'loopback' ? SLOWEST_BYTES_PER_MS : SLOWEST_WAN_BYTES_PER_MS)))
}

/** A pseudo-random file of `size` bytes, written chunk by chunk; returns its SHA-256. */
async function generateFile (path: string, size: number, seed: number): Promise<string> {
  const hash = createHash('sha256')
  await pipeline(async function * () {
    for await (const chunk of pseudoRandomStream(seed, size)) {
      hash.update(chunk)
      yield chunk
    }
  }, createWriteStream(path))
  return hash.digest('hex')
}

/** Things to stop when the bench ends, however it ends. */
class Cleanup {
  private readonly steps: Array<() => Promise<void>> = []
  private done: Promise<void> = Promise.resolve()
  add (step: () => Promise<void>): void { this.steps.push(step) }
  /** Last added first, each step once. A SIGINT runs this while main() is still going, and main()'s finally runs it
   *  again: the second call waits for the first and runs only the steps added since, never one twice or two at once. */
  async run (): Promise<void> {
    this.done = this.done.then(async () => {
      for (let step = this.steps.pop(); step !== undefined; step = this.steps.pop()) {
        await step().catch((err) => { progress(`cleanup: ${(err as Error).message}`) })
      }
    })
    await this.done
  }
}

interface Line {
  op: 'raw-stream' | 'share' | 'fetch' | 'fetch-degraded' | 'helia-add' | 'helia-cat'
  scheme: string | null
  sizeBytes: number
  /** Wall time of each run that succeeded (and, for fetches, returned the right bytes). */
  ms: number[]
  /** Why the other runs failed; they count in no figure. */
  failures?: string[]
  rawMbPerSec: number | undefined
  /** By role; failed runs count too. Null when nothing ran. */
  peakRssMiB: Record<string, number> | null
  /** CPU seconds per GB moved, by role and in total (every process of the operation). */
  cpuSecPerGB?: Record<string, number> | null
  extra?: Record<string, unknown>
}

/** Print a measurement; returns its MB/s (NaN when every run failed). */
function emit (line: Line): number {
  const medianMs = line.ms.length > 0 ? median(line.ms) : NaN
  const rate = mbPerSec(line.sizeBytes, medianMs)
  const figure = (value: number, digits?: number): number | null => Number.isFinite(value) ? round(value, digits) : null
  process.stdout.write(`${JSON.stringify({
    bench: 'transfer',
    op: line.op,
    scheme: line.scheme,
    sizeBytes: line.sizeBytes,
    runs: line.ms.length,
    medianMs: figure(medianMs),
    runsMs: line.ms.map(ms => round(ms)),
    mbPerSec: figure(rate),
    ratioVsRaw: line.rawMbPerSec !== undefined ? figure(rate / line.rawMbPerSec, 3) : 1,
    ...(line.failures !== undefined && line.failures.length > 0 ? { failedRuns: line.failures.length, failures: line.failures } : {}),
    peakRssMiB: line.peakRssMiB !== null ? Object.fromEntries(Object.entries(line.peakRssMiB).map(([role, mib]) => [role, round(mib)])) : null,
    ...(line.cpuSecPerGB != null ? { cpuSecPerGB: Object.fromEntries(Object.entries(line.cpuSecPerGB).map(([role, s]) => [role, round(s, 2)])) } : {}),
    ...line.extra,
    node: process.version,
    cpus: availableParallelism(),
    loadAvg1m: round(loadavg()[0], 2),
    network: networkChoice.profile
  })}\n`)
  return rate
}

/** A child that serves until SIGTERM (the raw-stream sink, the Helia adder): `ready` is the JSON line it prints once
 *  it serves; `stop()` ends it and waits for it, and the cleanup does the same if the bench ends first. */
interface ServingPeer { pid: number, ready: Record<string, unknown>, stop: () => Promise<void> }

async function startServingPeer (what: string, args: string[], cleanup: Cleanup, env: NodeJS.ProcessEnv, prefix?: string[]): Promise<ServingPeer> {
  const child = spawn(...nodeCommand(args, prefix), { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: childEnv(env) })
  const exited = once(child, 'exit')
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    await exited
  }
  cleanup.add(stop)
  // A child that dies before it is ready must fail the bench (and so run the cleanup), not leave it waiting.
  // Its first line, however the pipe splits it.
  const [ready] = await Promise.race([
    once(createInterface({ input: child.stdout }), 'line') as Promise<[string]>,
    exited.then(([code]) => { throw new Error(`the ${what} exited (${String(code)}) before it was ready`) })
  ])
  return { pid: child.pid ?? 0, ready: JSON.parse(ready) as Record<string, unknown>, stop }
}

/** The baseline: `size` bytes over one libp2p stream from a sender process to a sink process, `runs` times. On the
 *  emulated WAN the sender runs in the entry peer's namespace and the sink in the last peer's, across the same
 *  links as the swarm's traffic. */
async function measureRawStream (size: number, runs: number, cleanup: Cleanup, profileEnv: NodeJS.ProcessEnv, network: SwarmNetwork, sinkPeer: number, link: Record<string, unknown>): Promise<number> {
  const sink = await startServingPeer('raw-stream sink', scriptArgs(RAW_PEER, ['sink', `/ip4/${network.host(sinkPeer)}/tcp/0`]), cleanup, profileEnv, network.prefix(sinkPeer))
  const { addresses } = sink.ready as { addresses: string[] }
  const ms: number[] = []
  let sender = 0
  let sinkPeak = 0
  const cpu = { sender: 0, sink: 0 }
  for (let run = 0; run < runs; run++) {
    await resetPeakRss(sink.pid)
    const sinkCpu = (await cpuSeconds(sink.pid)) ?? 0
    const result = await runMeasured(scriptArgs(RAW_PEER, ['send', addresses[0], String(size), String(Math.min(WARM_UP_BYTES, size))]), timeoutFor(size), { env: profileEnv, prefix: network.prefix(ENTRY) })
    ms.push((JSON.parse(result.stdout) as { ms: number }).ms)
    sender = Math.max(sender, result.peakRssMiB)
    sinkPeak = Math.max(sinkPeak, (await peakRssMiB(sink.pid)) ?? 0)
    cpu.sender += result.cpuSeconds
    cpu.sink += ((await cpuSeconds(sink.pid)) ?? sinkCpu) - sinkCpu
    progress(`raw stream run ${run + 1}/${runs}: ${round(mbPerSec(size, ms[run]))} MB/s`)
  }
  // The sender's figure includes its warm-up bytes and its start (tsx, libp2p); the sink's is the measured bytes only.
  const perGB = (seconds: number): number => seconds / (runs * size / 1e9)
  const cpuSecPerGB = { total: perGB(cpu.sender + cpu.sink), sender: perGB(cpu.sender), sink: perGB(cpu.sink) }
  return emit({ op: 'raw-stream', scheme: null, sizeBytes: size, ms, rawMbPerSec: undefined, peakRssMiB: { sender, sink: sinkPeak }, cpuSecPerGB, extra: { from: ENTRY, to: sinkPeer, ...link } })
}

interface HeliaRun { ms: number, addMs: number, addCpuSeconds: number, addPeakMiB: number, catCpuSeconds: number, servePeakMiB: number, serveCpuSeconds: number, catPeakMiB: number }

/** One Helia run: an adder process adds the file and serves it, a fetcher process cats it from the adder (the bytes
 *  checked against the input's SHA-256: a wrong file has no throughput); both stopped before it returns. */
async function heliaRun (file: string, sha256: string, size: number, store: string, cleanup: Cleanup, env: NodeJS.ProcessEnv): Promise<HeliaRun> {
  try {
    const adder = await startServingPeer('Helia adder', scriptArgs(HELIA_PEER, ['add', file, join(store, 'adder'), String(Math.min(WARM_UP_BYTES, size))]), cleanup, env)
    try {
      const added = adder.ready as { cid: string, warmUpCid?: string, addresses: string[], ms: number }
      // The adder's CPU so far counts for the add: its start and warm-up too, as the raw-stream sender's does.
      const addCpuSeconds = (await cpuSeconds(adder.pid)) ?? 0
      const addPeakMiB = (await peakRssMiB(adder.pid)) ?? 0
      await resetPeakRss(adder.pid)
      const cat = await runMeasured(scriptArgs(HELIA_PEER, ['cat', added.cid, added.addresses[0], join(store, 'fetcher'), ...(added.warmUpCid !== undefined ? [added.warmUpCid] : [])]), timeoutFor(size), { env })
      const serveCpuSeconds = ((await cpuSeconds(adder.pid)) ?? addCpuSeconds) - addCpuSeconds
      const got = JSON.parse(cat.stdout) as { bytes: number, ms: number, sha256: string }
      if (got.bytes !== size || got.sha256 !== sha256) throw new Error(`Helia cat ${added.cid}: ${got.bytes} bytes, sha256 ${got.sha256}; the input's is ${size} bytes, ${sha256}`)
      return { ms: got.ms, addMs: added.ms, addCpuSeconds, addPeakMiB, catCpuSeconds: cat.cpuSeconds, catPeakMiB: cat.peakRssMiB, serveCpuSeconds, servePeakMiB: (await peakRssMiB(adder.pid)) ?? 0 }
    } finally {
      await adder.stop()
    }
  } finally {
    await rm(store, { recursive: true, force: true })
  }
}

/** Why Helia is left out of this run, or undefined when it runs. */
function heliaSkipped (settings: Settings, dir: string): string | undefined {
  if (settings.noHelia) return '--no-helia given'
  if (settings.wan) return 'Helia runs on loopback only (bench/helia/helia-node.mjs), not on the emulated WAN'
  return heliaMissing(dir)
}

/** Helia side by side (issue #18): the same size, `runs` times, a fresh adder and fetcher each run, on loopback.
 *  Returns the cat's MB/s, or undefined when Helia is skipped (the line says why) or every run failed. */
async function measureHelia (settings: Settings, root: string, cleanup: Cleanup, env: NodeJS.ProcessEnv, raw: number): Promise<number | undefined> {
  const { size, runs } = settings
  const dir = heliaDir()
  const skipped = heliaSkipped(settings, dir)
  if (skipped !== undefined) {
    process.stdout.write(`${JSON.stringify({ bench: 'transfer', op: 'helia-cat', skipped })}\n`)
    return undefined
  }
  const file = join(root, 'helia-input.bin')
  const sha256 = await generateFile(file, size, 1) // seed 1: the bytes of the first scheme's first share
  try {
    const result = await repeat('helia-cat', size, runs, async run => await heliaRun(file, sha256, size, join(root, `helia-${run}`), cleanup, env))
    const ok = result.ok
    const perGB = (seconds: number): number => seconds / (ok.length * size / 1e9)
    const sum = (pick: (r: HeliaRun) => number): number => ok.reduce((total, r) => total + pick(r), 0)
    const max = (pick: (r: HeliaRun) => number): number => Math.max(0, ...ok.map(pick))
    const extra = { helia: await heliaVersion(dir), blockstore: 'fs' }
    const measured = ok.length > 0
    emit({ op: 'helia-add', scheme: null, sizeBytes: size, ms: ok.map(r => r.addMs), failures: result.failures, rawMbPerSec: raw, peakRssMiB: measured ? { adder: max(r => r.addPeakMiB) } : null, cpuSecPerGB: measured ? { adder: perGB(sum(r => r.addCpuSeconds)) } : null, extra })
    const rate = emit({
      op: 'helia-cat', scheme: null, sizeBytes: size, ms: ok.map(r => r.ms), failures: result.failures, rawMbPerSec: raw,
      peakRssMiB: measured ? { fetcher: max(r => r.catPeakMiB), adder: max(r => r.servePeakMiB) } : null,
      cpuSecPerGB: measured ? { total: perGB(sum(r => r.catCpuSeconds + r.serveCpuSeconds)), fetcher: perGB(sum(r => r.catCpuSeconds)), adder: perGB(sum(r => r.serveCpuSeconds)) } : null,
      extra
    })
    return Number.isFinite(rate) ? rate : undefined
  } finally {
    await rm(file, { force: true })
  }
}

/** The daemons of the run (test/harness/daemon-swarm.ts) and the CLI runs against them, timed and with peak RSS. */
class Swarm {
  private constructor (readonly daemons: DaemonSwarm) {}

  static async start (root: string, peers: number, cleanup: Cleanup, profileEnv: NodeJS.ProcessEnv, network: SwarmNetwork): Promise<Swarm> {
    // Default daemon flags: transfer measures what a user's swarm does, and the degraded fetches end long before
    // the default --dead-after would start a repair (each line says how long its holders were down).
    const daemons = await DaemonSwarm.start({ root, count: peers, env: profileEnv, network, progress })
    cleanup.add(async () => { for (const h of await daemons.stop()) progress(`peer ${h.index} did not stop on SIGTERM`) })
    return new Swarm(daemons)
  }

  get size (): number { return this.daemons.size }

  /** `edgemirror ...args` against daemon i, in its network (the control API is on its 127.0.0.1). */
  async cli (i: number, args: string[], bytes: number): Promise<Measured> {
    return await runMeasured([CLI_PATH, ...args, '--repo', this.daemons.repos[i], '--json'], timeoutFor(bytes), this.daemons.processOptions(i))
  }

  /** Run `edgemirror ...args` against daemon `entry`, every live daemon's peak RSS restarted first and read after,
   *  into `peaks` even when the command fails (a run that fails for lack of memory is the one to see). */
  async run (entry: number, args: string[], bytes: number, peaks: Peaks): Promise<Measured> {
    const live = this.daemons.up().map(i => this.daemons.daemons[i])
    const entryDaemon = this.daemons.daemons[entry]
    await Promise.all(live.map(async d => { await resetPeakRss(d.pid) }))
    const cpuBefore = await Promise.all(live.map(async d => (await cpuSeconds(d.pid)) ?? 0))
    let cli = 0
    try {
      const result = await this.cli(entry, args, bytes)
      cli = result.peakRssMiB
      const cpuAfter = await Promise.all(live.map(async (d, i) => (await cpuSeconds(d.pid)) ?? cpuBefore[i]))
      const used = live.map((d, i) => ({ d, seconds: cpuAfter[i] - cpuBefore[i] }))
      peaks.addCpu(bytes, result.cpuSeconds, used.find(u => u.d === entryDaemon)?.seconds ?? 0, used.filter(u => u.d !== entryDaemon).reduce((sum, u) => sum + u.seconds, 0))
      return result
    } catch (err) {
      if (err instanceof CommandError) cli = err.peakRssMiB
      for (const [i, d] of this.daemons.daemons.entries()) { // its log lines (docs/LOGS.md), and detail if DEBUG=edgemirror:* was set
        const log = d.stderr().trim()
        if (log !== '') progress(`peer ${i}'s log ends:\n${log.slice(-3000)}`)
      }
      throw err
    } finally {
      const daemonPeaks = await Promise.all(live.map(async d => [d, (await peakRssMiB(d.pid)) ?? 0] as const))
      const others = daemonPeaks.filter(([d]) => d !== entryDaemon).map(([, mib]) => mib)
      peaks.add(cli, daemonPeaks.find(([d]) => d === entryDaemon)?.[1] ?? 0, Math.max(0, ...others))
    }
  }
}

/** Peak RSS across runs, by role; and CPU time per GB over the runs that succeeded. */
class Peaks {
  private measured = false
  readonly byRole: Record<string, number> = { cli: 0, daemonMax: 0, entryDaemon: 0, otherDaemons: 0 }
  private readonly cpu = { bytes: 0, cli: 0, entryDaemon: 0, otherDaemons: 0 }
  /** Null when no run got as far as measuring. */
  figures (): Record<string, number> | null {
    return this.measured ? this.byRole : null
  }

  /** CPU seconds per GB: the CLI, the daemon it drove, all other daemons together, and the sum. Null before any run. */
  cpuFigures (): Record<string, number> | null {
    const { bytes, cli, entryDaemon, otherDaemons } = this.cpu
    if (bytes === 0) return null
    const perGB = (seconds: number): number => seconds / (bytes / 1e9)
    return { total: perGB(cli + entryDaemon + otherDaemons), cli: perGB(cli), entryDaemon: perGB(entryDaemon), otherDaemons: perGB(otherDaemons) }
  }

  addCpu (bytes: number, cli: number, entryDaemon: number, otherDaemons: number): void {
    this.cpu.bytes += bytes
    this.cpu.cli += cli
    this.cpu.entryDaemon += entryDaemon
    this.cpu.otherDaemons += otherDaemons
  }

  add (cli: number, entryDaemon: number, otherDaemons: number): void {
    const b = this.byRole
    this.measured = true
    b.cli = Math.max(b.cli, cli)
    b.entryDaemon = Math.max(b.entryDaemon, entryDaemon)
    b.otherDaemons = Math.max(b.otherDaemons, otherDaemons)
    b.daemonMax = Math.max(b.entryDaemon, b.otherDaemons)
  }
}

interface Shared { cid: string, sha256: string, shards: Array<{ index: number, peer: string }> }

async function share (swarm: Swarm, root: string, scheme: NamedScheme, size: number, seed: number, peaks: Peaks): Promise<Shared & { ms: number }> {
  const file = join(root, `input-${seed}.bin`)
  const sha256 = await generateFile(file, size, seed)
  try {
    const result = await swarm.run(ENTRY, ['share', file, ...shareFlags(scheme)], size, peaks)
    const shared = JSON.parse(result.stdout) as Omit<Shared, 'sha256'>
    return { ...shared, sha256, ms: result.ms }
  } finally {
    await rm(file, { force: true })
  }
}

/** Fetch through daemon `reader`, check the bytes against the input's SHA-256: a wrong file has no throughput. */
async function fetch (swarm: Swarm, root: string, shared: Shared, reader: number, size: number, peaks: Peaks): Promise<{ ms: number, rebuilt: number[], missing: number[] }> {
  const out = join(root, 'fetched.bin')
  try {
    const result = await swarm.run(reader, ['fetch', shared.cid, '-o', out], size, peaks)
    const copy = await sha256File(out)
    if (copy !== shared.sha256) throw new Error(`fetched ${shared.cid}: sha256 ${copy}, the input's is ${shared.sha256}`)
    const report = JSON.parse(result.stdout) as { rebuilt: number[], missing: number[] }
    return { ms: result.ms, rebuilt: report.rebuilt, missing: report.missing }
  } finally {
    await rm(out, { force: true })
  }
}

/** The daemon a file is fetched through: one that holds none of its shards where there is one (a reader that
 *  holds shards reads them from its own disk, which no user far from the file gets), else the last peer. */
export function chooseReader (holders: number[], peers: number, entry: number): number {
  const candidates = Array.from({ length: peers }, (_, i) => peers - 1 - i).filter(i => i !== entry)
  return candidates.find(i => !holders.includes(i)) ?? candidates[0]
}

/** Which daemons to kill, in order, so that `down` holders of a file are gone: holders of the lowest shard indexes
 *  first (for RS the data shards, so every stripe must be rebuilt from parity: the reader's worst case), never the
 *  reader (it serves the CLI), the entry peer only when no other holder is left. */
export function chooseVictims (shards: Array<{ index: number, daemon: number }>, down: number, reader: number, entry: number): number[] {
  const byIndex = [...shards].sort((a, b) => a.index - b.index).map(s => s.daemon)
  const holders = [...new Set(byIndex)].filter(d => d !== reader)
  const ordered = [...holders.filter(d => d !== entry), ...holders.filter(d => d === entry)]
  if (ordered.length < down) throw new Error(`only ${ordered.length} holder(s) besides the reader, cannot take ${down} down`)
  return ordered.slice(0, down)
}

let failed = 0
/** The network of this run, printed on every line. */
let networkChoice: NetworkChoice = { profile: 'loopback', reason: 'no --wan given' }

/** `runs` runs of one measurement. A failed run is reported and counted, never retried: it is a result too. */
async function repeat<T extends { ms: number }> (what: string, size: number, runs: number, run: (run: number) => Promise<T>): Promise<{ ok: T[], failures: string[] }> {
  const ok: T[] = []
  const failures: string[] = []
  for (let i = 0; i < runs; i++) {
    try {
      ok.push(await run(i))
      progress(`${what} run ${i + 1}/${runs}: ${round(mbPerSec(size, ok[ok.length - 1].ms))} MB/s`)
    } catch (err) {
      failed++
      failures.push(err instanceof CommandError ? err.summary : (err as Error).message)
      progress(`${what} run ${i + 1}/${runs} FAILED: ${(err as Error).message}`)
    }
  }
  return { ok, failures }
}

/** Share, fetch, and fetch with 1 and with m holders down, for one scheme. Killed holders are restarted after,
 *  unless `last` (the swarm is stopped next anyway). Returns the fetch's MB/s (NaN when every fetch failed). */
async function measureScheme (swarm: Swarm, root: string, scheme: NamedScheme, settings: Settings, raw: number, seeds: () => number, last: boolean): Promise<number> {
  const { size, runs } = settings
  const about = { k: scheme.k, m: scheme.m, peers: swarm.size }
  const sharePeaks = new Peaks()
  const shares = await repeat(`share ${scheme.id}`, size, runs, async () => await share(swarm, root, scheme, size, seeds(), sharePeaks))
  emit({ op: 'share', scheme: scheme.id, sizeBytes: size, ms: shares.ok.map(s => s.ms), failures: shares.failures, rawMbPerSec: raw, peakRssMiB: sharePeaks.figures(), cpuSecPerGB: sharePeaks.cpuFigures(), extra: about })
  const holdersOf = (s: Shared): Array<{ index: number, daemon: number }> => s.shards.map(x => ({ index: x.index, daemon: swarm.daemons.byPeer(x.peer) }))
  const readerOf = (s: Shared): number => chooseReader(holdersOf(s).map(h => h.daemon), swarm.size, ENTRY)
  const heldBy = (s: Shared, reader: number): number[] => holdersOf(s).filter(h => h.daemon === reader).map(h => h.index).sort((a, b) => a - b)
  const nothing = 'no share run succeeded, so there was nothing to fetch'

  const fetchPeaks = new Peaks()
  const fetches = await repeat(`fetch ${scheme.id}`, size, shares.ok.length, async run => await fetch(swarm, root, shares.ok[run], readerOf(shares.ok[run]), size, fetchPeaks))
  const first = shares.ok[0] as Shared | undefined
  const fetchRate = emit({
    op: 'fetch', scheme: scheme.id, sizeBytes: size, ms: fetches.ok.map(f => f.ms), failures: fetches.failures, rawMbPerSec: raw, peakRssMiB: fetchPeaks.figures(), cpuSecPerGB: fetchPeaks.cpuFigures(),
    extra: { ...about, ...(first === undefined ? { skipped: nothing } : { reader: readerOf(first), readerHolds: heldBy(first, readerOf(first)) }) }
  })

  // 1 holder down, then m (the most the scheme survives); the same count once when m = 1.
  const downCounts = [...new Set([1, scheme.m])]
  if (first === undefined) {
    for (const down of downCounts) emit({ op: 'fetch-degraded', scheme: scheme.id, sizeBytes: size, ms: [], rawMbPerSec: raw, peakRssMiB: null, extra: { ...about, down, skipped: nothing } })
    return fetchRate
  }
  const reader = readerOf(first)
  const victims = chooseVictims(holdersOf(first), scheme.m, reader, ENTRY)
  let killedAt = 0
  try {
    for (const down of downCounts) {
      const now = victims.slice(0, down).filter(i => swarm.daemons.state(i) === 'up')
      progress(`${scheme.id}: killing peer(s) ${now.join(', ')} (holders of ${first.cid}); ${down} down`)
      for (const i of now) await swarm.daemons.kill(i)
      if (killedAt === 0) killedAt = performance.now()
      const peaks = new Peaks()
      const degraded = await repeat(`fetch-degraded ${scheme.id} (${down} down)`, size, runs, async () => await fetch(swarm, root, first, reader, size, peaks))
      const report = degraded.ok.at(-1)
      const downForMs = performance.now() - killedAt
      emit({
        op: 'fetch-degraded', scheme: scheme.id, sizeBytes: size, ms: degraded.ok.map(f => f.ms), failures: degraded.failures, rawMbPerSec: raw, peakRssMiB: peaks.figures(), cpuSecPerGB: peaks.cpuFigures(),
        extra: {
          ...about, down, victims: victims.slice(0, down), reader, readerHolds: heldBy(first, reader), missing: report?.missing ?? null, rebuilt: report?.rebuilt ?? null,
          downForMs: round(downForMs, 0),
          // Past the daemon's default dead-after a repair may have put the lost shards back, and then this is no
          // longer a degraded fetch.
          ...(downForMs >= DEAD_AFTER_MS ? { repairMayHaveStarted: true } : {})
        }
      })
    }
  } finally {
    if (!last) {
      progress(`${scheme.id}: restarting peer(s) ${victims.join(', ')}`)
      for (const i of victims) if (swarm.daemons.state(i) === 'killed') await swarm.daemons.restart(i)
      await swarm.daemons.waitForMesh()
    }
  }
  return fetchRate
}

async function main (): Promise<void> {
  const config = settings()
  const { size, runs, cpuProf, schemes } = config
  const peers = Math.max(MIN_PEERS, ...schemes.map(s => s.k + s.m))
  const profileEnv = cpuProf !== undefined ? cpuProfileEnv(resolve(cpuProf)) : {}
  const root = await mkdtemp(join(tmpdir(), 'edgemirror-bench-transfer-'))
  const cleanup = new Cleanup()
  cleanup.add(async () => { await rm(root, { recursive: true, force: true }) })
  const interrupted = (): void => { cleanup.run().finally(() => process.exit(130)) }
  process.once('SIGINT', interrupted)
  process.once('SIGTERM', interrupted)
  try {
    progress(`${formatSize(size)} x ${runs} run(s), schemes ${schemes.map(s => s.id).join(', ')}, ${peers} daemons, temp dir ${root}`)
    const { choice, topology } = await chooseNetwork(config, peers, progress)
    networkChoice = choice
    // Added before the swarm's stop, so it runs after it: the namespaces go once their daemons have stopped.
    if (topology !== undefined) cleanup.add(async () => { await topology.destroy() })
    const network = topology ?? LOOPBACK
    progress(`network: ${choice.profile} (${choice.reason})`)
    const link = topology !== undefined ? { rttMs: rttMs(topology.plan, ENTRY, peers - 1) } : {}
    const raw = await measureRawStream(size, runs, cleanup, profileEnv, network, peers - 1, link)

    progress(`starting ${peers} daemons`)
    const swarm = await Swarm.start(root, peers, cleanup, profileEnv, network)
    const warmUp = Math.min(WARM_UP_BYTES, size)
    progress(`warm-up: share and fetch ${formatSize(warmUp)}`)
    const warm = await share(swarm, root, schemes[0], warmUp, 0, new Peaks())
    await fetch(swarm, root, warm, chooseReader(warm.shards.map(s => swarm.daemons.byPeer(s.peer)), peers, ENTRY), warmUp, new Peaks())

    let seed = 1
    const fetchRates = new Map<string, number>()
    for (const [i, scheme] of schemes.entries()) fetchRates.set(scheme.id, await measureScheme(swarm, root, scheme, config, raw, () => seed++, i === schemes.length - 1))
    const helia = await measureHelia(config, root, cleanup, profileEnv, raw)
    if (helia !== undefined) {
      for (const [scheme, rate] of fetchRates) {
        process.stdout.write(`${JSON.stringify({ bench: 'transfer', op: 'fetch-vs-helia', scheme, fetchMbPerSec: round(rate), heliaCatMbPerSec: round(helia), ratioVsHelia: round(rate / helia, 3) })}\n`)
      }
    }
    if (failed > 0) throw new Error(`${failed} run(s) failed; their lines say why`)
  } finally {
    process.off('SIGINT', interrupted)
    process.off('SIGTERM', interrupted)
    await cleanup.run()
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    progress(`failed: ${(err as Error).stack ?? String(err)}`)
    process.exitCode = 1
  })
}
