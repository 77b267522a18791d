// A seeded chaos run against a real swarm of daemon processes on 127.0.0.1: many small files, half RS(4,2) and half
// 3 replicas; then a random schedule of SIGKILLs, restarts on the old repo, SIGSTOP/SIGCONT stalls and bytes flipped
// in stored shards, never spending more than m shards of any file at once; then quiet, and the swarm must bring every
// file back to exactly one copy of each of its k + m shards on k + m distinct live daemons, by itself, and every file
// must fetch byte-identical. What it proves and how to replay a seed: docs/REPAIR.md.
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { pseudoRandomBytes } from '../../bench/pseudo-random.ts'
import { DaemonSwarm, FAST_REPAIR_FLAGS, pause, type StoredShard } from '../harness/daemon-swarm.ts'
import { seededRandom } from '../node/repair/helpers.ts'

/** Both schemes tolerate m = 2 losses: RS(4,2) any 2 of 6 shards, 3 replicas any 2 of 3 copies. */
const M = 2
const SCHEMES = [
  { name: 'rs-4-2', k: 4, m: M, args: ['--k', '4', '--m', '2'] },
  { name: 'replicas-3', k: 1, m: M, args: ['--replicas', '3'] }
] as const
const KIB = 1024
/** How many CLI processes run at once: each is ~0.3 s of CPU on a machine with 2 cores and 8 daemons. */
const CLI_CONCURRENCY = 3
const QUIET_POLL_MS = 500
const SHARE_DEADLINE_MS = 60_000

export interface ChaosOptions {
  seed: number
  daemons: number
  files: number
  /** Events in the schedule (each may be skipped to stay within the redundancy budget). */
  rounds: number
  minFileBytes?: number
  maxFileBytes?: number
  /** Seeded pause after each event, uniform in [minWaitMs, maxWaitMs]. */
  minWaitMs?: number
  maxWaitMs?: number
  /** How long the quiet phase may take to bring every file back to full redundancy. */
  quietDeadlineMs?: number
  /** Relative weights of the event kinds (an inapplicable kind, e.g. restart with nothing killed, is not drawn). */
  weights?: Partial<Record<EventKind, number>>
  progress?: (text: string) => void
}

export type EventKind = 'kill' | 'restart' | 'stall' | 'resume' | 'flip'

export interface ChaosEvent {
  round: number
  kind: EventKind
  /** The daemon acted on (kill, restart, stall, resume, the holder of the flipped shard). */
  daemon?: number
  cid?: string
  index?: number
  /** Bytes flipped (offset list) for a flip. */
  offsets?: number[]
  skipped?: string
  waitMs: number
  atMs: number
}

interface Counters { repairsDone: number, repairsFailed: number, bytesRepaired: number, copiesCollected: number, corruptFound: number }

export interface ChaosReport {
  seed: number
  replay: string
  daemons: number
  files: number
  rounds: number
  pass: boolean
  failures: string[]
  events: ChaosEvent[]
  schedule: Record<EventKind | 'skipped', number>
  /** Quiet phase: from the first restart or SIGCONT of the quiet (restarts and the mesh included) until the end state held. */
  repair: {
    /** Until every file was at full redundancy on disk and in `check --json` in one pass (null: never). */
    fullRedundancyMs: number | null
    /** Per file, until it was first seen at full redundancy on disk: min / median / max. */
    perFileMs: { min: number, median: number, max: number } | null
  }
  /** Summed over every daemon incarnation (a killed daemon's counters were read just before the SIGKILL). */
  totals: Counters & { bytesMoved: number }
  fetched: { ok: number, mismatched: number, failed: number }
  durationMs: number
}

interface SharedFile { cid: string, name: string, k: number, m: number, size: number, sha256: string, path: string }

/** A flipped shard, outstanding until its rotten copy is gone (quarantined or collected, so a new inode or none at the
 *  path) and a good copy of its index is on a daemon that is up. */
interface Rot { cid: string, index: number, daemon: number, path: string, ino: number }

