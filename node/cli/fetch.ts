// `edgemirror fetch CID -o OUT`: get a file back from the swarm; `fetch PEERID/NAME[@SEQ]/PATH -o OUT` gets a file of
// a mirror set (from the daemon's followed copy when it has one) the same way. The daemon verifies every block, read or
// rebuilt, against the manifest; the bytes go to a temp file beside OUT, which is moved into place only when its size
// matches the manifest (and with --sha256 its recomputed SHA-256 too, fetch-check.ts): OUT is never a partial or wrong
// file. OUT must be a new path (an existing regular file only with --force; never a symlink or a device), checked before
// anything is fetched; `-o -` (and `edgemirror cat CID`) streams to standard output. When the daemon sees OUT's
// directory it fills the temp file itself (node/cli/local-transfer.ts); --no-local streams always.
import { randomBytes } from 'node:crypto'
import { constants, createWriteStream } from 'node:fs'
import { access, link, lstat, rm, stat } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { Command } from 'commander'
import { ApiClient, type FetchResponse, type MirrorFetchResponse } from '../api/client.ts'
import { fsyncPath, renameDurably } from '../fs-atomic.ts'
import type { FetchReport } from '../api/types.ts'
import { UsageError } from '../errors.ts'
import { formatSize } from '../size.ts'
import { action, fetchSourceArgument, output, repoDir, withCommonOptions, type CommonOptions, type FetchSource } from './common.ts'
import { checkWrittenFile, fetchCheck, type CheckResult, type ExpectedFile } from './fetch-check.ts'
import { fetchLocally, NO_LOCAL_HELP, type Transfer } from './local-transfer.ts'
import { byteProgress } from './progress.ts'

/** The flags `fetch -o -` and `cat` share. */
export interface StdoutFlags extends CommonOptions {
  progress: boolean
  /** Recompute the file's SHA-256 and fail on a mismatch with the manifest's (a second pass over every byte). */
  sha256?: boolean
}

interface FetchFlags extends StdoutFlags {
  output: string
  force?: boolean
  local: boolean
}

/** `verified` says what was checked; `manifestSha256` is the manifest's claim, `sha256` only what was computed. */
export interface FetchOutcome extends FetchReport, CheckResult {
  cid: string
  size: number
  name: string | null
  path: string
  transfer: Transfer
}

/** A file of a mirror set: which set, publisher, version and path it is (`path` above is where it was written). */
export interface MirrorFetchOutcome extends FetchOutcome {
  address: string
  publisher: string
  seq: number
  mirrorPath: string
  /** Read from the daemon's followed copy, no swarm traffic. */
  local: boolean
}

