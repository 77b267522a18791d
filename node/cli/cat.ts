// `edgemirror cat CID` (or PEERID/NAME[@SEQ]/PATH): the file's bytes on standard output, verified (same as `fetch … -o -`).
import type { Command } from 'commander'
import { action, fetchSourceArgument, withCommonOptions, type CommonOptions, type FetchSource } from './common.ts'
import { fetchToStdout } from './fetch.ts'

export function registerCat (program: Command): void {
  withCommonOptions(program.command('cat').addArgument(fetchSourceArgument()).description('write a file to standard output, verified (the summary goes to stderr)'))
    .option('--no-progress', 'no progress bar')
    .action(action(async (source: FetchSource, options: CommonOptions & { progress: boolean }) => {
      await fetchToStdout(source, options)
    }))
}