class Draw {
  constructor (readonly next: () => number) {}
  int (n: number): number { return Math.floor(this.next() * n) }
  between (lo: number, hi: number): number { return lo + this.int(hi - lo + 1) }
  pick<T> (items: readonly T[]): T { return items[this.int(items.length)] }
}

/** Each round draws from its own generator, so skipping an event in round r never shifts the draws of round r + 1. */
function roundDraw (seed: number, round: number): Draw {
  return new Draw(seededRandom(createHash('sha256').update(`edgemirror-chaos-${seed}-${round}`).digest().readUInt32BE(0)))
}

export async function runChaos (options: ChaosOptions): Promise<ChaosReport> {
  const started = performance.now()
  const { seed, rounds } = options
  const minFileBytes = options.minFileBytes ?? 64 * KIB
  const maxFileBytes = options.maxFileBytes ?? 512 * KIB
  const minWaitMs = options.minWaitMs ?? 500
  const maxWaitMs = options.maxWaitMs ?? 3000
  const quietDeadlineMs = options.quietDeadlineMs ?? 180_000
  const weights: Record<EventKind, number> = { kill: 3, restart: 2, stall: 2, resume: 2, flip: 3, ...options.weights }
  const say = options.progress ?? (() => {})
  const report: ChaosReport = {
    seed,
    replay: `npm run test:chaos -- --seed ${seed} --daemons ${options.daemons} --files ${options.files} --rounds ${rounds}`,
    daemons: options.daemons,
    files: options.files,
    rounds,
    pass: false,
    failures: [],
    events: [],
    schedule: { kill: 0, restart: 0, stall: 0, resume: 0, flip: 0, skipped: 0 },
    repair: { fullRedundancyMs: null, perFileMs: null },
    totals: { repairsDone: 0, repairsFailed: 0, bytesRepaired: 0, copiesCollected: 0, corruptFound: 0, bytesMoved: 0 },
    fetched: { ok: 0, mismatched: 0, failed: 0 },
    durationMs: 0
  }
  const root = await mkdtemp(join(tmpdir(), 'edgemirror-chaos-'))
  let swarm: DaemonSwarm | undefined
  /** Counters of daemon incarnations that were killed, read just before the kill. */
  const retired: Counters[] = []
  try {
    say(`seed ${seed}: starting ${options.daemons} daemons under ${root}`)
    swarm = await DaemonSwarm.start({
      root, count: options.daemons, progress: say, flags: () => [...FAST_REPAIR_FLAGS, '--scrub-every', '1s', '--scrub-rate', '50MB/s']
    })
    const files = await shareFiles(swarm, root, seed, options.files, minFileBytes, maxFileBytes, say)
    const rots: Rot[] = []
    const t0 = performance.now()
    for (let round = 0; round < rounds; round++) {
      const draw = roundDraw(seed, round)
      for (const crash of swarm.crashed()) {
        report.failures.push(`peer ${crash.index} exited by itself (code ${String(crash.code)}, signal ${String(crash.signal)}) before round ${round}: ${crash.stderrTail}`)
        await swarm.kill(crash.index) // it is down: count it so, and let the quiet phase restart it
      }
      const event = await chaosEvent(swarm, files, rots, draw, round, weights, retired)
      event.waitMs = draw.between(minWaitMs, maxWaitMs)
      event.atMs = Math.round(performance.now() - t0)
      report.events.push(event)
      if (event.skipped !== undefined) report.schedule.skipped++
      else report.schedule[event.kind]++
      say(`round ${round + 1}/${rounds}: ${describe(event)}; down: ${swarm.down().map(i => `${i}(${swarm?.state(i) ?? ''})`).join(' ') || 'none'}`)
      await pause(event.waitMs)
    }

    say('quiet: every killed daemon restarted, every stalled one resumed')
    for (const crash of swarm.crashed()) {
      report.failures.push(`peer ${crash.index} exited by itself (code ${String(crash.code)}, signal ${String(crash.signal)}) during the schedule: ${crash.stderrTail}`)
      await swarm.kill(crash.index)
    }
    const quietAt = performance.now()
    for (const i of swarm.indexes('stalled')) swarm.resume(i)
    for (const i of swarm.indexes('killed')) await swarm.restart(i)
    await swarm.waitForMesh()
    report.repair = await waitForFullRedundancy(swarm, files, rots, quietAt, quietDeadlineMs, report.failures, say)

    const totals = await sumCounters(swarm, retired)
    report.totals = { ...totals, bytesMoved: totals.bytesRepaired }
    report.fetched = await fetchAll(swarm, files, root, new Draw(seededRandom(seed ^ 0x5eed)), report.failures, say)
    for (const crash of swarm.crashed()) report.failures.push(`peer ${crash.index} exited by itself at the end: ${crash.stderrTail}`)
  } catch (err) {
    report.failures.push(`chaos run aborted: ${(err as Error).stack ?? String(err)}`)
  } finally {
    for (const h of await swarm?.stop() ?? []) report.failures.push(`peer ${h.index} did not stop within 30 s of SIGTERM: ${h.stderrTail}`)
    await rm(root, { recursive: true, force: true })
  }
  report.pass = report.failures.length === 0
  report.durationMs = Math.round(performance.now() - started)
  return report
}

