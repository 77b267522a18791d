// The edgemirror CLI: one file per verb in this folder; this one only assembles them and maps failures to exit codes.
import { Command, CommanderError } from 'commander'
import { tuneHeapForStreaming } from '../heap-tuning.ts'
import { UsageError } from '../errors.ts'
import { EXIT_USAGE, reportError } from './common.ts'
import { registerCat } from './cat.ts'
import { registerCheck } from './check.ts'
import { registerDaemon } from './daemon.ts'
import { registerFetch } from './fetch.ts'
import { registerFollow } from './follow.ts'
import { registerId } from './id.ts'
import { registerKeygen } from './keygen.ts'
import { registerLs } from './ls.ts'
import { registerMirrors } from './mirrors.ts'
import { registerPeers } from './peers.ts'
import { registerPublish } from './publish.ts'
import { registerRepair } from './repair.ts'
import { registerRm } from './rm.ts'
import { registerShare } from './share.ts'
import { registerStatus } from './status.ts'
import { registerUnfollow } from './unfollow.ts'
import { registerVersions } from './versions.ts'

export function buildProgram (): Command {
  const program = new Command('edgemirror')
    .description('Peer-to-peer edge mirroring: Reed-Solomon shards placed by locality and carbon intensity, repaired by the swarm')
    .version('0.1.0')
    .exitOverride()
    // commander's own parse errors (unknown option, missing argument, bad choice) are reported by main() like every
    // other error: with the ERR_USAGE code, as JSON under --json, exit 2. Help and --version still print as usual.
    .configureOutput({ outputError: () => {} })
  for (const register of [registerDaemon, registerId, registerShare, registerFetch, registerCat, registerStatus, registerPeers, registerLs, registerCheck, registerRepair, registerRm,
    registerPublish, registerFollow, registerUnfollow, registerMirrors, registerVersions, registerKeygen]) {
    register(program)
  }
  for (const command of program.commands) command.exitOverride()
  return program
}

export async function main (argv: string[]): Promise<void> {
  tuneHeapForStreaming()
  try {
    await buildProgram().parseAsync(argv)
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with exit code 0; a verb missing (the help went to stderr) with 2.
      if (err.exitCode !== 0 && err.code !== 'commander.help') {
        reportError(new UsageError(`${err.message.replace(/^error: /, '')}${argv.includes('--json') ? '' : ' (add --help for usage)'}`), argv.includes('--json'))
      }
      process.exitCode = err.exitCode === 0 ? 0 : EXIT_USAGE
      return
    }
    reportError(err, argv.includes('--json'))
  }
}
