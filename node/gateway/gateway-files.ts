// Where the gateway's bytes come from: the node's fetch service, or the edge cache in front of it (both routes, /f/
// and /m/, read through it).
import type { ByteRange } from '../../coder/layout.ts'
import type { Manifest } from '../../coder/manifest.ts'
import type { FetchStart } from '../fetch/types.ts'

/** What the gateway reads files through: the node, or an edge cache in front of it. */
export interface GatewayFiles {
  /** The file's manifest, checked against its CID. */
  manifest (cid: string, options: { signal?: AbortSignal }): Promise<Manifest>
  /** The file's bytes, or only `range` of them; every block verified before it is yielded. */
  fetch (cid: string, options: { signal?: AbortSignal, range?: ByteRange }): Promise<FetchStart>
}
