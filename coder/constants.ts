// Coder defaults and hard limits. Each number says where it comes from.

/** Default block size: 1 MiB. The coder benchmark (bench/coder.ts) shows rs-wasm throughput flat from 256 KiB
 *  up, while per-block overheads (hash call, frame, promise) dominate below 64 KiB; 1 MiB also matches the write
 *  size at which noise+yamux reach their best throughput on loopback (~870 MB/s, issue #4 measurements). */
export const DEFAULT_BLOCK_SIZE = 1024 * 1024

/** Block sizes must be a multiple of 8: the native Reed-Solomon addon (@ronomon/reed-solomon) requires it, and
 *  keeping one rule for every codec keeps shard geometry identical whichever codec encoded the file. */
export const BLOCK_ALIGNMENT = 8

/** 16 MiB: the largest frame the wire protocol accepts carries one block plus its header. */
export const MAX_BLOCK_SIZE = 16 * 1024 * 1024

/** Reed-Solomon over GF(2^8) allows at most 256 shards in total; the native addon caps k at 24 and m at 6. */
export const MAX_TOTAL_SHARDS = 256

/** Defaults for `share`: RS(4,2) survives any 2 lost peers at 1.5x storage (replication x3 needs 3x). */
/** The Reed-Solomon backends a share may ask for (`share --codec`): ids recorded in manifests, here so the CLI can check
 *  a flag without loading a codec. rs-native-1 works only where its addon built. */
export const RS_WASM_CODEC_ID = 'rs-wasm-1'
export const RS_NATIVE_CODEC_ID = 'rs-native-1'

export const DEFAULT_K = 4
export const DEFAULT_M = 2

/** SHA-256 digest length in bytes (FIPS 180-4). */
export const HASH_LENGTH = 32

/** Largest encoded manifest we accept: 64 MiB holds the block hashes of a ~1.3 TiB file at RS(4,2) and 1 MiB blocks
 *  (32 bytes per block per shard, parity shards included, see docs/MANIFEST.md). Anything larger is refused before
 *  it is parsed. */
export const MAX_MANIFEST_BYTES = 64 * 1024 * 1024

/** File names travel in manifests; keep them short enough for every common filesystem (NAME_MAX = 255 bytes). */
export const MAX_NAME_BYTES = 255

/** Files from this size on are encoded on the encode worker (coder/stripe-encoder.ts). Below it a share encodes in tens
 *  of milliseconds, less than the worker's first start-up costs (0.3-0.5 s measured here, loading the TypeScript
 *  loader and the codec in the new thread). */
export const OFFLOAD_MIN_BYTES = 8 * 1024 * 1024

/**
 * Stripes a shard that held a stripe up (hedging, coder/decoder.ts) stays at the back of the read order; doubled each
 * time the same shard does it again. Reading a parity shard in place of a data shard means decoding every stripe,
 * so a holder slowed by a passing hiccup (a GC pause, a busy core) should be back soon: 16 stripes. A holder that
 * stays slow is retried ever more rarely (exponential backoff): at most log2(stripes / 16) more late stripes per file.
 */
export const DEMOTION_STRIPES = 16
