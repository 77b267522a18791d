// Types of helia-node.mjs, so the project's tsc checks bench/helia-peer.ts without resolving Helia.
export interface HeliaNode {
  peerId: string
  addresses: string[]
  /** UnixFS-imports the bytes (helia's defaults: 256 KiB chunks, raw leaves, CIDv1); returns the root CID. */
  add: (bytes: AsyncIterable<Uint8Array>) => Promise<string>
  dial: (address: string) => Promise<void>
  cat: (cid: string) => AsyncIterable<Uint8Array>
  stop: () => Promise<void>
}
export declare function startHeliaNode (blockstoreDir: string): Promise<HeliaNode>
