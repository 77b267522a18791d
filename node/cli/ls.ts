// `edgemirror ls`: the files this node shared (name and time from its share records) and those whose manifest it holds.
import type { Command } from 'commander'
import { ApiClient } from '../api/client.ts'
import type { FileView } from '../api/types.ts'
import { formatSize } from '../size.ts'
import { action, output, repoDir, table, withCommonOptions, type CommonOptions } from './common.ts'

export function registerLs (program: Command): void {
  withCommonOptions(program.command('ls').description('list the files this node shared and those whose manifest it holds'))
    .action(action(async (options: CommonOptions) => {
      const api = await ApiClient.connect(repoDir(options))
      output(options, await api.ls(), human)
    }))
}

function human (files: FileView[]): string {
  if (files.length === 0) return 'no files'
  return table(['cid', 'name', 'size', 'scheme', 'shared (UTC)', 'here'], files.map(f => [
    f.cid,
    f.name,
    formatSize(f.size),
    f.k === 1 ? `${f.m + 1} replicas` : `RS(${f.k},${f.m})`,
    f.sharedAt === null ? null : new Date(f.sharedAt).toISOString().slice(0, 16).replace('T', ' '),
    f.shared ? 'shared' : 'held'
  ]))
}
