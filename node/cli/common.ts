// What every CLI verb shares: the repo option, JSON or human output, errors printed with their stable code, and the
// exit codes (0 success, 1 failure, 2 usage).
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { Argument, Option, type Command } from 'commander'
import { isCapability, parseCapability } from '../../coder/capability.ts'
import { parseCid } from '../../coder/manifest.ts'
import { classifyError, EdgemirrorError, InvalidAddressError, UsageError } from '../errors.ts'
import { parseIntegerIn } from '../integer.ts'
import { parseMirrorAddress, parseMirrorTarget } from '../mirror/address.ts'

export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

export interface CommonOptions {
  repo?: string
  json?: boolean
}

/** --repo DIR, else $EDGEMIRROR_REPO, else ~/.edgemirror. */
export function repoDir (options: CommonOptions): string {
  return resolve(options.repo ?? process.env.EDGEMIRROR_REPO ?? join(homedir(), '.edgemirror'))
}

/** Add the options every verb takes. */
export function withCommonOptions (command: Command): Command {
  return command
    .addOption(new Option('--repo <dir>', 'repo directory (default: $EDGEMIRROR_REPO or ~/.edgemirror)'))
    .option('--json', 'print one JSON document on stdout')
}

/** Print a verb's result: JSON when asked, else the human rendering. */
export function output<T> (options: CommonOptions, value: T, human: (value: T) => string): void {
  process.stdout.write(options.json === true ? JSON.stringify(value, null, 2) + '\n' : human(value) + '\n')
}

/** Run a verb's action; print a failure with its code on stderr and set the exit code. */
export function action<A extends unknown[]> (run: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await run(...args)
    } catch (err) {
      const json = args.some(a => typeof a === 'object' && a !== null && (a as CommonOptions).json === true)
      reportError(err, json)
    }
  }
}

export function reportError (raw: unknown, json: boolean): void {
  const err = classifyError(raw)
  const code = err instanceof EdgemirrorError ? err.code : 'ERR_INTERNAL'
  const message = (err as Error)?.message ?? String(err)
  if (json) process.stderr.write(JSON.stringify({ error: { code, message } }) + '\n')
  else process.stderr.write(`edgemirror: ${code}: ${message}\n`)
  if (code === 'ERR_INTERNAL' && process.env.EDGEMIRROR_DEBUG !== undefined) process.stderr.write(`${(err as Error)?.stack ?? ''}\n`)
  process.exitCode = isUsageError(err) ? EXIT_USAGE : EXIT_FAILURE
}

/** A bad argument found here, before any work: exit 2. A mirror address that does not parse keeps its own code
 *  (ERR_INVALID_ADDRESS, as the daemon would answer) but is a usage error all the same. Errors from the daemon are
 *  rebuilt as plain EdgemirrorErrors (node/api/client.ts), so they exit 1 whatever their code. */
function isUsageError (err: unknown): boolean {
  return err instanceof UsageError || err instanceof InvalidAddressError
}

/** The <cid> argument of a verb, checked before any work: not a CID is a usage error (exit 2). A capability is taken
 *  for its CID: check, repair and rm never need the key. */
export function cidArgument (description = 'the file id printed by share'): Argument {
  return new Argument('<cid>', description).argParser(parseCidArgument)
}

function parseCidArgument (text: string): string {
  try {
    return isCapability(text) ? parseCapability(text).cid : parseCid(text).toString()
  } catch (err) {
    throw new UsageError(`<cid>: ${(err as Error).message}`)
  }
}

/** A capability checked before any work (its key is not repeated in the error). */
function parseCapabilityArgument (text: string): string {
  try {
    parseCapability(text)
    return text
  } catch (err) {
    throw new UsageError(`<cid>: ${(err as Error).message}`)
  }
}

/** What fetch and cat read: a file by CID (or, for an encrypted file, by its capability: `cid` holds either), or a file
 *  of a mirror set by PEERID/NAME[@SEQ]/PATH. */
export type FetchSource = { kind: 'cid', cid: string } | { kind: 'mirror', target: string }

/** fetch's and cat's <cid> argument: a CID, a capability (emcap1.…), or (when it holds a '/', which neither does) a
 *  mirror target with a path. */
export function fetchSourceArgument (): Argument {
  return new Argument('<cid>', 'the file id printed by share, the capability share --encrypt printed (emcap1.…), or PEERID/NAME[@SEQ]/PATH: a file of a mirror set').argParser((text: string): FetchSource => {
    if (isCapability(text)) return { kind: 'cid', cid: parseCapabilityArgument(text) }
    if (!text.includes('/')) return { kind: 'cid', cid: parseCidArgument(text) }
    if (parseMirrorTarget(text).path === '') throw new InvalidAddressError(text, 'expected PEERID/NAME[@SEQ]/PATH: a file, not the whole set (list it with edgemirror ls)')
    return { kind: 'mirror', target: text }
  })
}

/** A mirror set's <address>: PEERID/NAME, checked before any work (ERR_INVALID_ADDRESS, exit 2). */
export function mirrorAddressArgument (): Argument {
  return new Argument('<address>', 'the mirror set, PEERID/NAME (as publish prints it)').argParser((text: string) => parseMirrorAddress(text).address)
}

/** Parse an integer option with bounds, as a commander argParser. */
export function integerIn (name: string, min: number, max: number): (text: string) => number {
  return (text: string) => parseIntegerIn(name, text, min, max)
}

/** Rows as aligned columns. */
export function table (header: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const cells = [header, ...rows.map(r => r.map(c => c == null ? '-' : String(c)))]
  const widths = header.map((_, i) => Math.max(...cells.map(r => r[i].length)))
  return cells.map(r => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n')
}

/** Unix ms as 'YYYY-MM-DD HH:MM' (UTC): the listings' time column. */
export function utcMinute (ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString().slice(0, 16).replace('T', ' ')
}
