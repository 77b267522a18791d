// `edgemirror ls`: the files this node shared (name and time from its share records) and those whose manifest it holds.
// `edgemirror ls PEERID/NAME[@SEQ][/PATH]`: a version of a mirror set (the newest without @SEQ), or a directory of it.
import { Argument, type Command } from 'commander'
import { ApiClient } from '../api/client.ts'
import type { FileView, TreeListing } from '../api/types.ts'
import { parseMirrorTarget } from '../mirror/address.ts'
import { formatSize } from '../size.ts'
import { action, output, repoDir, table, utcMinute, withCommonOptions, type CommonOptions } from './common.ts'

export function registerLs (program: Command): void {
  withCommonOptions(program.command('ls')
    .addArgument(new Argument('[target]', 'a mirror set to list instead: PEERID/NAME[@SEQ][/PATH]').argParser((text: string) => { parseMirrorTarget(text); return text }))
    .description('list the files this node shared and those whose manifest it holds, or the tree of a mirror set version'))
    .addHelpText('after', `
Examples:
  $ edgemirror ls
  $ edgemirror ls 12D3KooW.../site          the newest version
  $ edgemirror ls 12D3KooW.../site@4/docs   version 4, under docs/`)
    .action(action(async (target: string | undefined, options: CommonOptions) => {
      const api = await ApiClient.connect(repoDir(options))
      if (target === undefined) output(options, await api.ls(), human)
      else output(options, await api.listTree(target), humanTree)
    }))
}

function human (files: FileView[]): string {
  if (files.length === 0) return 'no files'
  return table(['cid', 'name', 'size', 'scheme', 'shared (UTC)', 'here'], files.map(f => [
    f.cid,
    f.name,
    formatSize(f.size),
    f.k === 1 ? `${f.m + 1} replicas` : `RS(${f.k},${f.m})`,
    utcMinute(f.sharedAt),
    f.shared ? 'shared' : 'held'
  ]))
}

function humanTree (t: TreeListing): string {
  const header = `${t.address}@${t.seq}${t.path !== '' ? `/${t.path}` : ''} (published by ${t.publisher} at ${utcMinute(t.publishedAt) ?? '-'} UTC, root ${t.root})`
  if (t.entries.length === 0) return `${header}\nno files`
  return [header, ...t.entries.map(e => `${permissions(e.mode)}  ${formatSize(e.size).padStart(10)}  ${e.path}`)].join('\n')
}

/** Permission bits as `ls -l` shows those of a regular file: 0o644 → '-rw-r--r--'. */
function permissions (mode: number): string {
  const bits = 'rwxrwxrwx'
  return '-' + [...bits].map((c, i) => (mode & (0o400 >> i)) !== 0 ? c : '-').join('')
}
