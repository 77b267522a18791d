// What this node tells its peers about itself (info protocol) and counts itself as in placement: its failure domains,
// carbon intensity, free and used space, and its network coordinate.
import type { CarbonProvider } from '../carbon/index.ts'
import type { ShardStore } from '../store/shard-store.ts'
import type { PeerInfoMessage } from '../wire/messages.ts'
import type { PeerDirectory } from './peer-directory.ts'

export interface SelfInfoComponents {
  store: Pick<ShardStore, 'stats'>
  carbon: Pick<CarbonProvider, 'current'>
  directory: Pick<PeerDirectory, 'coordinate'>
  /** This node's failure domains (--zone, --region). */
  domains: { zone: string, region: string }
}

export async function selfInfo (components: SelfInfoComponents): Promise<PeerInfoMessage> {
  const stats = await components.store.stats()
  const reading = components.carbon.current()
  return {
    zone: components.domains.zone,
    region: components.domains.region,
    carbon: reading.gco2PerKwh,
    carbonSource: reading.source,
    freeBytes: Number.isFinite(stats.freeBytes) ? stats.freeBytes : null,
    usedBytes: stats.bytes + stats.reservedBytes,
    coordinate: components.directory.coordinate
  }
}
