// `edgemirror status`: what this node holds and how it sees the swarm.
import type { Command } from 'commander'
import { ApiClient } from '../api/client.ts'
import type { StatusResult } from '../api/types.ts'
import { zoneLabel } from '../placement/domains.ts'
import { formatSize } from '../size.ts'
import { action, output, repoDir, withCommonOptions, type CommonOptions } from './common.ts'

export function registerStatus (program: Command): void {
  withCommonOptions(program.command('status').description('print peers, stored shards and bytes, carbon source and repair state'))
    .action(action(async (options: CommonOptions) => {
      const api = await ApiClient.connect(repoDir(options))
      output(options, await api.status(), human)
    }))
}

function human (s: StatusResult): string {
  const lines = [
    `peer id    ${s.peerId}`,
    `location   region ${s.region}, zone ${zoneLabel(s.zone)}`,
    `peers      ${s.peers}`,
    `stored     ${s.shards} shards, ${s.manifests} manifests, ${formatSize(s.bytes)}${s.capacity !== null ? ` of ${formatSize(s.capacity)}` : ''}`,
    `carbon     ${s.carbon.gco2PerKwh} gCO2/kWh from ${s.carbon.source}${s.carbon.stale ? ' (stale)' : ''}${s.carbon.note !== undefined ? ` — ${s.carbon.note}` : ''}`,
    `repair     ${s.repairsQueued} queued, ${s.repairsDone} done (${formatSize(s.bytesRepaired)} rebuilt), ${s.repairsFailed} failed, ${s.copiesCollected} extra copies collected${s.copiesKept > 0 ? ` (${s.copiesKept} kept: the other holder could not prove its copy)` : ''}${s.filesLost > 0 ? `, ${s.filesLost} FILES LOST` : ''}`,
    ...s.repairJobs.map(j => `  ${j.cid} ${j.state}: ${j.live}/${j.n} live${j.carbonNote !== undefined ? ` (${j.carbonNote})` : ''}${j.lastError !== undefined ? ` last error: ${j.lastError}` : ''}`),
    `deleted    ${s.deletes.filesDeleted} files removed (${formatSize(s.deletes.bytesReclaimed)} reclaimed), ${s.deletes.deletesPending} in their grace period (${formatSize(s.deletes.bytesReclaimable ?? 0)} reclaimable)`,
    `scrub      ${s.scrub.passes} passes, ${formatSize(s.scrub.bytesScrubbed)} checked, ${s.scrub.corruptFound} corrupt shards found`,
    `gateway    ${s.gateway ?? 'off'}`,
    `cache      ${s.cache === null ? 'off' : `${formatSize(s.cache.bytes)} of ${formatSize(s.cache.capacity)}, ${hitRate(s.cache.hits, s.cache.misses)} of ${s.cache.hits + s.cache.misses} stripe reads from disk`}`
  ]
  return lines.join('\n')
}

function hitRate (hits: number, misses: number): string {
  return hits + misses === 0 ? '0%' : `${Math.round(100 * hits / (hits + misses))}%`
}
