// Surroundings for the coder tests: a temp dir, the codecs under test, encoding to shard files and decoding back.
// The shard files and the generated data come from bench/ so the tests exercise what the benchmark measures.
import { copyFile, mkdir, mkdtemp, open, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Codec } from '../../coder/codec.ts'
import { createCodec, REPLICA_CODEC_ID, RS_NATIVE_CODEC_ID, RS_WASM_CODEC_ID } from '../../coder/codecs.ts'
import { decodeFile, type DecodeOptions, type DecodeReport } from '../../coder/decoder.ts'
import { encodeFile, type EncodeOptions, type EncodeResult } from '../../coder/encoder.ts'
import type { Manifest } from '../../coder/manifest.ts'
import { loadRsNative } from '../../coder/rs-native-codec.ts'
import { pseudoRandomBytes } from '../../bench/pseudo-random.ts'
import { FileShardSource, shardFileWriter } from '../../bench/shard-files.ts'
import { seededRandom } from '../node/repair/helpers.ts'
import { concat } from '../node/store/compliance.ts'

export { pseudoRandomBytes, concat, seededRandom }

export const NATIVE_AVAILABLE = loadRsNative() != null
export const NATIVE_SKIP = NATIVE_AVAILABLE ? false : '@ronomon/reed-solomon is not built here'

/** The codes of the issue: replication x3 and three Reed-Solomon shapes. */
export const CODES: Array<[number, number]> = [[1, 2], [4, 2], [6, 3], [10, 4]]

export interface CodecCase {
  label: string
  id: string
  k: number
  m: number
  /** A reason to skip (node:test's `skip` option), or false. */
  skip: string | false
}

/** Every (codec, k, m) under test: replication for k = 1, rs-wasm and rs-native for the rest. */
export function codecCases (codes = CODES): CodecCase[] {
  return codes.flatMap(([k, m]): CodecCase[] => k === 1
    ? [{ label: `${REPLICA_CODEC_ID} (${k},${m})`, id: REPLICA_CODEC_ID, k, m, skip: false }]
    : [
        { label: `${RS_WASM_CODEC_ID} (${k},${m})`, id: RS_WASM_CODEC_ID, k, m, skip: false },
        { label: `${RS_NATIVE_CODEC_ID} (${k},${m})`, id: RS_NATIVE_CODEC_ID, k, m, skip: NATIVE_SKIP }
      ])
}

export async function withTempDir<T> (fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'edgemirror-coder-'))
  try {
    return await fn(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Chunks of uneven sizes, so stripe boundaries never line up with chunk boundaries. */
export async function * chunked (bytes: Uint8Array, chunkSize = 1000): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.byteLength; offset += chunkSize) yield bytes.subarray(offset, offset + chunkSize)
}

/** Encode `source` into shard files in `dir`. */
export async function encodeToDir (dir: string, source: AsyncIterable<Uint8Array>, options: EncodeOptions): Promise<EncodeResult> {
  await mkdir(dir, { recursive: true })
  const writer = shardFileWriter(dir, options.codec.k + options.codec.m)
  try {
    return await encodeFile(source, options, writer.sink)
  } finally {
    await writer.close()
  }
}

export type LossReport = Pick<DecodeReport, 'missing' | 'corrupt' | 'rebuilt'>

/** The part of a decode report that says what was lost and rebuilt (other fields, e.g. hedging, vary by caller). */
export function lossReport (report: DecodeReport): LossReport {
  return { missing: report.missing, corrupt: report.corrupt, rebuilt: report.rebuilt }
}

/** Decode from the shard files in `dir`; the output is collected in memory. */
export async function decodeFromDir (dir: string, manifest: Manifest, options: DecodeOptions = {}): Promise<{ data: Uint8Array, report: LossReport, source: FileShardSource }> {
  const source = new FileShardSource(dir, manifest.blockSize)
  const parts: Uint8Array[] = []
  try {
    // The decoder may hand out views of blocks it reuses; copy what it gives.
    const report = await decodeFile(manifest, source, async chunk => { parts.push(chunk.slice()) }, options)
    return { data: concat(parts), report: lossReport(report), source }
  } finally {
    await source.close()
  }
}

/** A copy of a directory of shard files, to damage without touching the original. */
export async function copyDir (from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true })
  for (const name of await readdir(from)) await copyFile(join(from, name), join(to, name))
}

export interface Encoded {
  codec: Codec
  data: Uint8Array
  dir: string
  result: EncodeResult
}

/** Generate `size` bytes for `seed` and encode them with (id, k, m) into `dir`. */
export async function encodeGenerated (dir: string, id: string, k: number, m: number, size: number, blockSize: number, seed = size): Promise<Encoded> {
  const codec = await createCodec(id, k, m)
  const data = pseudoRandomBytes(seed, size)
  const result = await encodeToDir(dir, chunked(data), { codec, blockSize })
  return { codec, data, dir, result }
}

/** Bit rot: change one byte of a file in place. */
export async function flipByte (path: string, offset: number): Promise<void> {
  const file = await open(path, 'r+')
  try {
    const byte = new Uint8Array(1)
    await file.read(byte, 0, 1, offset)
    byte[0] ^= 0x5a
    await file.write(byte, 0, 1, offset)
  } finally {
    await file.close()
  }
}

/** All subsets of {0..n-1} with at most `max` elements, each sorted. */
export function subsetsUpTo (n: number, max: number): number[][] {
  const out: number[][] = [[]]
  const grow = (prefix: number[], from: number): void => {
    for (let i = from; i < n; i++) {
      const next = [...prefix, i]
      out.push(next)
      if (next.length < max) grow(next, i + 1)
    }
  }
  if (max > 0) grow([], 0)
  return out
}

/** `count` distinct random subsets of {0..n-1} of exactly `size` elements, sorted (fewer if fewer exist). */
export function randomSubsets (n: number, size: number, count: number, random: () => number): number[][] {
  let exist = 1
  for (let i = 0; i < size; i++) exist = exist * (n - i) / (i + 1)
  const seen = new Map<string, number[]>()
  while (seen.size < Math.min(count, Math.round(exist))) {
    const pool = Array.from({ length: n }, (_, i) => i)
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [pool[i], pool[j]] = [pool[j], pool[i]]
    }
    const subset = pool.slice(0, size).sort((a, b) => a - b)
    seen.set(subset.join(','), subset)
  }
  return [...seen.values()]
}
