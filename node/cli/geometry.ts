// The erasure-coding flags of the verbs that store files (share, publish): --k and --m, or --replicas for plain
// replication; one definition so the two verbs cannot drift apart.
import { Option, type Command } from 'commander'
import { DEFAULT_K, DEFAULT_M, MAX_TOTAL_SHARDS } from '../../coder/constants.ts'
import { integerIn } from './common.ts'

export interface GeometryFlags {
  k?: number
  m?: number
  replicas?: number
}

/** Add --k, --m and --replicas (which conflicts with both: commander refuses the mix as a usage error). */
export function withGeometryOptions (command: Command): Command {
  return command
    .addOption(new Option('--k <n>', `data shards (default ${DEFAULT_K})`).argParser(integerIn('--k', 1, MAX_TOTAL_SHARDS - 1)))
    .addOption(new Option('--m <n>', `parity shards: how many lost peers a file survives (default ${DEFAULT_M})`).argParser(integerIn('--m', 1, MAX_TOTAL_SHARDS - 1)))
    .addOption(new Option('--replicas <r>', 'plain replication instead: r full copies (k=1, m=r-1)').argParser(integerIn('--replicas', 2, 256)).conflicts(['k', 'm']))
}

/** The k and m the flags ask for: --replicas r is RS(1, r-1), else --k/--m with the defaults. */
export function geometryOf (flags: GeometryFlags): { k: number, m: number } {
  if (flags.replicas !== undefined) return { k: 1, m: flags.replicas - 1 }
  return { k: flags.k ?? DEFAULT_K, m: flags.m ?? DEFAULT_M }
}
