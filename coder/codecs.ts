// The codec registry: which codec ids this process can encode and decode with, and the default for new files.
import type { Codec } from './codec.ts'
import { UnknownCodecError } from './errors.ts'
import { createReplicaCodec, REPLICA_CODEC_ID } from './replica-codec.ts'
import { createRsNativeCodec, loadRsNative, RS_NATIVE_CODEC_ID } from './rs-native-codec.ts'
import { createRsWasmCodec, RS_WASM_CODEC_ID } from './rs-wasm-codec.ts'

export { REPLICA_CODEC_ID, RS_NATIVE_CODEC_ID, RS_WASM_CODEC_ID }

/** rs-wasm is the default: it works everywhere, so any peer can decode any file shared with it. */
export const DEFAULT_CODEC_ID = RS_WASM_CODEC_ID

export function availableCodecs (): string[] {
  return [RS_WASM_CODEC_ID, REPLICA_CODEC_ID, ...(loadRsNative() != null ? [RS_NATIVE_CODEC_ID] : [])]
}

/** The codec for (id, k, m). Replication (k = 1) always uses the replica codec whatever id is asked for new files. */
export async function createCodec (id: string, k: number, m: number): Promise<Codec> {
  switch (id) {
    case RS_WASM_CODEC_ID: return createRsWasmCodec(k, m)
    case REPLICA_CODEC_ID: return createReplicaCodec(k, m)
    case RS_NATIVE_CODEC_ID: {
      const codec = createRsNativeCodec(k, m)
      if (codec == null) throw new UnknownCodecError(id)
      return codec
    }
    default: throw new UnknownCodecError(id)
  }
}

/** The codec id a new file gets: replicas for k = 1, otherwise the requested (or default) Reed-Solomon backend. */
export function codecIdFor (k: number, requested?: string): string {
  if (k === 1) return REPLICA_CODEC_ID
  return requested ?? DEFAULT_CODEC_ID
}