function describe (e: ChaosEvent): string {
  const what = e.kind === 'flip' ? `flip ${e.offsets?.length ?? 0} bytes of ${e.cid?.slice(-8) ?? '?'}#${e.index ?? '?'} on peer ${e.daemon ?? '?'}` : `${e.kind} peer ${e.daemon ?? '?'}`
  return `${e.skipped !== undefined ? `skip ${what} (${e.skipped})` : what}, then wait ${e.waitMs} ms`
}

// ---- setup -----------------------------------------------------------------------------------------------------------

async function shareFiles (swarm: DaemonSwarm, root: string, seed: number, count: number, minBytes: number, maxBytes: number, say: (text: string) => void): Promise<SharedFile[]> {
  const draw = new Draw(seededRandom(seed))
  const inputs = join(root, 'inputs')
  await mkdir(inputs)
  const plans = Array.from({ length: count }, (_, i) => ({ i, size: draw.between(minBytes, maxBytes), sharer: draw.int(swarm.size), scheme: SCHEMES[i % SCHEMES.length] }))
  const files = await inPool(plans, CLI_CONCURRENCY, async ({ i, size, sharer, scheme }) => {
    const data = pseudoRandomBytes(seed * 4096 + i, size)
    const path = join(inputs, `file-${i}.bin`)
    await writeFile(path, data)
    // A daemon places only on peers whose facts it has (info protocol); right after the mesh forms on a busy machine
    // some may not have answered yet (ERR_NOT_ENOUGH_PEERS). That is set-up, not chaos: try again for a while.
    const deadline = performance.now() + SHARE_DEADLINE_MS
    let result = await swarm.cli(sharer, ['share', path, ...scheme.args, '--json'])
    while (result.code !== 0 && result.json?.error?.code === 'ERR_NOT_ENOUGH_PEERS' && performance.now() < deadline) {
      say(`share of file ${i} on peer ${sharer}: ${result.json.error.message as string}; again in 2 s`)
      await pause(2000)
      result = await swarm.cli(sharer, ['share', path, ...scheme.args, '--json'])
    }
    if (result.code !== 0) throw new Error(`share of file ${i} on peer ${sharer} failed (exit ${result.code}): ${result.stderr.trim()} ${result.stdout.trim()}`)
    return { cid: result.json.cid as string, name: `file-${i}`, k: scheme.k, m: scheme.m, size, sha256: sha256(data), path }
  })
  say(`shared ${count} files (${files.filter(f => f.k > 1).length} RS(4,2), ${files.filter(f => f.k === 1).length} x3), ${files.reduce((n, f) => n + f.size, 0)} bytes`)
  return files
}

// ---- the redundancy budget -------------------------------------------------------------------------------------------

type DiskView = Map<string, StoredShard[]>

/** Which daemons hold which indexes of each file, read from their repos: the truth the budget is kept against, also
 *  for daemons that are down. */
async function diskView (swarm: DaemonSwarm, files: SharedFile[]): Promise<DiskView> {
  return new Map(await Promise.all(files.map(async f => [f.cid, await swarm.storedShards(f.cid)] as const)))
}

