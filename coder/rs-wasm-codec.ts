// Reed-Solomon over GF(2^8) from the Rust reed-solomon-erasure crate compiled to WebAssembly: the default codec,
// available everywhere Node.js runs. Its parity bytes match the Rust and Go (klauspost) reference implementations.
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { ReedSolomonErasure } from '@subspace/reed-solomon-erasure.wasm'
import type { Codec } from './codec.ts'
import { contiguous, scatter, scatterTargets, shardLength, verifyByReencoding } from './codec-support.ts'
import { EdgemirrorError, InvalidParametersError } from './errors.ts'
import { simdKernel } from './gf-simd.ts'
import { encodingMatrix, invertMatrix, mulAddInto } from './gf256.ts'
import { RS_WASM_CODEC_ID } from './constants.ts'

export { RS_WASM_CODEC_ID }

let compiled: Promise<WebAssembly.Module> | undefined

/** Compile the WebAssembly module once per process (asynchronously); instances are cheap after that. */
function compileWasm (): Promise<WebAssembly.Module> {
  compiled ??= (async () => {
    const entry = createRequire(import.meta.url).resolve('@subspace/reed-solomon-erasure.wasm')
    return await WebAssembly.compile(await readFile(join(dirname(entry), 'reed_solomon_erasure_bg.wasm')))
  })()
  return compiled
}

/** The package's constructor is private in its typings but is the documented way fromBytes() wraps an instance. */
const ReedSolomonErasureFromExports = ReedSolomonErasure as unknown as new (exports: WebAssembly.Exports) => ReedSolomonErasure

function instantiate (module: WebAssembly.Module): ReedSolomonErasure {
  return new ReedSolomonErasureFromExports(new WebAssembly.Instance(module).exports)
}

export async function createRsWasmCodec (k: number, m: number): Promise<Codec> {
  if (!Number.isInteger(k) || !Number.isInteger(m) || k < 1 || m < 1 || k + m > 256) {
    throw new InvalidParametersError(`rs-wasm needs 1 <= k, 1 <= m, k + m <= 256 (got k=${k}, m=${m})`)
  }
  return new RsWasmCodec(await compileWasm(), k, m)
}

class RsWasmCodec implements Codec {
  readonly id = RS_WASM_CODEC_ID

  private readonly rs: ReedSolomonErasure
  private encoding: number[][] | undefined
  /** Per set of source shards; at most C(k + m, k) of them, and a file rarely meets more than a few. */
  private readonly decodeMatrices = new Map<string, number[][]>()

  constructor (module: WebAssembly.Module, readonly k: number, readonly m: number) {
    this.rs = instantiate(module)
  }

  async encode (shards: Uint8Array[]): Promise<void> {
    const { k, m } = this
    const length = shardLength(shards, k, m)
    // The same matrix as the crate's (coder/gf256.ts, pinned by test/coder/gf256-reference.ts), so the same parity
    // bytes, with SIMD: ~0.26 s of one core per GB of file for RS(4,2), against ~0.86 through the crate.
    const simd = simdKernel()
    if (simd !== undefined) {
      simd.multiply(this.parityRows(), shards.slice(0, k), shards.slice(k))
      return
    }
    const all = contiguous(shards, 0, k + m, length)
    check(this.rs.encode(all, k, m), 'encode')
    scatter(all.subarray(k * length), shards, k, k + m, length)
  }

  /**
   * Lost data blocks are rebuilt here from the inverse of the encoding matrix's rows of k present shards, with the
   * SIMD kernel (coder/gf-simd.ts; the TypeScript loop of coder/gf256.ts where WebAssembly SIMD is missing), never with
   * the crate's reconstruct: it cannot be called twice on one instance. The 0.2.5 build corrupts its heap (wee_alloc,
   * in the inversion-tree cache), e.g. RS(10,4) losing [0,13] then [0,12,13] ends in "memory access out of bounds",
   * and even one pattern repeated fails with "too few shards present" (both reproduced here,
   * test/coder/codecs.test.ts); a fresh instance per stripe grew a fresh WebAssembly memory of (k + m) blocks each
   * time, garbage that V8 frees only at a full GC (a degraded 4 GiB fetch's reader peaked at 343 MiB).
   */
  async reconstruct (shards: Array<Uint8Array | null>, options: { dataOnly?: boolean } = {}): Promise<void> {
    const { k, m } = this
    const length = shardLength(shards, k, m)
    const missing = shards.map(s => s == null)
    if (!missing.includes(true)) return
    const lostData = missing.slice(0, k).flatMap((lost, i) => (lost ? [i] : []))
    if (lostData.length > 0) {
      const sources = missing.flatMap((lost, i) => (lost ? [] : [i])).slice(0, k)
      const decode = this.decodeMatrix(sources)
      const rebuilt = lostData.map(() => new Uint8Array(length))
      const simd = simdKernel()
      if (simd !== undefined) {
        simd.multiply(lostData.map(d => decode[d]), sources.map(i => shards[i] as Uint8Array), rebuilt)
      } else {
        lostData.forEach((d, r) => { sources.forEach((source, j) => { mulAddInto(rebuilt[r], shards[source] as Uint8Array, decode[d][j]) }) })
      }
      lostData.forEach((d, r) => { shards[d] = rebuilt[r] })
    }
    const lostParity = missing.slice(k).includes(true)
    const simd = simdKernel()
    if (lostParity && options.dataOnly !== true && simd !== undefined) {
      const lost = missing.flatMap((isLost, i) => (isLost && i >= k ? [i] : []))
      const rebuilt = lost.map(() => new Uint8Array(length))
      const rows = this.parityRows()
      simd.multiply(lost.map(i => rows[i - k]), shards.slice(0, k) as Uint8Array[], rebuilt)
      lost.forEach((i, r) => { shards[i] = rebuilt[r] })
    } else if (lostParity && options.dataOnly !== true) {
      const all = contiguous(shards, 0, k + m, length)
      check(this.rs.encode(all, k, m), 'encode')
      scatterTargets(all.subarray(k * length), shards, k, k + m, length, missing)
    }
  }

  /** The encoding matrix's parity rows: parity shard p = sum over j of row p [j] x data shard j. */
  private parityRows (): number[][] {
    this.encoding ??= encodingMatrix(this.k, this.m)
    return this.encoding.slice(this.k)
  }

  /** Rows of inverse(encoding matrix rows `sources`): data block d = sum over j of row d [j] x shard sources[j]. */
  private decodeMatrix (sources: number[]): number[][] {
    const key = sources.join(',')
    let rows = this.decodeMatrices.get(key)
    if (rows === undefined) {
      const encoding = this.encoding ??= encodingMatrix(this.k, this.m)
      rows = invertMatrix(sources.map(i => encoding[i]))
      this.decodeMatrices.set(key, rows)
    }
    return rows
  }

  async verify (shards: Uint8Array[]): Promise<boolean> {
    return verifyByReencoding(s => this.encode(s), shards, this.k, this.m)
  }
}

function check (result: number, operation: string): void {
  if (result !== ReedSolomonErasure.RESULT_OK) {
    throw new EdgemirrorError('ERR_CODEC', `rs-wasm ${operation} failed with result ${result}`, { result })
  }
}
