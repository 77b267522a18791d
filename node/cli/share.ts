// `edgemirror share FILE`: stream a file to the daemon, which erasure-codes it and spreads the shards over the swarm.
// `share -` reads standard input, spooled to a temp file in the repo first (the daemon needs the size up front). When
// the daemon sees the file it reads it itself (node/cli/local-transfer.ts); --no-local streams it always.
import { randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { rm, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Option, type Command } from 'commander'
import { BLOCK_ALIGNMENT, MAX_BLOCK_SIZE, RS_NATIVE_CODEC_ID, RS_WASM_CODEC_ID } from '../../coder/constants.ts'
import { ApiClient } from '../api/client.ts'
import type { SharedFile } from '../api/types.ts'
import { UsageError } from '../errors.ts'
import { zoneLabel } from '../placement/domains.ts'
import { formatSize } from '../size.ts'
import { action, integerIn, output, repoDir, table, withCommonOptions, type CommonOptions } from './common.ts'
import { geometryOf, withGeometryOptions, type GeometryFlags } from './geometry.ts'
import { NO_LOCAL_HELP, shareLocally, type Transfer } from './local-transfer.ts'
import { byteProgress } from './progress.ts'

interface ShareFlags extends CommonOptions, GeometryFlags {
  codec?: string
  blockSize?: number
  allowFewerPeers?: boolean
  explain?: boolean
  progress: boolean
  local: boolean
  encrypt?: boolean
}

export function registerShare (program: Command): void {
  withGeometryOptions(withCommonOptions(program.command('share').argument('<file>', 'the file to share, or - for standard input').description('erasure-code a file and spread its shards over the swarm; prints its CID')))
    .addOption(new Option('--codec <id>', 'Reed-Solomon backend: rs-wasm-1 (default, everywhere) or rs-native-1 (where the addon built)').choices([RS_WASM_CODEC_ID, RS_NATIVE_CODEC_ID]))
    .addOption(new Option('--block-size <bytes>', `block size in bytes, a multiple of ${BLOCK_ALIGNMENT} (default 1 MiB)`).argParser(blockSize))
    .option('--allow-fewer-peers', 'with fewer peers than k+m, place several shards on one peer (and say so)')
    .option('--explain', 'print why each shard went where it went')
    .option('--encrypt', 'encrypt the file (AES-256-CTR) under a fresh key so that storage peers cannot read it; prints a capability (emcap1.…) that fetch, cat and the gateway read it with: it is shown once and kept nowhere, so losing it loses the file (docs/ENCRYPTION.md)')
    .option('--no-progress', 'no progress bar')
    .option('--no-local', NO_LOCAL_HELP)
    .action(action(async (file: string, options: ShareFlags) => {
      const { k, m } = geometryOf(options)
      const repo = repoDir(options)
      if (file !== '-') {
        const info = await stat(file).catch((err: NodeJS.ErrnoException) => { throw new UsageError(`cannot read ${file}: ${err.code ?? err.message}`) })
        if (!info.isFile()) throw new UsageError(`${file} is not a regular file`)
        await shareFile(await ApiClient.connect(repo), file, info.size, basename(file), k, m, options)
        return
      }
      // Standard input: the daemon needs the size before the first byte (the shard geometry depends on it), so the
      // bytes go to a temp file in the repo first, streamed, and the file is removed whatever happens.
      const api = await ApiClient.connect(repo)
      const spool = join(repo, `.stdin-${randomBytes(6).toString('hex')}.part`)
      try {
        await pipeline(process.stdin, createWriteStream(spool, { flags: 'wx', mode: 0o600, highWaterMark: 1024 * 1024 }))
        await shareFile(api, spool, (await stat(spool)).size, undefined, k, m, options)
      } finally {
        await rm(spool, { force: true })
      }
    }))
}

async function shareFile (api: ApiClient, file: string, size: number, name: string | undefined, k: number, m: number, options: ShareFlags): Promise<void> {
  const request = { k, m, name, codec: options.codec, blockSize: options.blockSize, allowFewerPeers: options.allowFewerPeers, encrypt: options.encrypt }
  const local = options.local ? await shareLocally(api, file, request, options.progress && options.json !== true) : undefined
  if (local !== undefined) {
    output(options, local, r => human(r, options.explain === true))
    return
  }
  const progress = byteProgress('share', size, options.progress && options.json !== true)
  try {
    // 1 MiB reads rather than 64 KiB: a sixteenth of the chunks to push through the progress counter and HTTP
    // (the CLI's CPU for a 1 GiB RS(4,2) share fell from 1.1 to 0.7 s, A/B of 2 runs each).
    const source = createReadStream(file, { highWaterMark: 1024 * 1024 })
    source.on('error', (err) => { progress.counter.destroy(err) })
    const body = source.pipe(progress.counter)
    const result: SharedFile & { transfer: Transfer } = { ...await api.share(body, { ...request, size }), transfer: 'stream' }
    progress.stop()
    output(options, result, r => human(r, options.explain === true))
  } finally {
    progress.stop()
  }
}

/** --block-size: an integer in range that is a multiple of the block alignment (the codecs work on 8-byte words). */
function blockSize (text: string): number {
  const value = integerIn('--block-size', BLOCK_ALIGNMENT, MAX_BLOCK_SIZE)(text)
  if (value % BLOCK_ALIGNMENT !== 0) throw new UsageError(`--block-size must be a multiple of ${BLOCK_ALIGNMENT}, got ${value}`)
  return value
}

function human (r: SharedFile, explain: boolean): string {
  const scheme = r.k === 1 ? `${r.m + 1} replicas` : `RS(${r.k},${r.m})`
  const lines = [
    `shared ${formatSize(r.size)} as ${scheme} with ${r.codec}`,
    `cid ${r.cid}`,
    ...(r.capability !== undefined ? [`capability ${r.capability}`, 'encrypted: fetch, cat and the gateway read it with the capability only; it is kept nowhere, save it (losing it loses the file)'] : []),
    ...(r.url !== null ? [`url ${r.url}`] : []),
    ...(r.alreadyHeld.length === r.shards.length ? ['already in the swarm (shared before): nothing new stored'] : r.alreadyHeld.length > 0 ? [`shared before: ${r.shards.length - r.alreadyHeld.length} lost shard(s) stored again`] : []),
    table(['index', 'peer', 'region', 'zone'], r.shards.map(s => [s.index, s.peer, s.region, zoneLabel(s.zone)])),
    ...r.warnings.map(w => `warning: ${w}`)
  ]
  if (explain) lines.push('placement:', ...r.explain.map(l => `  ${l}`))
  return lines.join('\n')
}
