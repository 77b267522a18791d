// `npm run bench:mirror`: what keeping a directory mirrored costs, against rsync. A tree of --files files (~--size in
// all, mixed sizes: log-uniform from 1 KiB, a few large ones) is published as version 1 from daemon 0 to a loopback
// swarm of 6 storage daemons (RS(4,2): one shard each) and followed by 3 daemons that store no shards
// (--capacity 0); then 10 % of the files are rewritten, a few added and a few removed, and version 2 is published.
// Measured: publish time (the CLI, start to end); time from the version's record (its publishedAt) to each follower's
// switch, and how it splits into record propagation, reading the tree and building the new tree; bytes each follower
// fetched per changed byte; unchanged files fetched (must be 0). Anchor in the same run: rsync (-a --delete) from an
// rsync daemon on 127.0.0.1 into 3 target directories at once, for the same two trees.
// One JSON line per measurement on stdout, progress on stderr. Docs: docs/BENCHMARKS.md ("bench:mirror").
//
//   npm run bench:mirror -- [--files 1000] [--size 256MiB] [--quick] [--seed 1]
//
// rsync is a Debian package (apt-get install rsync); without it the rsync lines say so and the rest runs.
import { spawn, spawnSync } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { pipeline } from 'node:stream/promises'
import { parseArgs } from 'node:util'
import { ApiClient } from '../node/api/client.ts'
import type { MirrorView } from '../node/api/types.ts'
import { parseSize } from '../node/size.ts'
import { cleanUpOnInterrupt } from '../test/harness/daemon-process.ts'
import { DaemonSwarm, pause } from '../test/harness/daemon-swarm.ts'
import { seededRandom } from '../test/node/repair/helpers.ts'
import { median, round } from './measure.ts'
import { pseudoRandomStream } from './pseudo-random.ts'

const MIB = 1024 * 1024
const STORAGE = 6
const FOLLOWERS = [6, 7, 8]
const PUBLISHER = 0
const NAME = 'bench'
/** Share of files rewritten for version 2, and files added and removed (issue #17: "change 10 % … add/remove a few"). */
const CHANGED_SHARE = 0.1
const ADDED = 5
const REMOVED = 5
const SWITCH_DEADLINE_MS = 600_000

interface Settings { files: number, size: number, seed: number }

function settings (): Settings {
  const { values } = parseArgs({ options: { files: { type: 'string' }, size: { type: 'string' }, quick: { type: 'boolean' }, seed: { type: 'string' } } })
  const quick = values.quick === true
  const files = Number(values.files ?? (quick ? '100' : '1000'))
  const size = values.size !== undefined ? parseSize(values.size) : quick ? 32 * MIB : 256 * MIB
  const seed = Number(values.seed ?? '1')
  if (!Number.isInteger(files) || files < 20) throw new Error('--files must be an integer of at least 20')
  if (size < files * 1024) throw new Error('--size must leave at least 1 KiB per file')
  return { files, size, seed }
}

const started = performance.now()
function progress (text: string): void {
  process.stderr.write(`[bench:mirror +${((performance.now() - started) / 1000).toFixed(1)}s] ${text}\n`)
}

function emit (line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ bench: 'mirror', ...line, node: process.version, cpus: availableParallelism(), loadAvg1m: round(loadavg()[0], 2) })}\n`)
}

/** File sizes: log-uniform from 1 KiB to 1/50 of the total, scaled to sum to `total` (many small files, a few large). */
function sizes (count: number, total: number, next: () => number): number[] {
  const min = Math.log(1024)
  const max = Math.log(Math.max(2048, total / 50))
  const raw = Array.from({ length: count }, () => Math.exp(min + next() * (max - min)))
  const scale = total / raw.reduce((a, b) => a + b, 0)
  return raw.map(r => Math.max(1, Math.round(r * scale)))
}

function pathFor (i: number): string {
  return `pool/${String(i % 16).padStart(2, '0')}/${String(Math.floor(i / 16) % 8)}/file-${String(i).padStart(5, '0')}.bin`
}

async function writeRandom (path: string, size: number, seed: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  await pipeline(pseudoRandomStream(seed, size), createWriteStream(path))
}

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise(resolve => server.close(resolve))
  return port
}

/** rsync -a --delete from an rsync daemon serving `source` into each target at once: wall time and bytes received. */
async function rsyncRound (port: number, targets: string[]): Promise<{ ms: number, bytesReceived: number[] }> {
  const t0 = performance.now()
  const runs = await Promise.all(targets.map(async target => await new Promise<number>((resolve, reject) => {
    const child = spawn('rsync', ['-a', '--delete', '--stats', `rsync://127.0.0.1:${port}/src/`, `${target}/`], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    child.stderr.on('data', (d: Buffer) => { err += d.toString() })
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`rsync exited ${String(code)}: ${err}`))
      // "Total bytes received: 1,234" (rsync --stats): what the receiving side read from the wire.
      const match = /Total bytes received: ([\d,.]+)/.exec(out)
      resolve(match === null ? NaN : Number(match[1].replace(/[,.]/g, '')))
    })
  })))
  return { ms: performance.now() - t0, bytesReceived: runs }
}

