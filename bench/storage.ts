// Bytes stored per byte shared, read from the stores of a real swarm rather than computed from n/k: a loopback
// swarm of daemon processes (test/harness/daemon-process.ts), one file shared per scheme, and the sum of `bytes` from
// `edgemirror status --json` over every daemon before and after. Manifest bytes are measured apart (the sizes of
// the files under each repo's store/manifests/, docs/STORAGE.md) and subtracted, so `bytesPerByte` is shard bytes
// only; the manifests are reported beside it. A figure counts only once the file fetched back has the input's SHA-256.
//
//   node --import tsx --import ./node/polyfill.ts bench/storage.ts -- [--schemes rs-4-2,replicas-3] [--quick]
//     [--size 60MiB] [--block-size 1MiB] [--peers 6]
//
// One JSON line per scheme on stdout, progress on stderr. The file size defaults to lcm(k of every scheme) × block
// size, so no scheme pays stripe padding unless asked to (--size); padding is then reported, not hidden.
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ApiClient } from '../node/api/client.ts'
import { runCli, spawnDaemon, type CliResult, type DaemonProcess } from '../test/harness/daemon-process.ts'
import { formatSize, parseSize } from '../node/size.ts'
import { pseudoRandomStream } from './pseudo-random.ts'
import { parseSchemes, shareFlags, type NamedScheme } from './schemes.ts'
import { sha256File } from './measure.ts'

const { values: flags } = parseArgs({
  options: {
    schemes: { type: 'string' },
    quick: { type: 'boolean', default: false },
    size: { type: 'string' },
    'block-size': { type: 'string' },
    peers: { type: 'string', default: '6' }
  }
})
const quick = flags.quick === true
const schemes = parseSchemes(flags.schemes)
/** 64 KiB blocks keep the --quick file small (lcm(4,6,10) × 64 KiB = 3.75 MiB); 1 MiB is the coder's default. */
const blockSize = parseSize(flags['block-size'] ?? (quick ? '64KiB' : '1MiB'))
const peers = Number(flags.peers)
if (!Number.isInteger(peers) || peers < 2) throw new Error(`--peers must be an integer ≥ 2, got ${flags.peers}`)
const size = flags.size !== undefined ? parseSize(flags.size) : schemes.map(s => s.k).reduce(lcm, 1) * blockSize

function progress (text: string): void {
  process.stderr.write(`[bench:storage] ${text}\n`)
}

function lcm (a: number, b: number): number {
  const gcd = (x: number, y: number): number => y === 0 ? x : gcd(y, x % y)
  return a / gcd(a, b) * b
}

/** A mesh of daemons forms in seconds idle and in about half a minute on 2 busy cores (test/harness/daemon-swarm.ts). */
const MESH_DEADLINE_MS = 120_000

/** `count` daemons on 127.0.0.1, peer 0 first and the others bootstrapping through it, until each sees all others. */
class Swarm {
  readonly daemons: DaemonProcess[] = []
  constructor (readonly root: string) {}
  get repos (): string[] { return this.daemons.map(d => d.repo) }
  get size (): number { return this.daemons.length }

  async start (count: number): Promise<void> {
    const spawnPeer = async (i: number, bootstrap: string[]): Promise<void> => {
      this.daemons[i] = await spawnDaemon(join(this.root, `peer-${i}`), ['--listen', '/ip4/127.0.0.1/tcp/0', '--zone', `z${i}`, ...bootstrap])
    }
    await spawnPeer(0, [])
    const started = await Promise.allSettled(Array.from({ length: count - 1 }, async (_, j) => { await spawnPeer(j + 1, ['--bootstrap', this.daemons[0].addresses[0]]) }))
    const failed = started.find(r => r.status === 'rejected')
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason
    const deadline = Date.now() + MESH_DEADLINE_MS
    for (const repo of this.repos) {
      while ((await (await ApiClient.connect(repo)).status()).peers < count - 1) {
        if (Date.now() > deadline) throw new Error(`${repo} does not see ${count - 1} peers after ${MESH_DEADLINE_MS} ms`)
        await new Promise(resolve => setTimeout(resolve, 250))
      }
    }
  }

  async cli (i: number, args: string[]): Promise<CliResult> {
    return await runCli([...args, '--repo', this.daemons[i].repo])
  }

  async stop (): Promise<void> {
    await Promise.all(this.daemons.filter(d => d !== undefined).map(async d => { await d.stop() }))
  }
}