async function inode (path: string): Promise<number | undefined> {
  return await stat(path).then(s => s.ino, () => undefined)
}

/** Rots still costing their file a shard (see Rot). */
async function outstandingRots (swarm: DaemonSwarm, rots: Rot[], view: DiskView): Promise<Rot[]> {
  const rottenNow = new Set<string>()
  for (const r of rots) if (await inode(r.path) === r.ino) rottenNow.add(r.path)
  return rots.filter(r => rottenNow.has(r.path) ||
    !(view.get(r.cid) ?? []).some(h => h.index === r.index && swarm.state(h.daemon) === 'up' && !rottenNow.has(h.path)))
}

/** Shards of `cid` unavailable if `down` were down: one per down daemon holding any of its shards, one per
 *  outstanding rot. Over-counts (a down holder whose index was rebuilt elsewhere still counts), never under-counts. */
function spent (cid: string, down: number[], view: DiskView, rots: Rot[]): number {
  const held = view.get(cid) ?? []
  return down.filter(d => held.some(h => h.daemon === d)).length + rots.filter(r => r.cid === cid).length
}

// ---- events ----------------------------------------------------------------------------------------------------------

async function chaosEvent (swarm: DaemonSwarm, files: SharedFile[], rots: Rot[], draw: Draw, round: number, weights: Record<EventKind, number>, retired: Counters[]): Promise<ChaosEvent> {
  const applicable: EventKind[] = (['kill', 'stall', 'flip', 'restart', 'resume'] as const).filter(kind =>
    weights[kind] > 0 && (kind === 'restart' ? swarm.indexes('killed').length > 0 : kind === 'resume' ? swarm.indexes('stalled').length > 0 : true))
  const total = applicable.reduce((n, k) => n + weights[k], 0)
  let x = draw.next() * total
  const kind = applicable.find(k => (x -= weights[k]) < 0) ?? applicable[applicable.length - 1]
  const event: ChaosEvent = { round, kind, waitMs: 0, atMs: 0 }
  const view = await diskView(swarm, files)
  const live = await outstandingRots(swarm, rots, view)
  rots.splice(0, rots.length, ...live) // settled rots are forgotten

  if (kind === 'restart' || kind === 'resume') {
    event.daemon = draw.pick(swarm.indexes(kind === 'restart' ? 'killed' : 'stalled'))
    if (kind === 'restart') await swarm.restart(event.daemon)
    else swarm.resume(event.daemon)
    return event
  }

  if (kind === 'kill' || kind === 'stall') {
    const target = draw.pick(swarm.up())
    event.daemon = target
    const down = [...swarm.down(), target]
    if (down.length > M) return { ...event, skipped: `${down.length - 1} daemons already down or stalled (m = ${M})` }
    const over = files.find(f => spent(f.cid, down, view, rots) > f.m)
    if (over !== undefined) return { ...event, skipped: `${over.name} would have ${spent(over.cid, down, view, rots)} of its shards down or rotten (m = ${over.m})` }
    if (kind === 'kill') {
      retired.push(counters(await swarm.status(target)))
      await swarm.kill(target)
    } else {
      swarm.stall(target)
    }
    return event
  }

  // flip: rot one stored shard of a file whose shards are all live and whose budget has room for one more loss
  const file = draw.pick(files)
  const reader = draw.pick(swarm.up())
  const pickShard = draw.next()
  const offsetDraw = new Draw(seededRandom(draw.int(2 ** 32)))
  event.cid = file.cid
  if (spent(file.cid, swarm.down(), view, rots) + 1 > file.m) return { ...event, skipped: `${file.name} has no loss to spare` }
  const check = (await swarm.cli(reader, ['check', file.cid, '--json'])).json
  if (check?.live !== file.k + file.m) return { ...event, skipped: `${file.name} not all live from peer ${reader} (${String(check?.live)}/${file.k + file.m})` }
  const rotten = new Set(rots.map(r => r.path))
  const candidates = (view.get(file.cid) ?? []).filter(h => swarm.state(h.daemon) === 'up' && !rotten.has(h.path))
  if (candidates.length === 0) return { ...event, skipped: `${file.name} has no stored shard on a running daemon` }
  const shard = candidates[Math.floor(pickShard * candidates.length)]
  event.daemon = shard.daemon
  event.index = shard.index
  const handle = await open(shard.path, 'r+').catch(() => undefined)
  if (handle === undefined) return { ...event, skipped: `${file.name}#${shard.index} left peer ${shard.daemon} meanwhile` }
  try {
    const { size, ino } = await handle.stat()
    const offsets = Array.from({ length: offsetDraw.between(1, 8) }, () => offsetDraw.int(size))
    for (const offset of offsets) {
      const byte = Buffer.alloc(1)
      await handle.read(byte, 0, 1, offset)
      byte[0] ^= offsetDraw.between(1, 255) // never 0: every flip changes the byte
      await handle.write(byte, 0, 1, offset)
    }
    await handle.sync()
    rots.push({ cid: file.cid, index: shard.index, daemon: shard.daemon, path: shard.path, ino })
    event.offsets = offsets
  } finally {
    await handle.close()
  }
  return event
}

