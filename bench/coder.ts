// The coder benchmark: how fast each codec encodes and reconstructs alone, and how fast the whole pipeline runs
// (file → stripes → encode → hash → shard files, and back: shard files → verify → reconstruct → output file), next to
// the machine's own baselines measured in the same run (Buffer.copy and SHA-256), with peak RSS.
//
//   npm run bench:coder -- [--size 256MiB] [--block-size 1MiB] [--runs 3] [--quick]
//
// One JSON line per measurement on stdout (median of `runs` timed runs after a warm-up; a figure only counts once
// its output was checked against a hash), progress on stderr. MB/s are 10^6 bytes of file per second.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { Codec } from '../coder/codec.ts'
import { createCodec, REPLICA_CODEC_ID, RS_NATIVE_CODEC_ID, RS_WASM_CODEC_ID } from '../coder/codecs.ts'
import { DEFAULT_BLOCK_SIZE } from '../coder/constants.ts'
import { decodeFile } from '../coder/decoder.ts'
import { encodeFile } from '../coder/encoder.ts'
import type { Manifest } from '../coder/manifest.ts'
import { loadRsNative } from '../coder/rs-native-codec.ts'
import { formatSize, parseSize } from '../node/size.ts'
import { pseudoRandomBytes, pseudoRandomStream } from './pseudo-random.ts'
import { FileShardSource, shardFileWriter, shardPath } from './shard-files.ts'
import { median, round } from './measure.ts'

/** The codec-alone runs cycle over at most this much distinct data, so a 1 GiB run does not need 1.4 GiB of RAM;
 *  64 MiB is far beyond any L3 cache, so the cycling does not flatter the figures. */
const MAX_POOL_BYTES = 64 * 1024 * 1024
const CODES: Array<[number, number]> = [[4, 2], [6, 3], [10, 4]]
const REPLICAS = [2, 3]