/** Total of `bytes` (shards + manifests, the store's committed bytes) over every daemon: the figure
 *  `edgemirror status --json` prints, read from the same control API without a CLI process per daemon. */
async function storedBytes (swarm: Swarm): Promise<number> {
  const all = await Promise.all(swarm.repos.map(async repo => (await (await ApiClient.connect(repo)).status()).bytes))
  return all.reduce((a, b) => a + b, 0)
}

/** Bytes of one manifest on disk in every repo that holds it, and how many repos do. */
async function manifestBytes (swarm: Swarm, cid: string): Promise<{ bytes: number, copies: number }> {
  let bytes = 0
  let copies = 0
  for (const repo of swarm.repos) {
    const dir = join(repo, 'store', 'manifests')
    if (!(await readdir(dir)).includes(cid)) continue
    bytes += (await stat(join(dir, cid))).size
    copies++
  }
  return { bytes, copies }
}

async function measure (swarm: Swarm, root: string, scheme: NamedScheme, seed: number): Promise<void> {
  const input = join(root, `input-${scheme.id}.bin`)
  await writeFile(input, pseudoRandomStream(seed, size))
  const expected = await sha256File(input)
  const before = await storedBytes(swarm)
  const shared = await swarm.cli(0, ['share', input, '--json', '--block-size', String(blockSize), '--allow-fewer-peers', ...shareFlags(scheme)])
  if (shared.code !== 0) throw new Error(`share ${scheme.id} failed (exit ${shared.code}): ${shared.stderr.trim()}`)
  const after = await storedBytes(swarm)
  const { cid, shards, warnings } = shared.json as { cid: string, shards: Array<{ index: number, peer: string }>, warnings: string[] }
  const manifests = await manifestBytes(swarm, cid)

  // The bytes must come back: fetch through the last daemon (not the sharer) and compare hashes.
  const output = join(root, `output-${scheme.id}.bin`)
  const fetched = await swarm.cli(swarm.size - 1, ['fetch', cid, '-o', output, '--json'])
  if (fetched.code !== 0) throw new Error(`fetch ${scheme.id} failed (exit ${fetched.code}): ${fetched.stderr.trim()}`)
  const got = await sha256File(output)
  if (got !== expected) throw new Error(`fetch ${scheme.id}: sha256 ${got}, the input's is ${expected}; no figure reported`)
  await rm(input, { force: true })
  await rm(output, { force: true })

  const total = after - before
  const shardBytes = total - manifests.bytes
  const stripes = Math.ceil(size / (scheme.k * blockSize))
  const line = {
    bench: 'storage',
    scheme: scheme.id,
    k: scheme.k,
    m: scheme.m,
    sizeBytes: size,
    blockSize,
    peers,
    holders: new Set(shards.map(s => s.peer)).size,
    storedBytes: total,
    shardBytes,
    manifestBytes: manifests.bytes,
    manifestCopies: manifests.copies,
    bytesPerByte: round(shardBytes / size, 4),
    bytesPerByteWithManifests: round(total / size, 4),
    nominalOverhead: round((scheme.k + scheme.m) / scheme.k, 4),
    /** Shard bytes beyond n/k × size: the last stripe padded to k whole blocks. */
    paddingBytes: shardBytes - Math.round(size * (scheme.k + scheme.m) / scheme.k),
    expectedShardBytes: stripes * (scheme.k + scheme.m) * blockSize,
    verified: true,
    warnings
  }
  process.stdout.write(JSON.stringify(line) + '\n')
  progress(`${scheme.id}: ${formatSize(total)} stored for ${formatSize(size)} shared (${line.bytesPerByte} shard bytes per byte, manifests ${manifests.bytes} B on ${manifests.copies} peers)`)
}

function round (x: number, digits: number): number {
  return Number(x.toFixed(digits))
}

async function main (): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'edgemirror-bench-storage-'))
  const swarm = new Swarm(root)
  try {
    progress(`${peers} daemons, ${formatSize(size)} per scheme, block size ${formatSize(blockSize)}, schemes ${schemes.map(s => s.id).join(', ')}`)
    await swarm.start(peers)
    let seed = 1000
    for (const scheme of schemes) await measure(swarm, root, scheme, seed++)
  } finally {
    await swarm.stop()
    await rm(root, { recursive: true, force: true })
  }
}

main().catch((err) => {
  progress(`failed: ${(err as Error).stack ?? String(err)}`)
  process.exitCode = 1
})
