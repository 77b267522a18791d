// The erasure codec interface (after klauspost/reedsolomon). Striping lives elsewhere (coder/stripe-reader.ts), so a
// codec can be swapped and benchmarked alone. Methods are async because the native backend runs in libuv's thread
// pool, off the main thread; the WebAssembly backend simply resolves at once.

export interface Codec {
  /** Recorded in every manifest; a file is always decoded with the codec that encoded it. */
  readonly id: string
  readonly k: number
  readonly m: number
  /** Fill the m parity shards (indexes k..k+m-1) from the k data shards, in place. All shards have one length. */
  encode (shards: Uint8Array[]): Promise<void>
  /**
   * Rebuild the missing (null) shards in place: every null entry is replaced by a new array.
   * With `dataOnly`, only missing data shards are rebuilt (what a reader needs), parity entries may stay null.
   * Throws NotEnoughShardsError if fewer than k shards are present.
   */
  reconstruct (shards: Array<Uint8Array | null>, options?: { dataOnly?: boolean }): Promise<void>
  /** True when the parity shards match the data shards. */
  verify (shards: Uint8Array[]): Promise<boolean>
}
