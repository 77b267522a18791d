// `edgemirror mirrors`: the mirror sets this node publishes or follows, and how far each has got.
import type { Command } from 'commander'
import { ApiClient } from '../api/client.ts'
import type { MirrorView } from '../api/types.ts'
import { formatSize } from '../size.ts'
import { action, output, repoDir, table, utcMinute, withCommonOptions, type CommonOptions } from './common.ts'

export function registerMirrors (program: Command): void {
  withCommonOptions(program.command('mirrors').description('list the mirror sets this node publishes or follows'))
    .action(action(async (options: CommonOptions) => {
      const api = await ApiClient.connect(repoDir(options))
      output(options, await api.mirrors(), human)
    }))
}

function human (views: MirrorView[]): string {
  if (views.length === 0) return 'no mirror sets (publish one with edgemirror publish, or follow one with edgemirror follow)'
  return table(['address', 'role', 'dir', 'seq/newest', 'bytes', 'last sync (UTC)', 'state'], views.map(v => [
    v.address,
    v.role,
    v.dir,
    `${v.seq ?? '-'}/${v.newest ?? '-'}`,
    v.bytes === null ? null : formatSize(v.bytes),
    utcMinute(v.lastSync),
    v.error !== undefined ? `${v.state} (${v.error.code})` : v.state
  ]))
}
