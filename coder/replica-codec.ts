// Replication as a codec: k = 1, m = R - 1, every "parity" shard is a copy of the data shard. Running replication
// through the same pipeline as Reed-Solomon makes the two directly comparable in every benchmark.
import type { Codec } from './codec.ts'
import { equalBytes, shardLength } from './codec-support.ts'
import { InvalidParametersError } from './errors.ts'

export const REPLICA_CODEC_ID = 'replica-1'

export function createReplicaCodec (k: number, m: number): Codec {
  if (k !== 1 || !Number.isInteger(m) || m < 1 || m > 255) {
    throw new InvalidParametersError(`replication needs k=1 and 1 <= m <= 255 (got k=${k}, m=${m})`)
  }
  return new ReplicaCodec(m)
}

class ReplicaCodec implements Codec {
  readonly id = REPLICA_CODEC_ID
  readonly k = 1

  constructor (readonly m: number) {}

  async encode (shards: Uint8Array[]): Promise<void> {
    shardLength(shards, 1, this.m)
    for (let i = 1; i < shards.length; i++) shards[i].set(shards[0])
  }

  async reconstruct (shards: Array<Uint8Array | null>, options: { dataOnly?: boolean } = {}): Promise<void> {
    shardLength(shards, 1, this.m)
    const source = shards.find(s => s != null) as Uint8Array
    const last = options.dataOnly === true ? 1 : shards.length
    for (let i = 0; i < last; i++) shards[i] ??= source.slice()
  }

  async verify (shards: Uint8Array[]): Promise<boolean> {
    shardLength(shards, 1, this.m)
    return shards.every(s => equalBytes(s, shards[0]))
  }
}
