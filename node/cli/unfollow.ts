// `edgemirror unfollow PEERID/NAME`: stop keeping a mirror set's copy up to date. The directory and its versions stay
// on disk (remove them by hand when no longer wanted).
import type { Command } from 'commander'
import { ApiClient } from '../api/client.ts'
import { action, mirrorAddressArgument, output, repoDir, withCommonOptions, type CommonOptions } from './common.ts'
import { describeMirror } from './follow.ts'

export function registerUnfollow (program: Command): void {
  withCommonOptions(program.command('unfollow').addArgument(mirrorAddressArgument()).description('stop following a mirror set (its directory stays on disk)'))
    .action(action(async (address: string, options: CommonOptions) => {
      const api = await ApiClient.connect(repoDir(options))
      output(options, await api.unfollow(address), view => `no longer following ${describeMirror(view)}\nits files stay in ${view.dir ?? 'place'}`)
    }))
}
