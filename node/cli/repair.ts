// `edgemirror repair CID`: rebuild a file's lost shards now instead of waiting for the repair service.
import type { Command } from 'commander'
import { ApiClient } from '../api/client.ts'
import { action, cidArgument, output, repoDir, withCommonOptions, type CommonOptions } from './common.ts'

export function registerRepair (program: Command): void {
  withCommonOptions(program.command('repair').addArgument(cidArgument('the file id')).description('rebuild the lost shards of a file now and report what was rebuilt where'))
    .action(action(async (cid: string, options: CommonOptions) => {
      const api = await ApiClient.connect(repoDir(options))
      output(options, await api.repair(cid), r => [
        r.rebuilt.length === 0 ? `${r.cid}: nothing to rebuild` : `${r.cid}: rebuilt ${r.rebuilt.map(s => `shard ${s.index} on ${s.peer}`).join(', ')}`,
        `${r.live} shards live: ${r.healthy ? 'healthy' : 'still degraded'}`
      ].join('\n'))
    }))
}
