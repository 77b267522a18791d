// Reed-Solomon over GF(2^8) from the Rust reed-solomon-erasure crate compiled to WebAssembly: the default codec,
// available everywhere Node.js runs. Its parity bytes match the Rust and Go (klauspost) reference implementations.
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { ReedSolomonErasure } from '@subspace/reed-solomon-erasure.wasm'
import type { Codec } from './codec.ts'
import { contiguous, scatter, scatterTargets, shardLength, verifyByReencoding } from './codec-support.ts'
import { EdgemirrorError, InvalidParametersError } from './errors.ts'

export const RS_WASM_CODEC_ID = 'rs-wasm-1'

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

  constructor (private readonly module: WebAssembly.Module, readonly k: number, readonly m: number) {
    this.rs = instantiate(module)
  }

  async encode (shards: Uint8Array[]): Promise<void> {
    const { k, m } = this
    const length = shardLength(shards, k, m)
    const all = contiguous(shards, 0, k + m, length)
    check(this.rs.encode(all, k, m), 'encode')
    scatter(all.subarray(k * length), shards, k, k + m, length)
  }

  async reconstruct (shards: Array<Uint8Array | null>, options: { dataOnly?: boolean } = {}): Promise<void> {
    const { k, m } = this
    const length = shardLength(shards, k, m)
    const missing = shards.map(s => s == null)
    if (!missing.includes(true)) return
    const all = contiguous(shards, 0, k + m, length)
    // A fresh instance per reconstruct: the 0.2.5 build corrupts its heap (wee_alloc, in the inversion-tree cache)
    // when one instance reconstructs several different loss patterns, e.g. RS(10,4) losing [0,13] then [0,12,13]
    // ends in "memory access out of bounds" (reproduced here; each pattern alone works). Instantiating a compiled
    // module costs microseconds next to decoding a stripe of megabytes. Encoding never touches that cache.
    const rs = instantiate(this.module)
    // The crate's reconstruct rebuilds data shards only; parity is then re-encoded from the complete data.
    if (missing.slice(0, k).includes(true)) {
      check(rs.reconstruct(all, k, m, missing.map(x => !x)), 'reconstruct')
    }
    const parityMissing = missing.slice(k).includes(true)
    if (parityMissing && options.dataOnly !== true) check(rs.encode(all, k, m), 'encode')
    scatterTargets(all, shards, 0, options.dataOnly === true ? k : k + m, length, missing)
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
