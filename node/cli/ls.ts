// `edgemirror ls`: files whose manifest this node holds.
import type { Command } from 'commander'
import { ApiClient } from '../api/client.ts'
import { formatSize } from '../size.ts'
import { action, output, repoDir, table, withCommonOptions, type CommonOptions } from './common.ts'

export function registerLs (program: Command): void {
  withCommonOptions(program.command('ls').description('list the files whose manifest this node holds'))
    .action(action(async (options: CommonOptions) => {
      const api = await ApiClient.connect(repoDir(options))
      output(options, await api.ls(), files => files.length === 0
        ? 'no files'
        : table(['cid', 'name', 'size', 'scheme'], files.map(f => [f.cid, f.name, formatSize(f.size), f.k === 1 ? `${f.m + 1} replicas` : `RS(${f.k},${f.m})`])))
    }))
}
