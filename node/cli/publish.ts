// `edgemirror publish DIR --name NAME`: publish a directory as the next version of a mirror set. The daemon reads DIR
// (on this machine, so its absolute path is sent), shares every changed file, stores the directory manifest and signs
// and announces the version record; followers then bring their copies up to it.
import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { Option, type Command } from 'commander'
import { ApiClient } from '../api/client.ts'
import type { PublishResult } from '../api/types.ts'
import { UsageError } from '../errors.ts'
import { assertMirrorName } from '../mirror/address.ts'
import { formatSize } from '../size.ts'
import { action, integerIn, output, repoDir, withCommonOptions, type CommonOptions } from './common.ts'
import { geometryOf, withGeometryOptions, type GeometryFlags } from './geometry.ts'
import { eventProgress } from './progress.ts'

interface PublishFlags extends CommonOptions, GeometryFlags {
  name: string
  keep?: number
  allowFewerPeers?: boolean
  progress: boolean
}

export function registerPublish (program: Command): void {
  withGeometryOptions(withCommonOptions(program.command('publish').argument('<dir>', 'the directory to publish').description('publish a directory as the next signed version of a mirror set; prints its address PEERID/NAME')))
    .addOption(new Option('--name <name>', 'the set\'s name: a letter or digit, then letters, digits, ".", "_" or "-"').argParser(mirrorName).makeOptionMandatory())
    .addOption(new Option('--keep <n>', 'versions whose files stay stored; older ones are deleted from the swarm (default: all)').argParser(integerIn('--keep', 1, Number.MAX_SAFE_INTEGER)))
    .option('--allow-fewer-peers', 'with fewer peers than k+m, place several shards on one peer (and say so)')
    .option('--no-progress', 'no progress bar')
    .addHelpText('after', `
Examples:
  $ edgemirror publish ./site --name site --keep 3
  $ edgemirror publish /srv/releases --name releases --replicas 3 --json`)
    .action(action(async (dir: string, options: PublishFlags) => {
      const { k, m } = geometryOf(options)
      const absolute = resolve(dir)
      const info = await stat(absolute).catch((err: NodeJS.ErrnoException) => { throw new UsageError(`cannot read ${dir}: ${err.code ?? err.message}`) })
      if (!info.isDirectory()) throw new UsageError(`${dir} is not a directory`)
      const api = await ApiClient.connect(repoDir(options))
      const progress = eventProgress('publish', options.progress && options.json !== true)
      try {
        const result = await api.publish({ dir: absolute, name: options.name, keep: options.keep, k, m, allowFewerPeers: options.allowFewerPeers }, { onProgress: progress.update })
        progress.stop()
        output(options, result, human)
      } finally {
        progress.stop()
      }
    }))
}

function mirrorName (text: string): string {
  assertMirrorName(text, `--name ${text}`)
  return text
}

function human (r: PublishResult): string {
  const lines = [
    `published ${r.address}@${r.seq}`,
    `root ${r.root}`,
    `${r.files} files, ${formatSize(r.bytes)}; new in this version: ${r.newFiles} files, ${formatSize(r.newBytes)}`,
    `announced to ${r.announcedTo} peer(s)`
  ]
  if (r.skipped.length > 0) lines.push(`skipped ${r.skipped.length} path(s):`, ...r.skipped.map(s => `  ${s.path}: ${s.reason}`))
  if (r.expired.versions.length > 0) {
    lines.push(`expired version(s) ${r.expired.versions.join(', ')}: ${r.expired.files} files deleted, ${formatSize(r.expired.bytes)} given back after the grace period`)
  }
  return lines.join('\n')
}