async function waitForSwitch (api: ApiClient, address: string, seq: number): Promise<MirrorView> {
  const deadline = Date.now() + SWITCH_DEADLINE_MS
  for (;;) {
    const view = (await api.mirrors()).find(m => m.address === address && m.role === 'follower')
    if (view?.seq === seq && view.lastSwitch?.seq === seq) return view
    if (view?.state === 'error') progress(`follower error (retried): ${JSON.stringify(view.error)}`)
    if (Date.now() > deadline) throw new Error(`no switch to version ${seq} within ${SWITCH_DEADLINE_MS} ms: ${JSON.stringify(view)}`)
    await pause(100)
  }
}

async function main (): Promise<void> {
  const options = settings()
  const root = await mkdtemp(join(tmpdir(), 'edgemirror-bench-mirror-'))
  const stopListening = cleanUpOnInterrupt(root)
  let swarm: DaemonSwarm | undefined
  let rsyncd: ReturnType<typeof spawn> | undefined
  try {
    // The tree's shape depends on the seed only.
    const next = seededRandom(options.seed)
    const source = join(root, 'source')
    let fileSizes = sizes(options.files, options.size, next)
    progress(`writing ${options.files} files, ${round(options.size / MIB)} MiB, under ${source}`)
    for (const [i, size] of fileSizes.entries()) await writeRandom(join(source, pathFor(i)), size, options.seed * 1_000_003 + i)

    const hasRsync = spawnSync('rsync', ['--version']).status === 0
    const rsyncTargets = FOLLOWERS.map((_, j) => join(root, `rsync-${j}`))
    let rsyncPort = 0
    if (hasRsync) {
      rsyncPort = await freePort()
      const conf = join(root, 'rsyncd.conf')
      await writeFile(conf, `use chroot = no\n[src]\n  path = ${source}\n  read only = yes\n`)
      rsyncd = spawn('rsync', ['--daemon', '--no-detach', `--port=${rsyncPort}`, `--address=127.0.0.1`, `--config=${conf}`], { stdio: 'ignore' })
      await pause(300)
      for (const t of rsyncTargets) await mkdir(t)
    }

    progress(`starting ${STORAGE} storage daemons and ${FOLLOWERS.length} followers (--capacity 0)`)
    swarm = await DaemonSwarm.start({ root: join(root, 'swarm'), count: STORAGE + FOLLOWERS.length, flags: i => FOLLOWERS.includes(i) ? ['--capacity', '0B'] : [], progress })
    const address = `${swarm.daemons[PUBLISHER].peerId}/${NAME}`
    const mirrors = FOLLOWERS.map(i => join(root, `mirror-${i}`))
    for (const [j, i] of FOLLOWERS.entries()) {
      const r = await swarm.cli(i, ['follow', address, mirrors[j], '--json'])
      if (r.code !== 0) throw new Error(`follow on ${i} failed: ${r.stderr}`)
    }
    const apis = await Promise.all(FOLLOWERS.map(async i => await ApiClient.connect(swarm!.repos[i])))

    const publish = async (seq: number): Promise<{ ms: number, result: any }> => {
      const t0 = performance.now()
      const r = await swarm!.cli(PUBLISHER, ['publish', source, '--name', NAME, '--k', '4', '--m', '2', '--json', '--no-progress'])
      const ms = performance.now() - t0
      if (r.code !== 0 || r.json?.seq !== seq) throw new Error(`publish of version ${seq} failed: ${r.stderr}${r.stdout}`)
      return { ms, result: r.json }
    }

    const measureVersion = async (seq: number, changedBytes: number, changedFiles: number): Promise<void> => {
      const { ms, result } = await publish(seq)
      progress(`version ${seq}: published in ${round(ms)} ms (${result.newFiles} files, ${round(result.newBytes / MIB, 2)} MiB new)`)
      const views = await Promise.all(apis.map(async api => await waitForSwitch(api, address, seq)))
      const publishedAt: number = result.record.publishedAt
      const perFollower = views.map((v, j) => {
        const s = v.lastSwitch!
        return {
          follower: FOLLOWERS[j],
          visibleMs: s.switchedAt - publishedAt,
          recordMs: s.startedAt - publishedAt,
          treeMs: s.treeMs,
          buildMs: s.buildMs,
          fetchedFiles: s.fetchedFiles,
          fetchedBytes: s.fetchedBytes,
          reusedFiles: s.reusedFiles
        }
      })
      const last = perFollower.reduce((a, b) => b.visibleMs > a.visibleMs ? b : a)
      emit({
        measurement: `version-${seq}`,
        files: result.files,
        bytes: result.bytes,
        changedFiles,
        changedBytes,
        publishMs: round(ms),
        lastFollowerVisibleMs: last.visibleMs,
        // Everything but the tree build (which is the data transfer plus linking, fsync and rename).
        lastFollowerOverheadMs: last.visibleMs - last.buildMs,
        fetchedPerChangedByte: changedBytes === 0 ? null : round(median(perFollower.map(p => p.fetchedBytes / changedBytes)), 4),
        unchangedFilesFetched: Math.max(...perFollower.map(p => p.fetchedFiles - changedFiles)),
        followers: perFollower
      })
      if (hasRsync) {
        const r = await rsyncRound(rsyncPort, rsyncTargets)
        emit({
          measurement: `rsync-version-${seq}`,
          targets: rsyncTargets.length,
          ms: round(r.ms),
          bytesReceivedMedian: median(r.bytesReceived),
          receivedPerChangedByte: changedBytes === 0 ? null : round(median(r.bytesReceived) / changedBytes, 4),
          ratioMirrorToRsync: round(last.visibleMs / r.ms, 3)
        })
      } else {
        emit({ measurement: `rsync-version-${seq}`, skipped: 'rsync is not installed (apt-get install rsync)' })
      }
    }

    const total1 = fileSizes.reduce((a, b) => a + b, 0)
    await measureVersion(1, total1, options.files)

    // Version 2: rewrite 10 % of the files (new bytes, new sizes ±10 %), add a few, remove a few.
    const changed = new Set<number>()
    while (changed.size < Math.round(options.files * CHANGED_SHARE)) changed.add(Math.floor(next() * options.files))
    const removed = new Set<number>()
    while (removed.size < REMOVED) {
      const i = Math.floor(next() * options.files)
      if (!changed.has(i)) removed.add(i)
    }
    let changedBytes = 0
    for (const i of changed) {
      fileSizes[i] = Math.max(1, Math.round(fileSizes[i] * (0.9 + 0.2 * next())))
      await writeRandom(join(source, pathFor(i)), fileSizes[i], options.seed * 7_000_003 + i)
      changedBytes += fileSizes[i]
    }
    for (const i of removed) await unlink(join(source, pathFor(i)))
    const addedSizes = sizes(ADDED, Math.round(options.size * 0.01), next)
    for (const [j, size] of addedSizes.entries()) {
      await writeRandom(join(source, `added/new-${j}.bin`), size, options.seed * 9_000_011 + j)
      changedBytes += size
    }
    fileSizes = fileSizes.filter((_, i) => !removed.has(i))
    progress(`version 2: ${changed.size} files rewritten, ${ADDED} added, ${REMOVED} removed (${round(changedBytes / MIB, 2)} MiB changed)`)
    await measureVersion(2, changedBytes, changed.size + ADDED)
  } finally {
    rsyncd?.kill('SIGTERM')
    await swarm?.stop()
    await rm(root, { recursive: true, force: true })
    stopListening()
  }
}

main().catch((err) => {
  process.stderr.write(`bench:mirror failed: ${(err as Error).stack ?? String(err)}\n`)
  process.exitCode = 1
})
