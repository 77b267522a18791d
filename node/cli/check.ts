// `edgemirror check CID`: ask the holders which shards of a file are live, and where they are.
import type { Command } from 'commander'
import { ApiClient } from '../api/client.ts'
import type { CheckResult } from '../api/types.ts'
import { zoneLabel } from '../placement/domains.ts'
import { action, cidArgument, EXIT_FAILURE, output, repoDir, table, withCommonOptions, type CommonOptions } from './common.ts'

export function registerCheck (program: Command): void {
  withCommonOptions(program.command('check').addArgument(cidArgument()).description('show where each shard of a file lives and whether the file is at full redundancy (exit 1 if not)'))
    .action(action(async (cid: string, options: CommonOptions) => {
      const api = await ApiClient.connect(repoDir(options))
      const result = await api.check(cid)
      output(options, result, human)
      if (!result.healthy) process.exitCode = EXIT_FAILURE
    }))
}

function human (r: CheckResult): string {
  if (r.deleted?.purged === true) return `${r.cid}: deleted by ${r.deleted.deletedBy.join(', ')} at ${new Date(r.deleted.deletedAt).toISOString()}; its shards were removed`
  const state = r.healthy ? 'healthy' : r.live >= r.k ? 'degraded (recoverable)' : 'LOST (fewer than k shards)'
  return [
    `${r.cid}: ${r.live}/${r.k + r.m} shards live, need ${r.k}: ${state}` +
      (r.survivesHolderLosses >= 0 ? `; survives the loss of ${r.survivesHolderLosses} more holder(s)${r.survivesHolderLosses < r.m && r.healthy ? ' (some peers hold several shards)' : ''}` : ''),
    ...(r.deleted !== undefined ? [`deleted by ${r.deleted.deletedBy.join(', ')}: its shards are removed${r.deleted.purgeAt !== null ? ` at ${new Date(r.deleted.purgeAt).toISOString()}` : ''} (fetchable until then)`] : []),
    table(['index', 'peer', 'region', 'zone', 'live'], r.shards.map(s => [s.index, s.peer, s.region, zoneLabel(s.zone), s.live ? 'yes' : s.proof !== undefined ? `no (proof ${s.proof})` : 'no'])),
    ...(r.repair !== undefined
      ? [`repair (this node's view, holder map generation ${r.repair.generation}): ${r.repair.leader ? 'this node leads' : 'another holder leads'}${r.repair.job !== undefined ? `, job ${r.repair.job.state}${r.repair.job.carbonNote !== undefined ? ` (${r.repair.job.carbonNote})` : ''}` : ''}`]
      : [])
  ].join('\n')
}
