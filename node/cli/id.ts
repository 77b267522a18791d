// `edgemirror id`: this node's peer id and the addresses peers can dial.
import type { Command } from 'commander'
import { ApiClient } from '../api/client.ts'
import { action, output, repoDir, withCommonOptions, type CommonOptions } from './common.ts'

export function registerId (program: Command): void {
  withCommonOptions(program.command('id').description('print the peer id and listen addresses of the daemon'))
    .action(action(async (options: CommonOptions) => {
      const api = await ApiClient.connect(repoDir(options))
      output(options, await api.id(), r => [`peer id  ${r.peerId}`, ...r.addresses.map(a => `address  ${a}`)].join('\n'))
    }))
}
