// `edgemirror peers`: connected peers with their placement facts and round-trip time.
import type { Command } from 'commander'
import { ApiClient } from '../api/client.ts'
import { zoneLabel } from '../placement/domains.ts'
import { formatSize } from '../size.ts'
import { action, output, repoDir, table, withCommonOptions, type CommonOptions } from './common.ts'

export function registerPeers (program: Command): void {
  withCommonOptions(program.command('peers').description('list connected peers: region, zone, carbon intensity, RTT, free space'))
    .action(action(async (options: CommonOptions) => {
      const api = await ApiClient.connect(repoDir(options))
      output(options, await api.peers(), peers => peers.length === 0
        ? 'no peers connected'
        : table(['peer', 'region', 'zone', 'gCO2/kWh', 'rtt ms', 'free'], peers.map(p => [
          p.peerId, p.region, zoneLabel(p.zone), p.carbon,
          p.rttMs == null ? null : `${p.rttMs.toFixed(1)}${p.rttSource === 'estimated' ? ' (est)' : ''}`,
          p.freeBytes == null ? 'unlimited' : formatSize(p.freeBytes)
        ])))
    }))
}
