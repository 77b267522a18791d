// `edgemirror cat CID`: the file's bytes on standard output, verified (same as `fetch CID -o -`).
import type { Command } from 'commander'
import { action, cidArgument, withCommonOptions, type CommonOptions } from './common.ts'
import { fetchToStdout } from './fetch.ts'

export function registerCat (program: Command): void {
  withCommonOptions(program.command('cat').addArgument(cidArgument()).description('write a file to standard output, verified (the summary goes to stderr)'))
    .option('--no-progress', 'no progress bar')
    .action(action(async (cid: string, options: CommonOptions & { progress: boolean }) => {
      await fetchToStdout(cid, options)
    }))
}
