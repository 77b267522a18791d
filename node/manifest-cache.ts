// Decoded manifests, read from the store once and kept in a small LRU: a 10 GiB file's manifest is ~0.5 MiB, and
// every shard request needs it, so it must not be re-read and re-parsed per request.
import { decodeManifestFor, type Manifest } from '../coder/manifest.ts'
import type { ShardStore } from './store/shard-store.ts'

/** 64 manifests: a few MiB at most for typical files; a cold miss costs one read + parse. */
const CAPACITY = 64

export class ManifestCache {
  private readonly entries = new Map<string, Manifest>()

  constructor (private readonly store: Pick<ShardStore, 'getManifest'>) {}

  /** The decoded manifest for `cid`, or undefined if this node does not hold it. Checked against its CID. */
  async get (cid: string): Promise<Manifest | undefined> {
    const hit = this.entries.get(cid)
    if (hit !== undefined) {
      this.entries.delete(cid)
      this.entries.set(cid, hit)
      return hit
    }
    const bytes = await this.store.getManifest(cid)
    if (bytes === undefined) return undefined
    const manifest = await decodeManifestFor(cid, bytes)
    this.remember(cid, manifest)
    return manifest
  }

  /** Drop `cid` (its file was deleted from this node). */
  forget (cid: string): void {
    this.entries.delete(cid)
  }

  remember (cid: string, manifest: Manifest): void {
    this.entries.set(cid, manifest)
    while (this.entries.size > CAPACITY) this.entries.delete(this.entries.keys().next().value as string)
  }
}
