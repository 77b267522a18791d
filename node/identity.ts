// The node's persistent Ed25519 identity: created on first start in the repo dir (mode 0600), so the same repo
// always has the same peer id.
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ConfigError } from './errors.ts'
import { writeFileAtomic } from './fs-atomic.ts'

export const IDENTITY_FILE = 'identity.key'

export async function loadOrCreateIdentity (repo: string): Promise<PrivateKey> {
  const path = join(repo, IDENTITY_FILE)
  let bytes: Buffer | undefined
  try {
    bytes = await readFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  if (bytes !== undefined) {
    try {
      return privateKeyFromProtobuf(bytes)
    } catch (err) {
      throw new ConfigError(`identity file ${path} is unreadable: ${(err as Error).message}`, { path })
    }
  }
  const key = await generateKeyPair('Ed25519')
  await writeFileAtomic(path, privateKeyToProtobuf(key), 0o600)
  return key
}
