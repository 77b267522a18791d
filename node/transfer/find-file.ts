// Finding a file before reading or checking it: who holds what (the locator), its manifest (from this node or a
// holder, always checked against the CID), and, when the peers we are connected to hold too few of its shards, a
// second look that asks DHT providers too. Fetch and check both start here.
import { logger } from '@libp2p/logger'
import { decodeManifestFor, parseCid, type Manifest } from '../../coder/manifest.ts'
import { NotFoundError } from '../errors.ts'
import type { ManifestCache } from '../manifest-cache.ts'
import type { ShardStore } from '../store/shard-store.ts'
import { locate, type Holders, type LocatorComponents } from './locator.ts'
import { fetchManifestBytes } from './shard-client.ts'

const log = logger('edgemirror:find-file')

export interface FindFileComponents extends LocatorComponents {
  store: Pick<ShardStore, 'hasManifest' | 'listShards' | 'putManifest'>
  manifests: Pick<ManifestCache, 'get' | 'remember'>
}

/** The manifest of `cid`: from this node's store, else from a holder (located unless given), always checked against
 *  the CID; a manifest fetched from a peer is kept when the store has room. */
export async function loadManifest (components: FindFileComponents, cid: string, holders?: Holders, signal?: AbortSignal): Promise<Manifest> {
  parseCid(cid)
  const local = await components.manifests.get(cid)
  if (local !== undefined) return local
  const found = holders ?? await locate(components, cid, { signal })
  for (const peer of found.manifest) {
    if (peer === components.selfId) continue
    try {
      const bytes = await fetchManifestBytes(components.dial, peer, cid, signal)
      const manifest = await decodeManifestFor(cid, bytes)
      components.manifests.remember(cid, manifest)
      // Kept when the store has room: a reader with no room (--capacity 0B, a full disk) still reads the file. Before
      // this was best effort, such a node found every holder's manifest "failed" and nothing readable.
      await components.store.putManifest(cid, bytes).catch((err: Error) => { log('keeping manifest %s: %s', cid, err.message) })
      return manifest
    } catch (err) {
      log('manifest %s from %s failed: %s', cid, peer, (err as Error).message)
    }
  }
  throw new NotFoundError(`no reachable peer holds ${cid}`, { cid })
}

/** The manifest and holders of `cid`. When connected peers hold fewer than `wanted(manifest)` shard indexes (fetch:
 *  k, check: k + m), the holders are located again with DHT providers asked too. */
export async function findFile (components: FindFileComponents, cid: string, wanted: (manifest: Manifest) => number, signal?: AbortSignal): Promise<{ manifest: Manifest, holders: Holders }> {
  let holders = await locate(components, cid, { signal })
  const manifest = await loadManifest(components, cid, holders, signal)
  if (holders.shards.size < wanted(manifest)) holders = await locate(components, cid, { signal, providers: true })
  return { manifest, holders }
}
