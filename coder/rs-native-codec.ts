// Optional native Reed-Solomon backend (@ronomon/reed-solomon, a C addon using Cauchy matrices and running in
// libuv's thread pool, so two encodes proceed on two cores). It is an optionalDependency: where it did not build,
// loadRsNative() returns undefined and edgemirror uses rs-wasm. Its parity bytes differ from rs-wasm's, hence its
// own codec id.
import { createRequire } from 'node:module'
import type { Codec } from './codec.ts'
import { contiguous, scatterTargets, shardLength, verifyByReencoding } from './codec-support.ts'
import { EdgemirrorError, InvalidParametersError } from './errors.ts'
import { RS_NATIVE_CODEC_ID } from './constants.ts'

export { RS_NATIVE_CODEC_ID }

interface RonomonModule {
  MAX_K: number
  MAX_M: number
  create (k: number, m: number): unknown
  encode (context: unknown, sources: number, targets: number, buffer: Buffer, bufferOffset: number, bufferSize: number,
    parity: Buffer, parityOffset: number, paritySize: number, callback: (error?: Error) => void): void
}

let loaded: RonomonModule | null | undefined

/** The addon, or undefined where it is not installed or failed to build. */
export function loadRsNative (): RonomonModule | undefined {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)('@ronomon/reed-solomon') as RonomonModule
    } catch {
      loaded = null
    }
  }
  return loaded ?? undefined
}

export function createRsNativeCodec (k: number, m: number): Codec | undefined {
  const addon = loadRsNative()
  if (addon == null) return undefined
  if (!Number.isInteger(k) || !Number.isInteger(m) || k < 1 || m < 1 || k > addon.MAX_K || m > addon.MAX_M) {
    throw new InvalidParametersError(`rs-native needs 1 <= k <= ${addon.MAX_K}, 1 <= m <= ${addon.MAX_M} (got k=${k}, m=${m})`)
  }
  return new RsNativeCodec(addon, k, m)
}

class RsNativeCodec implements Codec {
  readonly id = RS_NATIVE_CODEC_ID
  private readonly context: unknown

  constructor (private readonly addon: RonomonModule, readonly k: number, readonly m: number) {
    this.context = addon.create(k, m)
  }

  async encode (shards: Uint8Array[]): Promise<void> {
    const targets = new Array(this.k + this.m).fill(false).map((_, i) => i >= this.k)
    await this.run(shards, targets)
  }

  async reconstruct (shards: Array<Uint8Array | null>, options: { dataOnly?: boolean } = {}): Promise<void> {
    const { k } = this
    const targets = shards.map((s, i) => s == null && (options.dataOnly !== true || i < k))
    if (!targets.includes(true)) return
    await this.run(shards, targets)
  }

  async verify (shards: Uint8Array[]): Promise<boolean> {
    return verifyByReencoding(s => this.encode(s), shards, this.k, this.m)
  }

  private async run (shards: Array<Uint8Array | null>, targets: boolean[]): Promise<void> {
    const { k, m } = this
    const length = shardLength(shards, k, m)
    if (length % 8 !== 0) throw new InvalidParametersError(`rs-native needs shard lengths that are a multiple of 8 (got ${length})`)
    let sources = 0
    let targetBits = 0
    for (let i = 0; i < k + m; i++) {
      if (targets[i]) targetBits |= (1 << i)
      else if (shards[i] != null) sources |= (1 << i)
    }
    const data = contiguous(shards, 0, k, length)
    const parity = contiguous(shards, k, k + m, length)
    const dataBuf = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    const parityBuf = Buffer.from(parity.buffer, parity.byteOffset, parity.byteLength)
    await new Promise<void>((resolve, reject) => {
      this.addon.encode(this.context, sources, targetBits, dataBuf, 0, dataBuf.length, parityBuf, 0, parityBuf.length, (error) => {
        if (error != null) reject(new EdgemirrorError('ERR_CODEC', `rs-native failed: ${error.message}`, {}, { cause: error }))
        else resolve()
      })
    })
    scatterTargets(data, shards, 0, k, length, targets)
    scatterTargets(parity, shards, k, k + m, length, targets)
  }
}
