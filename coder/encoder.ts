// Encoding: stream a file in, hand each encoded stripe (k + m blocks and their hashes) to a sink, and return the
// manifest. Memory stays bounded by `depth` stripes in flight whatever the file size: the sink's promise is the
// backpressure (a slow peer slows the reader, nothing piles up).
import type { Codec } from './codec.ts'
import { DEFAULT_BLOCK_SIZE, HASH_LENGTH } from './constants.ts'
import { AbortedError, SizeMismatchError } from './errors.ts'
import { assertGeometry, stripeCount } from './layout.ts'
import { keyCheckOf } from './capability.ts'
import { cryptSource } from './file-cipher.ts'
import { encodeManifest, ENCRYPTED_MANIFEST_VERSION, ENCRYPTION_ALG, manifestCid, MANIFEST_VERSION, type ManifestCore, type ManifestV2, type ManifestV3 } from './manifest.ts'
import type { ProgressOptions } from './progress.ts'
import { readStripes, type ByteSource } from './stripe-reader.ts'
import { InlineStripeEncoder, WorkerStripeEncoder, type StripeEncoder } from './stripe-encoder.ts'

export interface EncodedStripe {
  index: number
  blockSize: number
  /** k + m blocks: data then parity. Valid until the sink's promise resolves. */
  blocks: Uint8Array[]
  /** SHA-256 of each block. */
  hashes: Uint8Array[]
}

export type StripeSink = (stripe: EncodedStripe) => Promise<void>

export interface EncodeOptions extends ProgressOptions {
  codec: Codec
  blockSize?: number
  /** File size if known in advance: checked at the end, and used for progress. */
  expectedSize?: number
  /** Stripes encoded ahead of the sink (2 lets the codec work while the sink sends). */
  depth?: number
  /** Encode and hash on the encode worker thread (coder/stripe-encoder.ts) instead of this one. */
  offload?: boolean
  /** Encrypt the file with this 32-byte key first (AES-256-CTR, coder/file-cipher.ts): blocks, hashes and the
   *  manifest's fileHash are the ciphertext's, and the manifest is version 3 with the key's check (never the key). */
  key?: Uint8Array
}

export interface EncodeResult {
  manifest: ManifestV2 | ManifestV3
  manifestBytes: Uint8Array
  cid: string
}

export async function encodeFile (source: ByteSource, options: EncodeOptions, sink: StripeSink): Promise<EncodeResult> {
  const { codec, signal, onProgress } = options
  const { k, m } = codec
  const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE
  assertGeometry({ k, m, blockSize, fileSize: 0 })
  const depth = Math.max(1, options.depth ?? 2)
  const stripes: StripeEncoder = options.offload === true ? new WorkerStripeEncoder(codec) : new InlineStripeEncoder(codec)
  const hashLists: Uint8Array[][] = Array.from({ length: k + m }, () => [])
  let fileSize = 0
  let fileHash: Uint8Array

  async function deliver (encoded: EncodedStripe, dataBytes: number): Promise<void> {
    encoded.hashes.forEach((h, i) => hashLists[i].push(h))
    await sink(encoded)
    fileSize += dataBytes
    onProgress?.({ phase: 'encode', bytes: fileSize, total: options.expectedSize })
  }

  try {
    const inFlight: Array<{ encoded: Promise<EncodedStripe>, dataBytes: number }> = []
    const bytes = options.key === undefined ? source : cryptSource(source, options.key)
    for await (const stripe of readStripes(bytes, k, m, blockSize, signal)) {
      if (signal?.aborted === true) throw new AbortedError()
      const encoded = stripes.encode(stripe)
      encoded.catch(() => {}) // observed below, in order; this keeps an early failure from being unhandled
      inFlight.push({ encoded, dataBytes: stripe.dataBytes })
      if (inFlight.length >= depth) {
        const next = inFlight.shift()!
        await deliver(await next.encoded, next.dataBytes)
      }
    }
    for (const next of inFlight) await deliver(await next.encoded, next.dataBytes)
    fileHash = await stripes.digest()
  } finally {
    stripes.close()
  }

  if (options.expectedSize !== undefined && options.expectedSize !== fileSize) {
    throw new SizeMismatchError(`input ended after ${fileSize} bytes, ${options.expectedSize} were announced`, { actual: fileSize, expected: options.expectedSize })
  }
  // Nothing but the bytes and their coding: no name, no clock, so the same file coded the same way has one CID.
  const core: ManifestCore = {
    codec: codec.id,
    k,
    m,
    blockSize,
    fileSize,
    fileHash,
    shardHashes: hashLists.map(list => concatHashes(list))
  }
  const manifest: ManifestV2 | ManifestV3 = options.key === undefined
    ? { version: MANIFEST_VERSION, ...core }
    : { version: ENCRYPTED_MANIFEST_VERSION, ...core, encryption: { alg: ENCRYPTION_ALG, keyCheck: keyCheckOf(options.key) } }
  if (stripeCount(manifest) !== hashLists[0].length) throw new Error('internal: stripe count mismatch')
  const manifestBytes = encodeManifest(manifest)
  return { manifest, manifestBytes, cid: (await manifestCid(manifestBytes)).toString() }
}

function concatHashes (list: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(list.length * HASH_LENGTH)
  list.forEach((h, i) => out.set(h, i * HASH_LENGTH))
  return out
}