export function registerFetch (program: Command): void {
  withCommonOptions(program.command('fetch').addArgument(fetchSourceArgument()).description('get a file back from the swarm (or a mirror set), verified, rebuilding lost shards as needed'))
    .requiredOption('-o, --output <path>', 'where to write the file: a new path (an existing file only with --force), written atomically once verified; - for standard output')
    .option('-f, --force', 'replace the output file if it exists')
    .option('--sha256', SHA256_HELP)
    .option('--no-progress', 'no progress bar')
    .option('--no-local', NO_LOCAL_HELP)
    .addHelpText('after', `
Examples:
  $ edgemirror fetch bafkrei... -o photo.jpg
  $ edgemirror fetch emcap1.bafkrei....<key> -o photo.jpg                 a file shared with --encrypt
  $ edgemirror fetch 12D3KooW.../site/docs/index.html -o index.html     newest version
  $ edgemirror fetch 12D3KooW.../site@3/docs/index.html -o - | less     version 3, to standard output`)
    .action(action(async (source: FetchSource, options: FetchFlags) => {
      if (options.output === '-') {
        await fetchToStdout(source, options)
        return
      }
      // Checked before anything is fetched: a refused target costs nothing and is never touched.
      const target = resolve(options.output)
      await assertWritableTarget(target, options.force === true)
      const api = await ApiClient.connect(repoDir(options))
      const tmp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.part`)
      if (options.local && source.kind === 'cid') {
        let checked: CheckResult | undefined
        const place = async (written: { cid: string, size: number, sha256: string | null }): Promise<void> => {
          checked = await checkWrittenFile(tmp, { cid: written.cid, size: written.size, manifestSha256: written.sha256 }, { sha256: options.sha256 === true })
          await assertWritableTarget(target, options.force === true)
          await moveIntoPlace(tmp, target, options.force === true)
        }
        const local = await fetchLocally(api, source.cid, tmp, { showProgress: options.progress && options.json !== true, place })
        if (local !== undefined && checked !== undefined) {
          const { sha256: _manifestSha256, ...fetched } = local
          output(options, { ...fetched, ...checked, path: target }, human)
          return
        }
      }
      const response = await open(api, source)
      const check = fetchCheck({ sha256: options.sha256 === true })
      const progress = byteProgress('fetch', response.size, options.progress && options.json !== true)
      try {
        // A 1 MiB buffer lets the 64 KiB chunks off the socket reach the file in few large writev calls (CLI CPU for a
        // 1 GiB fetch 1.95 -> 1.7 s, A/B of 2 runs each).
        const file = createWriteStream(tmp, { flags: 'wx', mode: 0o644, highWaterMark: 1024 * 1024 })
        await pipeline(stages(response, progress.counter, check.stream, file))
        const report = await response.result
        const checked = check.verify(expected(response), progress.bytes())
        await fsyncPath(tmp)
        // Checked again: the target may have been replaced by a symlink or a device while the file came in.
        await assertWritableTarget(target, options.force === true)
        await moveIntoPlace(tmp, target, options.force === true)
        progress.stop()
        output(options, outcomeOf(response, checked, target, report), human)
      } catch (err) {
        await rm(tmp, { force: true })
        throw err
      } finally {
        progress.stop()
      }
    }))
}

/** Help for --sha256, the same on `fetch` and `cat`. */
export const SHA256_HELP = 'also recompute the file\'s SHA-256 and fail (ERR_HASH_MISMATCH, exit 1) if it differs from the manifest\'s; every block is verified either way (an encrypted file\'s manifest has no plaintext hash: the SHA-256 is computed and reported, not compared)'

/**
 * The bytes of a file on standard output (`fetch CID -o -`, `cat CID`, or a mirror target instead of the CID): they
 * stream as the daemon verifies them block by block; the size (and with --sha256 the whole-file hash) is checked at the
 * end, after the bytes went out (a mismatch exits 1). Nothing else goes to stdout: the summary (JSON with --json) goes
 * to stderr.
 */
export async function fetchToStdout (source: FetchSource, options: StdoutFlags): Promise<void> {
  const api = await ApiClient.connect(repoDir(options))
  const response = await open(api, source)
  const check = fetchCheck({ sha256: options.sha256 === true })
  const progress = byteProgress('fetch', response.size, options.progress && options.json !== true)
  try {
    await pipeline(stages(response, progress.counter, check.stream, process.stdout), { end: false })
    const report = await response.result
    const checked = check.verify(expected(response), progress.bytes())
    progress.stop()
    const outcome = outcomeOf(response, checked, '-', report)
    process.stderr.write(options.json === true ? JSON.stringify(outcome) + '\n' : human(outcome) + '\n')
  } finally {
    progress.stop()
  }
}

/** The body, through the byte counter and the hash (when there is one), into `sink`. */
function stages (response: FetchResponse, counter: NodeJS.ReadWriteStream, hash: NodeJS.ReadWriteStream | undefined, sink: NodeJS.WritableStream): Array<NodeJS.ReadableStream | NodeJS.ReadWriteStream | NodeJS.WritableStream> {
  return hash === undefined ? [response.body, counter, sink] : [response.body, counter, hash, sink]
}

/** What the daemon's headers say the file is (from the manifest). */
function expected (response: FetchResponse): ExpectedFile {
  return { cid: response.cid, size: response.size, manifestSha256: response.sha256 }
}

async function open (api: ApiClient, source: FetchSource): Promise<FetchResponse | MirrorFetchResponse> {
  return source.kind === 'cid' ? await api.fetch(source.cid) : await api.fetchPath(source.target)
}

/** What fetch prints: the file, where it went, the fetch's report, and for a mirror set's file which version it is. */
function outcomeOf (response: FetchResponse | MirrorFetchResponse, checked: CheckResult, path: string, report: FetchReport): FetchOutcome | MirrorFetchOutcome {
  const outcome: FetchOutcome = { cid: response.cid, size: response.size, ...checked, name: response.name, path, ...report, transfer: 'stream' }
  if (!('publisher' in response)) return outcome
  return { ...outcome, address: response.address, publisher: response.publisher, seq: response.seq, mirrorPath: response.path, local: response.local }
}

/** Give the verified temp file its name. Without --force a hard link, which fails if the name was taken meanwhile
 *  (rename would replace it silently), then the temp name goes; with --force a rename over the old file. */
async function moveIntoPlace (tmp: string, target: string, force: boolean): Promise<void> {
  if (force) {
    await renameDurably(tmp, target)
    return
  }
  try {
    await link(tmp, target)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`-o ${target} appeared while the file came in: not replaced (add --force to replace it)`)
    throw err
  }
  await rm(tmp, { force: true })
  await fsyncPath(dirname(target), { directory: true })
}

/**
 * The output is a new file, or with --force a regular file it replaces: so the target must not exist (without --force)
 * or be a regular file. A symlink (the rename would replace the link, not what it points to), a device such as
 * /dev/null, a directory, a FIFO or a socket is a usage error (exit 2); so is a path whose directory does not exist or
 * cannot be written to.
 */
async function assertWritableTarget (target: string, force: boolean): Promise<void> {
  const dir = dirname(target)
  let info
  try {
    info = await lstat(target)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new UsageError(`-o ${target}: ${(err as Error).message}`)
  }
  if (info !== undefined && !info.isFile()) {
    const kind = info.isSymbolicLink() ? 'a symbolic link' : info.isDirectory() ? 'a directory' : info.isCharacterDevice() || info.isBlockDevice() ? 'a device' : 'not a regular file'
    throw new UsageError(`-o ${target} is ${kind}: fetch writes a regular file (a new path, or one it replaces with --force), or - for standard output`)
  }
  if (info !== undefined && !force) throw new UsageError(`-o ${target} exists: add --force to replace it`)
  const parent = await stat(dir).catch(() => undefined) // missing or unreadable: reported as not a directory
  if (parent === undefined || !parent.isDirectory()) throw new UsageError(`-o ${target}: ${dir} is not a directory`)
  // The temp file is created beside the target and renamed or linked into place: the directory must take new names.
  await access(dir, constants.W_OK | constants.X_OK).catch(() => { throw new UsageError(`-o ${target}: cannot write to ${dir}`) })
}

/** The integrity line: what was checked, and whether the SHA-256 shown was computed or is the manifest's claim. */
function integrity (r: FetchOutcome | MirrorFetchOutcome): string {
  // A followed copy was verified block by block when this node fetched it, and is served only if unchanged since
  // (size, mtime, inode: docs/MIRRORS.md); --sha256 re-checks its bytes now.
  const blocks = 'local' in r && r.local ? 'blocks verified when this node fetched its copy' : 'every block verified'
  if (r.manifestSha256 === null) {
    // Encrypted: the blocks checked are the ciphertext's, and the key passed the manifest's key check.
    const computed = r.sha256 !== undefined ? `; sha256 ${r.sha256} (computed over what was written: an encrypted file's manifest has no plaintext hash to compare it with)` : ''
    return `${blocks} (encrypted: ciphertext blocks, then decrypted with the capability's key)${computed}`
  }
  return r.sha256 !== undefined
    ? `${blocks}; sha256 ${r.sha256} (recomputed, matches the manifest)`
    : `${blocks}; the manifest's sha256 ${r.manifestSha256} (not recomputed: add --sha256)`
}

function human (r: FetchOutcome | MirrorFetchOutcome): string {
  const from = 'publisher' in r ? ` from ${r.publisher}'s ${r.address.slice(r.publisher.length + 1)}@${r.seq}/${r.mirrorPath}${r.local ? ' (this node\'s copy)' : ''}` : ''
  const lines = [`fetched ${formatSize(r.size)} to ${r.path}${from}`, integrity(r)]
  if (r.rebuilt.length > 0) lines.push(`rebuilt data shards ${r.rebuilt.join(', ')} from parity`)
  if (r.missing.length > 0) lines.push(`unavailable shards: ${r.missing.join(', ')}`)
  if (r.corrupt.length > 0) lines.push(`corrupt shards found (reported for repair): ${r.corrupt.join(', ')}`)
  if (r.badHolders.length > 0) lines.push(`peers that served bad bytes (not read from again for this file): ${r.badHolders.join(', ')}`)
  if (r.hedged > 0) lines.push(`a slow holder made ${r.hedged} stripe(s) ask one extra shard (hedged)`)
  return lines.join('\n')
}
