// `edgemirror keygen -o swarm.key`: a new key for a private swarm (libp2p pnet, the kubo swarm.key format), written
// mode 0600 to a new file; give it to every daemon of the swarm with --swarm-key. No daemon needed.
import { open } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { UsageError } from '../errors.ts'
import { newSwarmKey } from '../swarm-key.ts'
import { action, output, withCommonOptions, type CommonOptions } from './common.ts'

export function registerKeygen (program: Command): void {
  withCommonOptions(program.command('keygen').description('write a new private-swarm key (daemon --swarm-key) to a new file, mode 0600'))
    .requiredOption('-o, --output <path>', 'where to write it: a new file (an existing one is never replaced)')
    .addHelpText('after', `
Example:
  $ edgemirror keygen -o swarm.key      # then, on every machine: edgemirror daemon --swarm-key swarm.key …`)
    .action(action(async (options: CommonOptions & { output: string }) => {
      const path = resolve(options.output)
      let handle
      try {
        handle = await open(path, 'wx', 0o600)
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        throw new UsageError(code === 'EEXIST' ? `-o ${path} exists: keygen never replaces a key` : `-o ${path}: ${code ?? (err as Error).message}`)
      }
      try {
        await handle.writeFile(await newSwarmKey())
        await handle.sync()
      } finally {
        await handle.close()
      }
      output(options, { path }, r => `wrote a new swarm key to ${r.path} (mode 0600): give it to every daemon of the swarm with --swarm-key`)
    }))
}
