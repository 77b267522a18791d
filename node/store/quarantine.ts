// Taking a bad local shard out of service: every reader that finds one (a holder serving it, a fetch or repair reading
// its own copy, a check proving it, the scrubber) quarantines it at once and tells the repair path, rather than
// leaving it listed, failing every read, until the next scrub pass.
import { logger } from '@libp2p/logger'
import type { ShardStore } from './shard-store.ts'

const log = logger('edgemirror:store')

/** A read failed because the stored bytes are not what was committed (short, swapped, unreadable as blocks). */
export function isCorruptRead (err: unknown): boolean {
  return (err as { code?: unknown } | undefined)?.code === 'ERR_STORE_CORRUPT'
}

/** Quarantine shard `index` of `cid` and tell `onCorrupt` (repair nudge). Never throws: the caller is mid-read. */
export async function quarantineBadShard (store: Pick<ShardStore, 'quarantineShard'>, cid: string, index: number, reason: string,
  onCorrupt?: (cid: string, index: number) => void): Promise<void> {
  log.error('quarantining shard %d of %s: %s', index, cid, reason)
  try {
    await store.quarantineShard(cid, index, reason)
  } catch (err) {
    // Another reader that met the same bad shard got there first: it is out of service either way.
    if ((err as { code?: unknown }).code !== 'ERR_NOT_FOUND') log.error('quarantine of shard %d of %s failed: %s', index, cid, (err as Error).message)
  }
  onCorrupt?.(cid, index)
}
