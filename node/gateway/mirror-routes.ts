// The gateway's mirror-set routes: /m/PEERID/NAME[@SEQ]/PATH is a file of a version (served as /f/<cid>/<name>
// serves it) or a directory of it (a listing). Without @SEQ the newest version this node knows answers, so those
// responses are revalidated, not kept. Bytes come from this node's own followed copy when it has one, else from the
// swarm. docs/GATEWAY.md, "Mirror sets".
import type { IncomingMessage, ServerResponse } from 'node:http'
import { sanitizeFileName } from '../../coder/manifest.ts'
import { SizeMismatchError } from '../../coder/errors.ts'
import { NotFoundError } from '../errors.ts'
import { openFile } from '../fetch/file-access.ts'
import { parseMirrorTarget, type MirrorTarget } from '../mirror/address.ts'
import type { DirectoryEntry, TreeListing } from '../mirror/types.ts'
import { classifyPath, listDirectory, listingFormat, renderListingHtml } from './directory-listing.ts'
import { entityTagMatches, entityTagOf } from './entity-tags.ts'
import type { GatewayFiles } from './gateway-files.ts'
import { openLocalCopy } from './local-copy.ts'
import { decodePathSegment } from './path-segments.ts'
import { IMMUTABLE_CACHE_CONTROL, REVALIDATE_CACHE_CONTROL, serveFile, type ServeContext, type ServedFile } from './serve-file.ts'

/** Path prefix of mirror-set URLs: /m/PEERID/NAME[@SEQ][/PATH]. */
export const MIRROR_PATH_PREFIX = '/m/'

/** What the gateway reads mirror sets through (the node's mirror service). */
export interface GatewayMirrors {
  /** Version `seq` of `address` (PEERID/NAME), or the newest this node knows when seq is undefined: the whole tree.
   *  Throws ERR_NOT_FOUND (unknown address or version), ERR_NOT_TRUSTED (the node does not trust the publisher). */
  tree: (address: string, seq: number | undefined, options: { signal?: AbortSignal }) => Promise<TreeListing>
  /** An absolute path of this node's own verified copy of `path` in that version (a follower's DIR), or undefined. */
  localFile: (address: string, seq: number, path: string) => Promise<string | undefined>
}

/** The content-security policy of listing pages: no script, no fetch, no frame, nothing but the page's own style. A
 *  name that escaped escaping still could not run (defence in depth). */
const LISTING_CSP = "default-src 'none'; style-src 'unsafe-inline'"

/** Answer a GET or HEAD of `url` (the request's URL, its path starting with MIRROR_PATH_PREFIX). */
export async function serveMirror (req: IncomingMessage, res: ServerResponse, url: URL, mirrors: GatewayMirrors, files: GatewayFiles, context: ServeContext): Promise<void> {
  const pathname = url.pathname
  const target = parseMirrorTarget(pathname.slice(MIRROR_PATH_PREFIX.length).split('/').map(decodePathSegment).join('/'))
  const tree = await mirrors.tree(target.address, target.seq, { signal: context.signal })
  // Pinned to a version, the answer never changes; the newest version does.
  const cacheControl = target.seq === undefined ? REVALIDATE_CACHE_CONTROL : IMMUTABLE_CACHE_CONTROL
  const versionHeaders = { 'x-edgemirror-publisher': tree.publisher, 'x-edgemirror-seq': String(tree.seq) }
  const what = classifyPath(tree.entries, target.path)
  if (what.kind === 'none') throw new NotFoundError(`${target.path.slice(0, 200)} in ${target.address}@${tree.seq}`)
  if (what.kind === 'file') {
    await serveMirrorFile(req, res, mirrors, files, context, { tree, entry: what.entry, cacheControl, versionHeaders })
    return
  }
  // A directory's relative links (the listing's) resolve against its URL only when that ends with '/'.
  if (!pathname.endsWith('/')) {
    res.writeHead(301, { location: `${pathname}/${url.search}`, 'cache-control': cacheControl, 'content-length': 0 })
    res.end()
    return
  }
  serveListing(req, res, url, target, tree, cacheControl, versionHeaders)
}

