// Transfer throughput of the whole path a user runs: six daemon processes on 127.0.0.1 and the `edgemirror` CLI,
// sharing and fetching a generated file as RS(4,2) and as 3 replicas, and fetching with m holders killed. The
// baseline, measured in the same run, is one raw libp2p stream between two processes with the daemon's own host
// config (bench/raw-stream-peer.ts); share and fetch are reported as ratios against it. Peak RSS (VmHWM) of the CLI
// and of every daemon is reported per measurement, so a large --size shows whether memory stays bounded.
//
//   npm run bench:transfer -- [--size 1GiB] [--runs N] [--quick] [--cpu-prof DIR]
//
// One JSON line per measurement on stdout, progress on stderr. MB/s are decimal (10^6 bytes per second).
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { CLI_PATH, spawnDaemon, type DaemonProcess } from '../node/daemon-process.ts'
import { formatSize, parseSize } from '../node/size.ts'
import { CPU_PROFILE_DIR_ENV } from './cpu-profile.ts'
import { pseudoRandomStream } from './pseudo-random.ts'

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url))
const RAW_PEER = fileURLToPath(new URL('./raw-stream-peer.ts', import.meta.url))
const CPU_PROFILE_HOOK = new URL('./cpu-profile.ts', import.meta.url).href
const NODE_TS = ['--import', 'tsx', '--import', './node/polyfill.ts']

const PEERS = 6
const ENTRY = 0 // the daemon `share` talks to, and everyone's bootstrap peer
const READER = PEERS - 1 // the daemon `fetch` talks to
const K = 4
const M = 2
const SCHEMES = [
  { name: 'rs-4-2', args: ['--k', String(K), '--m', String(M)] },
  { name: 'replicas-3', args: ['--replicas', '3'] }
] as const
type SchemeName = typeof SCHEMES[number]['name']

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
const MIB = 1024 * 1024

interface Settings { size: number, runs: number, cpuProf: string | undefined }

function settings (): Settings {
  const { values } = parseArgs({
    options: { size: { type: 'string' }, runs: { type: 'string' }, quick: { type: 'boolean' }, 'cpu-prof': { type: 'string' } }
  })
  const size = values.quick === true ? 64 * MIB : parseSize(values.size ?? '1GiB')
  const runs = values.runs !== undefined ? Number(values.runs) : values.quick === true ? 1 : size <= MANY_RUNS_UP_TO ? 3 : 1
  if (size < 1) throw new Error('--size must be at least 1B')
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`)
  return { size, runs, cpuProf: values['cpu-prof'] }
}

const benchStarted = performance.now()
function progress (text: string): void {
  process.stderr.write(`[bench:transfer +${((performance.now() - benchStarted) / 1000).toFixed(1)}s] ${text}\n`)
}

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

const round = (value: number, digits = 1): number => Number(value.toFixed(digits))
const mbPerSec = (bytes: number, ms: number): number => bytes / 1e6 / (ms / 1000)

/** Peak resident set (VmHWM) of a live process in MiB; undefined once it has gone. */
async function peakRssMiB (pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined)
  const kib = status !== undefined ? /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1] : undefined
  return kib !== undefined ? Number(kib) / 1024 : undefined
}

/** Restart a process's high-water mark from its current RSS (proc(5), clear_refs "5"), so each measurement has its own peak. */
async function resetPeakRss (pid: number): Promise<void> {
  await writeFile(`/proc/${pid}/clear_refs`, '5')
}

interface Measured { stdout: string, ms: number, peakRssMiB: number }

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
async function runMeasured (args: string[], timeoutMs: number, env: NodeJS.ProcessEnv = {}): Promise<Measured> {
  const started = performance.now()
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  let peak = 0
  const sample = async (): Promise<void> => { peak = Math.max(peak, (await peakRssMiB(child.pid ?? 0)) ?? 0) }
  const sampler = setInterval(() => { sample().catch(() => {}) }, RSS_SAMPLE_MS)
  const killer = setTimeout(() => { child.kill('SIGKILL') }, timeoutMs)
  try {
    const [code, signal] = await exited
    const ms = performance.now() - started
    const reason = `${signal ?? `exit ${String(code)}`}${signal === 'SIGKILL' ? `, killed after ${timeoutMs} ms without finishing` : ''}`
    if (code !== 0) throw new CommandError(args.slice(-8).join(' '), reason, stderr, peak)
    return { stdout, ms, peakRssMiB: peak }
  } finally {
    clearInterval(sampler)
    clearTimeout(killer)
  }
}

/** The environment that makes a Node.js child write a CPU profile into `dir` when it exits (bench/cpu-profile.ts). */
function cpuProfileEnv (dir: string): NodeJS.ProcessEnv {
  const imports = [import.meta.resolve('tsx'), CPU_PROFILE_HOOK].map(url => `--import ${url}`).join(' ')
  return { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${imports}`.trim(), [CPU_PROFILE_DIR_ENV]: dir }
}