function counters (status: any): Counters {
  return {
    repairsDone: status.repairsDone, repairsFailed: status.repairsFailed, bytesRepaired: status.bytesRepaired, copiesCollected: status.copiesCollected, corruptFound: status.scrub.corruptFound
  }
}

async function sumCounters (swarm: DaemonSwarm, retired: Counters[]): Promise<Counters> {
  const all = [...retired, ...await Promise.all(swarm.up().map(async i => counters(await swarm.status(i))))]
  const sum = (key: keyof Counters): number => all.reduce((n, c) => n + c[key], 0)
  return { repairsDone: sum('repairsDone'), repairsFailed: sum('repairsFailed'), bytesRepaired: sum('bytesRepaired'), copiesCollected: sum('copiesCollected'), corruptFound: sum('corruptFound') }
}

// ---- the end state ---------------------------------------------------------------------------------------------------

/** Why `file` is not at full redundancy on disk (undefined: it is): every index 0..n-1 exactly once, on n distinct
 *  daemons, all up, and no rotten copy left. */
function diskProblem (swarm: DaemonSwarm, file: SharedFile, view: DiskView, rots: Rot[]): string | undefined {
  const n = file.k + file.m
  const held = view.get(file.cid) ?? []
  const counts = Array.from({ length: n }, (_, i) => held.filter(h => h.index === i).length)
  if (counts.some(c => c !== 1) || held.length !== n) return `copies per index on disk: ${counts.join(',')}`
  if (new Set(held.map(h => h.daemon)).size !== n) return `two indexes on one daemon: ${held.map(h => `${h.index}@${h.daemon}`).join(' ')}`
  if (held.some(h => swarm.state(h.daemon) !== 'up')) return 'a holder is not up'
  const rotten = rots.filter(r => r.cid === file.cid)
  if (rotten.length > 0) return `rotten shard not yet replaced: ${rotten.map(r => `${r.index}@${r.daemon}`).join(' ')}`
  return undefined
}

/** Why `check --json` from some daemon does not show `file` at full redundancy (undefined: it does). */
function checkProblem (swarm: DaemonSwarm, file: SharedFile, check: any): string | undefined {
  const n = file.k + file.m
  if (check === undefined) return 'check gave no JSON'
  const held = (check.shards as Array<{ index: number, peer: string | null, live: boolean }>).filter(s => s.peer !== null && s.live)
  const perIndex = Array.from({ length: n }, (_, i) => held.filter(s => s.index === i).length)
  if (check.healthy !== true || perIndex.some(c => c !== 1)) return `check: healthy ${String(check.healthy)}, copies per index ${perIndex.join(',')}`
  if (new Set(held.map(s => s.peer)).size !== n) return 'check: fewer than k + m distinct holders'
  const outsider = held.find(s => swarm.state(swarm.byPeer(s.peer as string)) !== 'up')
  if (outsider !== undefined) return `check: holder ${outsider.peer ?? ''} is not a live daemon of this swarm`
  return undefined
}

