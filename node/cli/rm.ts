// `edgemirror rm CID`: delete a file this node shared. Every holder keeps it for the grace period (still fetchable),
// then removes its shards and manifest; a node that did not share the file is refused (ERR_NOT_OWNER, exit 1).
import type { Command } from 'commander'
import { ApiClient } from '../api/client.ts'
import type { RmResult } from '../api/types.ts'
import { formatDuration } from '../duration.ts'
import { action, output, repoDir, withCommonOptions, type CommonOptions } from './common.ts'

export function registerRm (program: Command): void {
  withCommonOptions(program.command('rm').argument('<cid>', 'the file id printed by share').description('delete a file this node shared: its holders remove it after the grace period (daemon --delete-grace)'))
    .action(action(async (cid: string, options: CommonOptions) => {
      const api = await ApiClient.connect(repoDir(options))
      output(options, await api.rm(cid), human)
    }))
}

function human (r: RmResult): string {
  const when = r.purgeAt !== null ? ` at ${new Date(r.purgeAt).toISOString()}` : ''
  return [
    r.deleted
      ? `${r.cid}: deleted; holders remove its shards after ${formatDuration(r.graceMs)}${when} (fetchable until then)`
      : `${r.cid}: this node's ownership withdrawn; another owner still keeps the file`,
    ...r.holders.map(h => `  ${h.peer}: ${h.outcome}${h.code !== undefined ? ` (${h.code}${h.message !== undefined ? `: ${h.message}` : ''})` : ''}`)
  ].join('\n')
}