function timeoutFor (bytes: number): number {
  return Math.max(60_000, Math.round(bytes / SLOWEST_BYTES_PER_MS))
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

async function sha256File (path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** Things to stop when the bench ends, however it ends. */
class Cleanup {
  private readonly steps: Array<() => Promise<void>> = []
  add (step: () => Promise<void>): void { this.steps.push(step) }
  async run (): Promise<void> {
    for (const step of this.steps.reverse()) await step().catch((err) => { progress(`cleanup: ${(err as Error).message}`) })
  }
}

interface Line {
  op: 'raw-stream' | 'share' | 'fetch' | 'fetch-degraded'
  scheme: SchemeName | null
  sizeBytes: number
  /** Wall time of each run that succeeded (and, for fetches, returned the right bytes). */
  ms: number[]
  /** Why the other runs failed; they count in no figure. */
  failures?: string[]
  rawMbPerSec: number | undefined
  /** By role; failed runs count too. Null when nothing ran. */
  peakRssMiB: Record<string, number> | null
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
    ...line.extra,
    node: process.version,
    cpus: availableParallelism(),
    loadAvg1m: round(loadavg()[0], 2)
  })}\n`)
  return rate
}

/** The baseline: `size` bytes over one libp2p stream from a sender process to a sink process, `runs` times. */
async function measureRawStream (size: number, runs: number, cleanup: Cleanup, profileEnv: NodeJS.ProcessEnv): Promise<number> {
  const sink = spawn(process.execPath, [...NODE_TS, RAW_PEER, 'sink'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...profileEnv } })
  const sinkExited = once(sink, 'exit')
  cleanup.add(async () => {
    if (sink.exitCode !== null || sink.signalCode !== null) return
    sink.kill('SIGTERM')
    await sinkExited
  })
  // A sink that dies before it is ready must fail the bench (and so run the cleanup), not leave it waiting.
  const [ready] = await Promise.race([
    once(sink.stdout, 'data') as Promise<[Buffer]>,
    sinkExited.then(([code]) => { throw new Error(`the raw-stream sink exited (${String(code)}) before it was ready`) })
  ])
  const { addresses } = JSON.parse(ready.toString()) as { addresses: string[] }
  const ms: number[] = []
  let sender = 0
  let sinkPeak = 0
  for (let run = 0; run < runs; run++) {
    await resetPeakRss(sink.pid ?? 0)
    const result = await runMeasured([...NODE_TS, RAW_PEER, 'send', addresses[0], String(size), String(Math.min(WARM_UP_BYTES, size))], timeoutFor(size), profileEnv)
    ms.push((JSON.parse(result.stdout) as { ms: number }).ms)
    sender = Math.max(sender, result.peakRssMiB)
    sinkPeak = Math.max(sinkPeak, (await peakRssMiB(sink.pid ?? 0)) ?? 0)
    progress(`raw stream run ${run + 1}/${runs}: ${round(mbPerSec(size, ms[run]))} MB/s`)
  }
  return emit({ op: 'raw-stream', scheme: null, sizeBytes: size, ms, rawMbPerSec: undefined, peakRssMiB: { sender, sink: sinkPeak } })
}

class Swarm {
  private constructor (readonly daemons: DaemonProcess[], private readonly cliEnv: NodeJS.ProcessEnv) {}

  static async start (root: string, cleanup: Cleanup, profileEnv: NodeJS.ProcessEnv): Promise<Swarm> {
    const daemons: DaemonProcess[] = []
    cleanup.add(async () => { await Promise.all(daemons.map(async d => { await d.stop() })) })
    // spawnDaemon passes this process's environment on, which is how a CPU profile of the daemons is asked for.
    const saved = Object.fromEntries(Object.keys(profileEnv).map(key => [key, process.env[key]]))
    Object.assign(process.env, profileEnv)
    try {
      const start = async (i: number, bootstrap: string[]): Promise<void> => {
        daemons[i] = await spawnDaemon(join(root, `peer-${i}`), ['--listen', '/ip4/127.0.0.1/tcp/0', '--zone', `z${i}`, ...bootstrap])
      }
      await start(ENTRY, [])
      const others = Array.from({ length: PEERS }, (_, i) => i).filter(i => i !== ENTRY)
      // allSettled: a daemon that fails to start must not leave the others starting unseen by the cleanup.
      const started = await Promise.allSettled(others.map(async i => { await start(i, ['--bootstrap', daemons[ENTRY].addresses[0]]) }))
      const failed = started.find(r => r.status === 'rejected')
      if (failed !== undefined) throw (failed as PromiseRejectedResult).reason
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key]
        else process.env[key] = value
      }
    }
    const swarm = new Swarm(daemons, profileEnv)
    await swarm.waitForFullMesh()
    return swarm
  }

  /** Every daemon's `status` counts the other five: shares can place all k+m shards on distinct peers. */
  private async waitForFullMesh (): Promise<void> {
    const deadline = Date.now() + 60_000
    for (const daemon of this.daemons) {
      for (;;) {
        const status = JSON.parse((await this.cli(['status', '--repo', daemon.repo, '--json'], 0)).stdout) as { peers: number }
        if (status.peers >= PEERS - 1) break
        if (Date.now() > deadline) throw new Error(`peer ${daemon.repo} sees ${status.peers} of ${PEERS - 1} peers after 60 s`)
        await new Promise(resolve => setTimeout(resolve, 200))
      }
    }
  }

  async cli (args: string[], bytes: number): Promise<Measured> {
    return await runMeasured([CLI_PATH, ...args], timeoutFor(bytes), this.cliEnv)
  }

  live (): DaemonProcess[] {
    return this.daemons.filter(d => d.child.exitCode === null && d.child.signalCode === null)
  }

  /** Run `edgemirror ...args` against daemon `entry`, every live daemon's peak RSS restarted first and read after,
   *  into `peaks` even when the command fails (a run that fails for lack of memory is the one to see). */
  async run (entry: number, args: string[], bytes: number, peaks: Peaks): Promise<Measured> {
    const live = this.live()
    await Promise.all(live.map(async d => { await resetPeakRss(d.pid) }))
    let cli = 0
    try {
      const result = await this.cli([...args, '--repo', this.daemons[entry].repo, '--json'], bytes)
      cli = result.peakRssMiB
      return result
    } catch (err) {
      if (err instanceof CommandError) cli = err.peakRssMiB
      for (const [i, d] of this.daemons.entries()) { // empty unless DEBUG=edgemirror:* was set
        const log = d.stderr().trim()
        if (log !== '') progress(`peer ${i}'s log ends:\n${log.slice(-3000)}`)
      }
      throw err
    } finally {
      const daemonPeaks = await Promise.all(live.map(async d => [d, (await peakRssMiB(d.pid)) ?? 0] as const))
      const others = daemonPeaks.filter(([d]) => d !== this.daemons[entry]).map(([, mib]) => mib)
      peaks.add(cli, daemonPeaks.find(([d]) => d === this.daemons[entry])?.[1] ?? 0, Math.max(0, ...others))
    }
  }
}