interface MirrorFile {
  tree: TreeListing
  entry: DirectoryEntry
  cacheControl: string
  versionHeaders: Record<string, string>
}

/** A file of the version: from this node's copy when it has one of the right size (the swarm untouched), else through
 *  `files` by its CID. Either way the response is the one /f/<cid>/<name> gives, plus the version's headers. */
async function serveMirrorFile (req: IncomingMessage, res: ServerResponse, mirrors: GatewayMirrors, files: GatewayFiles, context: ServeContext, file: MirrorFile): Promise<void> {
  const { tree, entry, cacheControl, versionHeaders } = file
  const base = {
    etag: entityTagOf(entry.cid),
    name: sanitizeFileName(entry.path.slice(entry.path.lastIndexOf('/') + 1)) || undefined,
    cacheControl,
    extraHeaders: { ...versionHeaders, 'x-edgemirror-cid': entry.cid }
  }
  const localPath = await mirrors.localFile(tree.address, tree.seq, entry.path)
  const local = localPath === undefined ? undefined : await openLocalCopy(localPath, entry.size)
  if (local !== undefined) {
    try {
      await serveFile(req, res, { ...base, size: entry.size, read: async range => local.read(range, context.signal) }, context)
    } finally {
      await local.close()
    }
    return
  }
  const { signal } = context
  // Named by CID: an encrypted file is refused (ERR_KEY_REQUIRED, node/fetch/file-access.ts), never served as ciphertext.
  const { manifest } = await openFile(files, entry.cid, { signal })
  // The signed tree and the file's own manifest must agree: a Content-Length from one and bytes from the other would
  // be a response cut short or padded.
  if (manifest.fileSize !== entry.size) throw new SizeMismatchError(`${entry.path} is ${entry.size} bytes in the version but ${manifest.fileSize} in its manifest`, { cid: entry.cid, expected: entry.size, actual: manifest.fileSize })
  const swarm: ServedFile = { ...base, size: manifest.fileSize, read: async range => await files.fetch(entry.cid, { signal, range }) }
  await serveFile(req, res, swarm, context)
}

function serveListing (req: IncomingMessage, res: ServerResponse, url: URL, target: MirrorTarget, tree: TreeListing, cacheControl: string, versionHeaders: Record<string, string>): void {
  const listing = listDirectory(tree, target.path)
  const format = listingFormat(req.headers.accept, url.searchParams.get('format'))
  // The same version, directory and format give the same bytes: the root CID tags them (strong, RFC 9110 §8.8.3).
  const etag = entityTagOf(`${tree.root}.${format}`)
  let body: string
  let type: Record<string, string>
  if (format === 'json') {
    body = JSON.stringify(listing)
    type = { 'content-type': 'application/json' }
  } else {
    // Relative, so the link holds behind a proxy that mounts the gateway under a prefix: up to /m/PEERID/, then down.
    const segments = target.path === '' ? [] : target.path.split('/')
    const versionHref = `${'../'.repeat(segments.length + 1)}${target.name}@${tree.seq}/${segments.map(encodeURIComponent).map(s => `${s}/`).join('')}`
    body = renderListingHtml(listing, target.name, versionHref)
    type = { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': LISTING_CSP }
  }
  const headers = {
    etag,
    'cache-control': cacheControl,
    // The representation depends on Accept: a shared cache must not hand JSON to a browser (RFC 9110 §12.5.5).
    vary: 'Accept',
    'x-content-type-options': 'nosniff',
    ...versionHeaders,
    ...type
  }
  const ifNoneMatch = req.headers['if-none-match']
  if (ifNoneMatch !== undefined && entityTagMatches(ifNoneMatch, etag, 'weak')) {
    res.writeHead(304, headers)
    res.end()
    return
  }
  res.writeHead(200, { ...headers, 'content-length': Buffer.byteLength(body) })
  res.end(req.method === 'HEAD' ? undefined : body)
}