async function waitForFullRedundancy (swarm: DaemonSwarm, files: SharedFile[], rots: Rot[], start: number, deadlineMs: number, failures: string[], say: (text: string) => void): Promise<ChaosReport['repair']> {
  const firstHealthy = new Map<string, number>()
  let last: string[] = []
  for (let pass = 0; performance.now() - start < deadlineMs; pass++) {
    const view = await diskView(swarm, files)
    rots.splice(0, rots.length, ...await outstandingRots(swarm, rots, view))
    const onDisk = files.map(f => ({ f, problem: diskProblem(swarm, f, view, rots) }))
    for (const { f, problem } of onDisk) if (problem === undefined && !firstHealthy.has(f.cid)) firstHealthy.set(f.cid, performance.now() - start)
    last = onDisk.filter(p => p.problem !== undefined).map(p => `${p.f.name} ${p.f.cid}: ${p.problem ?? ''}`)
    if (last.length === 0) {
      // The disk agrees; now the user's view, from a different daemon each pass.
      const checks = await inPool(files, CLI_CONCURRENCY, async (f, i) => {
        const reader = swarm.up()[(pass + i) % swarm.up().length]
        return { f, problem: checkProblem(swarm, f, (await swarm.cli(reader, ['check', f.cid, '--json'])).json) }
      })
      last = checks.filter(p => p.problem !== undefined).map(p => `${p.f.name} ${p.f.cid}: ${p.problem ?? ''}`)
      if (last.length === 0) {
        const times = [...firstHealthy.values()].sort((a, b) => a - b)
        const elapsed = Math.round(performance.now() - start)
        say(`every file at full redundancy after ${elapsed} ms of quiet`)
        return { fullRedundancyMs: elapsed, perFileMs: { min: Math.round(times[0]), median: Math.round(times[Math.floor(times.length / 2)]), max: Math.round(times[times.length - 1]) } }
      }
    }
    if (pass % 10 === 0) say(`waiting for full redundancy: ${last.length} file(s) not there yet, e.g. ${last[0]}`)
    await pause(QUIET_POLL_MS)
  }
  const jobs = await Promise.all(swarm.up().map(async i => {
    const s = await swarm.status(i).catch(() => undefined)
    return `peer ${i}: ${JSON.stringify({ repairsFailed: s?.repairsFailed, filesLost: s?.filesLost, jobs: s?.repairJobs })}`
  }))
  failures.push(`not at full redundancy ${deadlineMs} ms after the quiet began:\n  ${last.join('\n  ')}\nrepair state:\n  ${jobs.join('\n  ')}`)
  return { fullRedundancyMs: null, perFileMs: null }
}

async function fetchAll (swarm: DaemonSwarm, files: SharedFile[], root: string, draw: Draw, failures: string[], say: (text: string) => void): Promise<ChaosReport['fetched']> {
  const out = join(root, 'fetched')
  await mkdir(out, { recursive: true })
  const readers = files.map(() => draw.pick(swarm.up()))
  const results = await inPool(files, CLI_CONCURRENCY, async (f, i) => {
    const path = join(out, `${f.name}.bin`)
    const result = await swarm.cli(readers[i], ['fetch', f.cid, '-o', path, '--json'])
    if (result.code !== 0) {
      failures.push(`fetch of ${f.name} ${f.cid} from peer ${readers[i]} failed (exit ${result.code}): ${result.stderr.trim()}`)
      return 'failed'
    }
    if (sha256(await readFile(path)) !== f.sha256) {
      failures.push(`fetch of ${f.name} ${f.cid} from peer ${readers[i]} is not byte-identical to the original`)
      return 'mismatched'
    }
    return 'ok'
  })
  const fetched = { ok: results.filter(r => r === 'ok').length, mismatched: results.filter(r => r === 'mismatched').length, failed: results.filter(r => r === 'failed').length }
  say(`fetched ${fetched.ok}/${files.length} byte-identical`)
  return fetched
}

// ---- small helpers ---------------------------------------------------------------------------------------------------

function sha256 (data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}

/** `work` over `items` with at most `concurrency` at once; results in item order. */
async function inPool<T, R> (items: readonly T[], concurrency: number, work: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await work(items[i], i)
    }
  }))
  return results
}
