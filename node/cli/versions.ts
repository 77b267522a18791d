// `edgemirror versions PEERID/NAME`: the signed version records this node holds for a mirror set, oldest first.
import type { Command } from 'commander'
import { ApiClient } from '../api/client.ts'
import type { VersionRecordView } from '../api/types.ts'
import { formatSize } from '../size.ts'
import { action, mirrorAddressArgument, output, repoDir, table, utcMinute, withCommonOptions, type CommonOptions } from './common.ts'

export function registerVersions (program: Command): void {
  withCommonOptions(program.command('versions').addArgument(mirrorAddressArgument()).description('list the versions of a mirror set this node knows (signed records, oldest first)'))
    .action(action(async (address: string, options: CommonOptions) => {
      const api = await ApiClient.connect(repoDir(options))
      output(options, await api.versions(address), records => human(address, records))
    }))
}

function human (address: string, records: VersionRecordView[]): string {
  if (records.length === 0) return `no versions of ${address} known here`
  return table(['seq', 'published (UTC)', 'root', 'files', 'bytes'], records.map(r => [r.seq, utcMinute(r.publishedAt), r.root, r.files, formatSize(r.bytes)]))
}
