// `edgemirror cat CID` (or PEERID/NAME[@SEQ]/PATH): the file's bytes on standard output, verified (same as `fetch … -o -`).
import type { Command } from 'commander'
import { action, fetchSourceArgument, withCommonOptions, type FetchSource } from './common.ts'
import { fetchToStdout, SHA256_HELP, type StdoutFlags } from './fetch.ts'

export function registerCat (program: Command): void {
  withCommonOptions(program.command('cat').addArgument(fetchSourceArgument()).description('write a file to standard output, verified block by block (the summary goes to stderr)'))
    .option('--sha256', SHA256_HELP)
    .option('--no-progress', 'no progress bar')
    .action(action(async (source: FetchSource, options: StdoutFlags) => {
      await fetchToStdout(source, options)
    }))
}