/** Peak RSS across runs, by role. */
class Peaks {
  private measured = false
  readonly byRole: Record<string, number> = { cli: 0, daemonMax: 0, entryDaemon: 0, otherDaemons: 0 }
  /** Null when no run got as far as measuring. */
  figures (): Record<string, number> | null {
    return this.measured ? this.byRole : null
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

async function share (swarm: Swarm, root: string, scheme: typeof SCHEMES[number], size: number, seed: number, peaks: Peaks): Promise<Shared & { ms: number }> {
  const file = join(root, `input-${seed}.bin`)
  const sha256 = await generateFile(file, size, seed)
  try {
    const result = await swarm.run(ENTRY, ['share', file, ...scheme.args], size, peaks)
    const shared = JSON.parse(result.stdout) as Omit<Shared, 'sha256'>
    return { ...shared, sha256, ms: result.ms }
  } finally {
    await rm(file, { force: true })
  }
}

/** Fetch on the reader, check the bytes against the input's SHA-256: a wrong file has no throughput. */
async function fetch (swarm: Swarm, root: string, shared: Shared, size: number, peaks: Peaks): Promise<{ ms: number, rebuilt: number[], missing: number[] }> {
  const out = join(root, 'fetched.bin')
  try {
    const result = await swarm.run(READER, ['fetch', shared.cid, '-o', out], size, peaks)
    const copy = await sha256File(out)
    if (copy !== shared.sha256) throw new Error(`fetched ${shared.cid}: sha256 ${copy}, the input's is ${shared.sha256}`)
    const report = JSON.parse(result.stdout) as { rebuilt: number[], missing: number[] }
    return { ms: result.ms, rebuilt: report.rebuilt, missing: report.missing }
  } finally {
    await rm(out, { force: true })
  }
}

let failed = 0

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

async function main (): Promise<void> {
  const { size, runs, cpuProf } = settings()
  const profileEnv = cpuProf !== undefined ? cpuProfileEnv(resolve(cpuProf)) : {}
  const root = await mkdtemp(join(tmpdir(), 'edgemirror-bench-transfer-'))
  const cleanup = new Cleanup()
  cleanup.add(async () => { await rm(root, { recursive: true, force: true }) })
  const interrupted = (): void => { cleanup.run().finally(() => process.exit(130)) }
  process.once('SIGINT', interrupted)
  process.once('SIGTERM', interrupted)
  try {
    progress(`${formatSize(size)} x ${runs} run(s), temp dir ${root}`)
    const raw = await measureRawStream(size, runs, cleanup, profileEnv)

    progress(`starting ${PEERS} daemons`)
    const swarm = await Swarm.start(root, cleanup, profileEnv)
    progress(`warm-up: share and fetch ${formatSize(Math.min(WARM_UP_BYTES, size))}`)
    await fetch(swarm, root, await share(swarm, root, SCHEMES[0], Math.min(WARM_UP_BYTES, size), 0, new Peaks()), Math.min(WARM_UP_BYTES, size), new Peaks())

    let seed = 1
    let rsShared: Shared | undefined
    for (const scheme of SCHEMES) {
      const sharePeaks = new Peaks()
      const shares = await repeat(`share ${scheme.name}`, size, runs, async () => await share(swarm, root, scheme, size, seed++, sharePeaks))
      emit({ op: 'share', scheme: scheme.name, sizeBytes: size, ms: shares.ok.map(s => s.ms), failures: shares.failures, rawMbPerSec: raw, peakRssMiB: sharePeaks.figures() })
      const fetchPeaks = new Peaks()
      const fetches = await repeat(`fetch ${scheme.name}`, size, shares.ok.length, async run => await fetch(swarm, root, shares.ok[run], size, fetchPeaks))
      emit({
        op: 'fetch', scheme: scheme.name, sizeBytes: size, ms: fetches.ok.map(f => f.ms), failures: fetches.failures, rawMbPerSec: raw, peakRssMiB: fetchPeaks.figures(),
        extra: shares.ok.length === 0 ? { skipped: 'no share run succeeded, so there was nothing to fetch' } : undefined
      })
      if (scheme.name === 'rs-4-2') rsShared = shares.ok[0]
    }
    if (rsShared === undefined) {
      emit({ op: 'fetch-degraded', scheme: 'rs-4-2', sizeBytes: size, ms: [], rawMbPerSec: raw, peakRssMiB: null, extra: { skipped: 'no RS(4,2) share run succeeded, so there was nothing to fetch' } })
      throw new Error(`${failed} run(s) failed; their lines say why`)
    }

    // Last, because it takes the swarm down: m holders of data shards go, so every stripe is rebuilt from parity.
    const byPeer = new Map(swarm.daemons.map((d, i) => [d.peerId, i]))
    const victims = [...rsShared.shards].sort((a, b) => a.index - b.index)
      .map(s => byPeer.get(s.peer) as number).filter(i => i !== READER && i !== ENTRY).slice(0, M)
    progress(`killing peers ${victims.join(', ')} (holders of data shards of ${rsShared.cid})`)
    for (const i of victims) await swarm.daemons[i].kill()
    const degradedPeaks = new Peaks()
    const degraded = await repeat('fetch-degraded rs-4-2', size, runs, async () => await fetch(swarm, root, rsShared as Shared, size, degradedPeaks))
    const report = degraded.ok.at(-1)
    emit({
      op: 'fetch-degraded', scheme: 'rs-4-2', sizeBytes: size, ms: degraded.ok.map(f => f.ms), failures: degraded.failures, rawMbPerSec: raw, peakRssMiB: degradedPeaks.figures(),
      extra: { down: victims.length, missing: report?.missing ?? null, rebuilt: report?.rebuilt ?? null }
    })
    if (failed > 0) throw new Error(`${failed} run(s) failed; their lines say why`)
  } finally {
    process.off('SIGINT', interrupted)
    process.off('SIGTERM', interrupted)
    await cleanup.run()
  }
}

main().catch((err) => {
  progress(`failed: ${(err as Error).stack ?? String(err)}`)
  process.exitCode = 1
})