const { values: flags } = parseArgs({
  options: {
    size: { type: 'string' },
    'block-size': { type: 'string' },
    runs: { type: 'string' },
    quick: { type: 'boolean', default: false }
  }
})
const quick = flags.quick === true
const sizeBytes = parseSize(flags.size ?? (quick ? '4MiB' : '256MiB'))
const blockSize = parseSize(flags['block-size'] ?? `${DEFAULT_BLOCK_SIZE}B`)
const runs = Number(flags.runs ?? (quick ? 1 : 3))
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer (got ${flags.runs})`)

interface Baselines { copy: number, sha256: number }

interface Measurement {
  op: string
  codec: string | null
  k: number | null
  m: number | null
  lost?: number
  /** File bytes per timed run (MB/s are computed from these). */
  bytes: number
  times: number[]
}

function progress (text: string): void {
  process.stderr.write(`[bench:coder] ${text}\n`)
}

function peakRssBytes (): number {
  return process.resourceUsage().maxRSS * 1024
}

function emit (m: Measurement, baselines?: Baselines): number {
  const medianMs = median(m.times)
  const mbPerSec = m.bytes / 1e6 / (medianMs / 1000)
  const line = {
    bench: 'coder',
    op: m.op,
    codec: m.codec,
    k: m.k,
    m: m.m,
    ...(m.lost !== undefined ? { lost: m.lost } : {}),
    blockSize,
    sizeBytes: m.bytes,
    runs: m.times.length,
    medianMs: round(medianMs, 3),
    mbPerSec: round(mbPerSec),
    ratioVsSha256: baselines != null ? significant(mbPerSec / baselines.sha256) : null,
    ratioVsCopy: baselines != null ? significant(mbPerSec / baselines.copy) : null,
    allMs: m.times.map(t => round(t, 3)),
    peakRssBytes: peakRssBytes(),
    cpus: cpus().length,
    node: process.version
  }
  process.stdout.write(JSON.stringify(line) + '\n')
  progress(`${m.op} ${m.codec ?? ''}${m.k != null ? ` (${m.k},${m.m})` : ''}: ${round(mbPerSec)} MB/s (median of ${m.times.length}, ${round(medianMs)} ms)`)
  return mbPerSec
}

/** Three significant digits: a ratio of 0.0004 must not print as 0. */
function significant (x: number): number {
  return Number(x.toPrecision(3))
}

/** Run `body` once untimed, then `runs` times timed; `check` must pass after the last run. */
async function timed (label: string, body: (warmup: boolean) => Promise<void>, check: () => Promise<void> | void): Promise<number[]> {
  progress(`${label}: warm-up`)
  await body(true)
  const times: number[] = []
  for (let r = 0; r < runs; r++) {
    const start = performance.now()
    await body(false)
    times.push(performance.now() - start)
  }
  await check()
  return times
}

function sha256Hex (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

function fail (what: string): never {
  throw new Error(`bench:coder: wrong output, ${what}; no figure reported`)
}

// --- Baselines ------------------------------------------------------------------------------------------------

async function measureBaselines (): Promise<Baselines> {
  const poolBytes = Math.min(MAX_POOL_BYTES, Math.max(blockSize, sizeBytes))
  const source = Buffer.from(pseudoRandomBytes(1, poolBytes))
  const target = Buffer.alloc(poolBytes)
  const blocks = Math.ceil(sizeBytes / blockSize)
  const bytes = blocks * blockSize
  const poolBlocks = Math.max(1, Math.floor(poolBytes / blockSize))
  const copyTimes = await timed('copy', async () => {
    for (let b = 0; b < blocks; b++) {
      const at = (b % poolBlocks) * blockSize
      source.copy(target, at, at, at + blockSize)
    }
  }, () => { if (!target.equals(source)) fail('Buffer.copy') })
  const copy = emit({ op: 'baseline-copy', codec: null, k: null, m: null, bytes, times: copyTimes })
  // One SHA-256 per block, as the coder hashes blocks. The pipeline hashes more than once per file byte (see
  // docs/MANIFEST.md, "Coder benchmark"), so this is a ceiling to divide, not a figure to reach.
  const digests: Buffer[] = []
  const hashTimes = await timed('sha256', async () => {
    digests.length = 0
    for (let b = 0; b < blocks; b++) {
      const at = (b % poolBlocks) * blockSize
      const digest = createHash('sha256').update(source.subarray(at, at + blockSize)).digest()
      if (b < poolBlocks) digests.push(digest)
    }
  }, () => {
    digests.forEach((d, b) => { if (d.toString('hex') !== sha256Hex(source.subarray(b * blockSize, (b + 1) * blockSize))) fail(`sha256 of block ${b}`) })
  })
  const sha256 = emit({ op: 'baseline-sha256', codec: null, k: null, m: null, bytes, times: hashTimes })
  return { copy, sha256 }
}

// --- The codec alone ------------------------------------------------------------------------------------------

interface Pool { stripes: Uint8Array[][], data: string[] }

/** Distinct stripes laid out as the encoder lays them out (one buffer, k + m views), data filled, parity zero. */
function makePool (k: number, m: number): Pool {
  const stripeData = k * blockSize
  const count = Math.max(1, Math.min(Math.ceil(sizeBytes / stripeData), Math.floor(MAX_POOL_BYTES / stripeData)))
  const stripes: Uint8Array[][] = []
  const data: string[] = []
  for (let s = 0; s < count; s++) {
    const buffer = new Uint8Array((k + m) * blockSize)
    buffer.set(pseudoRandomBytes(100 + s, stripeData))
    stripes.push(Array.from({ length: k + m }, (_, i) => buffer.subarray(i * blockSize, (i + 1) * blockSize)))
    data.push(sha256Hex(buffer.subarray(0, stripeData)))
  }
  return { stripes, data }
}

async function measureCodec (codec: Codec, baselines: Baselines): Promise<void> {
  const { k, m, id } = codec
  const pool = makePool(k, m)
  const iterations = Math.ceil(sizeBytes / (k * blockSize))
  const bytes = iterations * k * blockSize
  const label = `${id} (${k},${m})`

  const encodeTimes = await timed(`${label} encode`, async () => {
    for (let i = 0; i < iterations; i++) await codec.encode(pool.stripes[i % pool.stripes.length])
  }, async () => {
    // Parity is right if it rebuilds the data: lose the first m shards of every pool stripe and compare.
    for (const [s, stripe] of pool.stripes.entries()) {
      const shards: Array<Uint8Array | null> = stripe.map((b, i) => i < m ? null : b.slice())
      await codec.reconstruct(shards, { dataOnly: true })
      if (sha256Hex(Buffer.concat(shards.slice(0, k) as Uint8Array[])) !== pool.data[s]) fail(`${label} encode, stripe ${s}`)
    }
  })
  emit({ op: 'codec-encode', codec: id, k, m, bytes, times: encodeTimes }, baselines)

  // Lose m shards, data first (the worst case: all of it must be computed), rebuild the data as a reader does.
  const lost = m
  let last: Array<Array<Uint8Array | null>> = []
  const reconstructTimes = await timed(`${label} reconstruct`, async () => {
    last = []
    for (let i = 0; i < iterations; i++) {
      const stripe = pool.stripes[i % pool.stripes.length]
      const shards: Array<Uint8Array | null> = stripe.map((b, j) => j < lost ? null : b)
      await codec.reconstruct(shards, { dataOnly: true })
      if (i < pool.stripes.length) last.push(shards)
    }
  }, () => {
    last.forEach((shards, s) => {
      if (sha256Hex(Buffer.concat(shards.slice(0, k) as Uint8Array[])) !== pool.data[s]) fail(`${label} reconstruct, stripe ${s}`)
    })
  })
  emit({ op: 'codec-reconstruct', codec: id, k, m, lost, bytes, times: reconstructTimes }, baselines)
}

// --- The whole pipeline ---------------------------------------------------------------------------------------

interface Input { path: string, hash: string }

async function writeInput (dir: string): Promise<Input> {
  const path = join(dir, 'input')
  const file = await open(path, 'w')
  const hash = createHash('sha256')
  try {
    for await (const chunk of pseudoRandomStream(7, sizeBytes)) {
      hash.update(chunk)
      await file.write(chunk)
    }
  } finally {
    await file.close()
  }
  return { path, hash: hash.digest('hex') }
}

async function hashFile (path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path, { highWaterMark: blockSize })) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

async function encodePipeline (codec: Codec, input: Input, shardDir: string, size: number): Promise<Manifest> {
  await rm(shardDir, { recursive: true, force: true })
  await mkdir(shardDir)
  const writer = shardFileWriter(shardDir, codec.k + codec.m)
  try {
    const stream = createReadStream(input.path, { highWaterMark: blockSize, end: size - 1 })
    return (await encodeFile(stream, { codec, blockSize, expectedSize: size }, writer.sink)).manifest
  } finally {
    await writer.close()
  }
}

async function decodePipeline (codec: Codec, manifest: Manifest, shardDir: string, outputPath: string): Promise<void> {
  const source = new FileShardSource(shardDir, blockSize)
  const output = await open(outputPath, 'w')
  try {
    await decodeFile(manifest, source, async chunk => { await output.write(chunk) }, { codec })
  } finally {
    await source.close()
    await output.close()
  }
}

async function measurePipeline (codec: Codec, input: Input, dir: string, baselines: Baselines): Promise<void> {
  const { k, m, id } = codec
  const label = `${id} (${k},${m}) pipeline`
  const shardDir = join(dir, `shards-${id}-${k}-${m}`)
  const warmupSize = Math.min(sizeBytes, 16 * 1024 * 1024)
  let manifest: Manifest | undefined
  const encodeTimes = await timed(`${label} encode`, async (warmup) => {
    manifest = await encodePipeline(codec, input, shardDir, warmup ? warmupSize : sizeBytes)
  }, () => {
    if (manifest == null || Buffer.from(manifest.fileHash).toString('hex') !== input.hash) fail(`${label} encode: file hash`)
  })
  emit({ op: 'pipeline-encode', codec: id, k, m, bytes: sizeBytes, times: encodeTimes }, baselines)
  if (manifest == null) return

  // The worst case a reader meets: m data shards gone, so every stripe is read from parity and reconstructed.
  const lost = m
  const full = manifest
  for (let i = 0; i < lost; i++) await rm(shardPath(shardDir, i))
  const outputPath = join(dir, 'output')
  const decodeTimes = await timed(`${label} decode`, async () => {
    await decodePipeline(codec, full, shardDir, outputPath)
  }, async () => {
    if (await hashFile(outputPath) !== input.hash) fail(`${label} decode: output hash`)
  })
  emit({ op: 'pipeline-decode', codec: id, k, m, lost, bytes: sizeBytes, times: decodeTimes }, baselines)
  await rm(shardDir, { recursive: true, force: true })
  await rm(outputPath, { force: true })
}

// --- Main -----------------------------------------------------------------------------------------------------

async function main (): Promise<void> {
  progress(`size ${formatSize(sizeBytes)}, block size ${formatSize(blockSize)}, ${runs} run(s) after a warm-up, ${cpus().length} CPUs, node ${process.version}`)
  const native = loadRsNative() != null
  if (!native) progress('rs-native: @ronomon/reed-solomon not built here, skipped')
  const configs: Array<[string, number, number]> = [
    ...CODES.map(([k, m]): [string, number, number] => [RS_WASM_CODEC_ID, k, m]),
    ...(native ? CODES.map(([k, m]): [string, number, number] => [RS_NATIVE_CODEC_ID, k, m]) : []),
    // Replication ×2 and ×3 (k = 1, m = R − 1), the two replication schemes `npm run bench` compares.
    ...REPLICAS.map((r): [string, number, number] => [REPLICA_CODEC_ID, 1, r - 1])
  ]
  const dir = await mkdtemp(join(tmpdir(), 'edgemirror-bench-coder-'))
  try {
    const baselines = await measureBaselines()
    for (const [id, k, m] of configs) await measureCodec(await createCodec(id, k, m), baselines)
    progress(`writing the ${formatSize(sizeBytes)} input file`)
    const input = await writeInput(dir)
    for (const [id, k, m] of configs) await measurePipeline(await createCodec(id, k, m), input, dir, baselines)
    process.stdout.write(JSON.stringify({ bench: 'coder', op: 'peak-rss', peakRssBytes: peakRssBytes(), sizeBytes, blockSize, runs, cpus: cpus().length, node: process.version }) + '\n')
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
