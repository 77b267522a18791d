// `edgemirror follow PEERID/NAME DIR`: the daemon keeps DIR equal to the newest version of a mirror set (DIR becomes a
// symlink to DIR.versions/<seq>, switched atomically); persisted, so it resumes after a restart.
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { ApiClient } from '../api/client.ts'
import type { MirrorView } from '../api/types.ts'
import { formatSize } from '../size.ts'
import { action, mirrorAddressArgument, output, repoDir, withCommonOptions, type CommonOptions } from './common.ts'

export function registerFollow (program: Command): void {
  withCommonOptions(program.command('follow').addArgument(mirrorAddressArgument()).argument('<dir>', 'where to keep the copy (made a symlink to DIR.versions/<seq>)')
    .description('keep a local copy of a mirror set, always its newest verified version'))
    .addHelpText('after', `
Example:
  $ edgemirror follow 12D3KooW.../site /srv/www/site`)
    .action(action(async (address: string, dir: string, options: CommonOptions) => {
      const api = await ApiClient.connect(repoDir(options))
      // The daemon's working directory is not ours: it gets the absolute path.
      output(options, await api.follow(address, resolve(dir)), view => `following ${describeMirror(view)}`)
    }))
}

/** One mirror set in a line or two: address, role, directory, version and state. */
export function describeMirror (v: MirrorView): string {
  const version = v.seq === null ? 'no version yet' : `version ${v.seq}${v.newest !== null && v.newest > v.seq ? ` (newest ${v.newest})` : ''}`
  const lines = [
    `${v.address} (${v.role}) in ${v.dir ?? 'an unknown directory'}: ${version}${v.bytes !== null ? `, ${formatSize(v.bytes)}` : ''}, ${v.state}` +
      (v.lastSync !== null ? `, last sync ${new Date(v.lastSync).toISOString()}` : '')
  ]
  if (v.error !== undefined) lines.push(`last error: ${v.error.code}: ${v.error.message}`)
  return lines.join('\n')
}
