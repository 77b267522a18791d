// What a fetch answers: the control API carries these as they are (node/api/types.ts re-exports them).

export interface FetchStart {
  cid: string
  size: number
  /** Hex SHA-256 of the whole file from the manifest: the client checks what it wrote against it. Null for an encrypted
   *  file read with its capability: its manifest holds the ciphertext's hash, nothing to check plaintext against. */
  sha256: string | null
  name: string | null
  /** The file's bytes; the stream fails (throws) if the file cannot be rebuilt. */
  body: AsyncIterable<Uint8Array>
  /** Resolves after the body is consumed: which shards were missing/corrupt/rebuilt. */
  done: Promise<FetchReport>
}

export interface FetchReport {
  missing: number[]
  /** Shards with a block that failed its hash and no other holder with a good one. */
  corrupt: number[]
  rebuilt: number[]
  /** Stripes for which a slow holder made the fetch ask one extra shard (hedging). */
  hedged: number
  /** Peers that served a block failing its hash: the fetch stopped reading anything of this file from them. */
  badHolders: string[]
}
