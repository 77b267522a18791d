// Proving what a holder claims. A `has` answer is only a claim: a peer can list every shard and hold none, and a
// holder's own copy can rot or be truncated after it was stored. `check` counts a holder only once it served one block
// of the shard, at a stripe it could not predict, that matches the manifest's hash (read through the ordinary get
// protocol, or from the store for this node's own shards).
import { randomInt } from 'node:crypto'
import { logger } from '@libp2p/logger'
import { blockMatches } from '../../coder/hash.ts'
import { stripeCount } from '../../coder/layout.ts'
import type { Manifest } from '../../coder/manifest.ts'
import { PROOF_TIMEOUT_MS } from '../constants.ts'
import { getShardBlocks, reportCorruptBlock, type Dialer } from './shard-client.ts'
import { isCorruptRead, quarantineBadShard } from '../store/quarantine.ts'
import { readStoredBlock } from '../store/read-block.ts'
import type { ShardStore } from '../store/shard-store.ts'

const log = logger('edgemirror:proof')

export interface ProofComponents {
  selfId: string
  store: ShardStore
  dial: Dialer
  /** Told when this node's own copy failed its proof and was quarantined (the repair path listens). */
  onCorruptShard?: (cid: string, index: number) => void
}

export interface Claim { index: number, peer: string }

/** ok: the block matched the manifest; failed: the holder answered with a bad block or an error (it cannot serve
 *  the shard); unreachable: no answer in time (down, stalled, cut off). */
export type ShardProof = 'ok' | 'failed' | 'unreachable'

/** One proof per claim, in the claims' order; all run in parallel, each bounded by `timeoutMs`. */
export async function proveClaims (components: ProofComponents, cid: string, manifest: Manifest, claims: Claim[],
  options: { timeoutMs?: number, signal?: AbortSignal } = {}): Promise<ShardProof[]> {
  const stripes = stripeCount(manifest)
  const timeout = AbortSignal.timeout(options.timeoutMs ?? PROOF_TIMEOUT_MS)
  const signal = options.signal !== undefined ? AbortSignal.any([options.signal, timeout]) : timeout
  return await Promise.all(claims.map(async ({ index, peer }) => {
    if (stripes === 0) return 'ok' // an empty file has no block to show, and nothing to lose
    // Unpredictable, so a peer cannot keep a few blocks and pass.
    const stripe = randomInt(stripes)
    return peer === components.selfId
      ? await proveOwn(components, cid, manifest, index, stripe, signal)
      : await proveRemote(components, cid, manifest, index, peer, stripe, signal)
  }))
}

async function proveRemote (components: ProofComponents, cid: string, manifest: Manifest, index: number, peer: string, stripe: number, signal: AbortSignal): Promise<ShardProof> {
  try {
    let block: Uint8Array | undefined
    // Read to the end (one block) so the stream closes cleanly rather than being reset.
    for await (const b of getShardBlocks(components.dial, peer, cid, index, manifest, stripe, stripe + 1, signal)) block = b
    if (block !== undefined && blockMatches(block, manifest.shardHashes[index], stripe)) return 'ok'
    log.error('holder %s claims shard %d of %s but block %d it served fails its hash', peer, index, cid, stripe)
    // Holders do not hash what they serve: tell this one, so that a copy that rotted on its disk leaves service (it
    // checks the block itself first). Fire and forget: the proof has failed whatever it answers.
    if (block !== undefined) {
      reportCorruptBlock(components.dial, peer, { cid, index, stripe }).catch((err: Error) => { log('corrupt-block report to %s failed: %s', peer, err.message) })
    }
    return 'failed'
  } catch (err) {
    // An error answer (ERR_NOT_FOUND, ERR_STORE_CORRUPT…) means it cannot serve what it claimed;
    // anything else (dial failure, timeout, reset) means we could not ask.
    const remote = (err as { details?: { remote?: unknown } }).details?.remote === true
    log('proof of shard %d of %s from %s: %s', index, cid, peer, (err as Error).message)
    return remote ? 'failed' : 'unreachable'
  }
}

async function proveOwn (components: ProofComponents, cid: string, manifest: Manifest, index: number, stripe: number, signal: AbortSignal): Promise<ShardProof> {
  const { store } = components
  try {
    const block = await readStoredBlock(store, cid, index, manifest, stripe, signal)
    if (blockMatches(block, manifest.shardHashes[index], stripe)) return 'ok'
    await quarantineBadShard(store, cid, index, `block ${stripe} failed its hash during a check`, components.onCorruptShard)
    return 'failed'
  } catch (err) {
    if (isCorruptRead(err)) await quarantineBadShard(store, cid, index, `${(err as Error).message} (found by a check)`, components.onCorruptShard)
    else log.error('proof of own shard %d of %s: %s', index, cid, (err as Error).message)
    return signal.aborted ? 'unreachable' : 'failed'
  }
}
