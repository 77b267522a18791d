// Private swarms (libp2p pnet, the kubo swarm.key format): every connection is wrapped in XSalsa20 keyed by a shared
// 32-byte key before Noise, so a peer without the key cannot even start a handshake. `edgemirror keygen` writes a key
// (mode 0600), `daemon --swarm-key FILE` uses it. docs/DEPLOY.md, "Private swarms".
import { createRequire } from 'node:module'
import { open } from 'node:fs/promises'
import { UsageError } from './errors.ts'

/** A swarm.key is 95 bytes ("/key/swarm/psk/1.0.0/\n/base16/\n" and 64 hex digits, maybe a newline). */
const MAX_SWARM_KEY_BYTES = 1024
const SWARM_KEY_PATTERN = /^\/key\/swarm\/psk\/1\.0\.0\/\r?\n\/base16\/\r?\n[0-9a-fA-F]{64}\s*$/

/** A new swarm key in the kubo format. pnet is loaded here, not with this module: the CLI imports this module for
 *  `daemon --swarm-key` and `keygen`, and every other verb should not pay for loading libp2p at start. */
export async function newSwarmKey (): Promise<Uint8Array> {
  const { generateKey } = await import('@libp2p/pnet')
  const key = new Uint8Array(95)
  generateKey(key)
  return key
}

/** Read and check a swarm key file: a usage error names what is wrong with it. */
export async function readSwarmKey (path: string): Promise<Uint8Array> {
  let handle
  try {
    handle = await open(path, 'r')
  } catch (err) {
    throw new UsageError(`--swarm-key ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  try {
    const info = await handle.stat()
    if (!info.isFile() || info.size > MAX_SWARM_KEY_BYTES) throw new UsageError(`--swarm-key ${path}: not a swarm key file (a regular file of at most ${MAX_SWARM_KEY_BYTES} bytes)`)
    const bytes = await handle.readFile()
    if (!SWARM_KEY_PATTERN.test(new TextDecoder().decode(bytes))) throw new UsageError(`--swarm-key ${path}: not a swarm key (want "/key/swarm/psk/1.0.0/", "/base16/" and 64 hex digits, as \`edgemirror keygen\` writes)`)
    return new Uint8Array(bytes)
  } finally {
    await handle.close()
  }
}

/**
 * The xsalsa20 package that pnet uses keeps one WebAssembly memory (640 KiB to start) for all its ciphers, and each
 * cipher caches a view of it: when one update() needs more room and grows the memory, every other cipher's view goes
 * stale, and its next update grows the memory again by its whole input, until "Maximum memory size exceeded" (six
 * ciphers and mixed 0.2–2 MB writes: reproduced here in 200 rounds). Updates kept below the initial memory never grow
 * it, and a stream cipher may be fed in any pieces: so every update is cut into pieces of at most 512 KiB.
 */
const XSALSA20_PIECE = 512 * 1024
let patched = false

export function splitLargeXsalsa20Updates (): void {
  if (patched) return
  patched = true
  // The copy pnet resolves, whatever the install layout.
  const pnetRequire = createRequire(import.meta.resolve('@libp2p/pnet'))
  const XSalsa20 = pnetRequire('xsalsa20') as { prototype: { update: (input: Uint8Array, output?: Uint8Array) => Uint8Array } }
  const update = XSalsa20.prototype.update
  XSalsa20.prototype.update = function (input: Uint8Array, output?: Uint8Array): Uint8Array {
    if (input.byteLength <= XSALSA20_PIECE) return update.call(this, input, output)
    const out = output ?? new Uint8Array(input.byteLength)
    for (let at = 0; at < input.byteLength; at += XSALSA20_PIECE) {
      const end = Math.min(at + XSALSA20_PIECE, input.byteLength)
      update.call(this, input.subarray(at, end), out.subarray(at, end))
    }
    return out
  }
}
