// The gateway's mirror-set routes (/m/PEERID/NAME[@SEQ]/PATH) against the real gateway server on loopback and a real
// HTTP client (Node's fetch): files by newest version and by @SEQ, ranges, conditional requests, HEAD, listings in
// HTML and JSON, redirects, errors, a follower's local copy (and the fallback when it is not the right size), and
// untrusted names round-tripping through the listing's links. The surroundings are fakes: files held in memory (with
// manifests from the real encoder) and a fixed mirror set.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createCodec, REPLICA_CODEC_ID } from '../../../coder/codecs.ts'
import { encodeFile } from '../../../coder/encoder.ts'
import type { Manifest } from '../../../coder/manifest.ts'
import type { ByteRange } from '../../../coder/layout.ts'
import { NotFoundError, NotTrustedError } from '../../../node/errors.ts'
import type { FetchStart } from '../../../node/fetch/types.ts'
import { startGateway, type Gateway, type GatewayFiles } from '../../../node/gateway/gateway-server.ts'
import type { GatewayMirrors } from '../../../node/gateway/mirror-routes.ts'
import type { DirectoryEntry, TreeListing } from '../../../node/mirror/types.ts'

/** Files by CID, in memory; counts every call so a test can tell whether the swarm side was asked anything. */
class MemoryFiles implements GatewayFiles {
  readonly files = new Map<string, { manifest: Manifest, data: Buffer }>()
  calls = { manifest: 0, fetch: 0 }

  async add (data: Buffer): Promise<string> {
    const codec = await createCodec(REPLICA_CODEC_ID, 1, 1)
    const { cid, manifest } = await encodeFile((async function * () { yield data })(), { codec, blockSize: 4096 }, async () => {})
    this.files.set(cid, { manifest, data })
    return cid
  }

  async manifest (cid: string): Promise<Manifest> {
    this.calls.manifest++
    const file = this.files.get(cid)
    if (file === undefined) throw new NotFoundError(cid)
    return file.manifest
  }

  async fetch (cid: string, options: { range?: ByteRange }): Promise<FetchStart> {
    this.calls.fetch++
    const file = this.files.get(cid)
    if (file === undefined) throw new NotFoundError(cid)
    const { start, end } = options.range ?? { start: 0, end: file.data.byteLength }
    const bytes = file.data.subarray(start, end)
    async function * body (): AsyncGenerator<Uint8Array> {
      for (let at = 0; at < bytes.byteLength; at += 1000) yield bytes.subarray(at, at + 1000)
    }
    return { cid, size: file.data.byteLength, sha256: '', name: null, body: body(), done: Promise.resolve({ missing: [], corrupt: [], rebuilt: [], hedged: 0, badHolders: [] }) }
  }
}

/** One trusted set with two versions, one untrusted publisher, and local copies for some paths of version 2. */
class FixedMirrors implements GatewayMirrors {
  readonly versions = new Map<number, TreeListing>()
  readonly local = new Map<string, string>()
  constructor (readonly address: string, readonly untrusted: string) {}

  async tree (address: string, seq: number | undefined): Promise<TreeListing> {
    if (address.startsWith(`${this.untrusted}/`)) throw new NotTrustedError(this.untrusted)
    const tree = address === this.address ? this.versions.get(seq ?? Math.max(...this.versions.keys())) : undefined
    if (tree === undefined) throw new NotFoundError(`${address}@${seq ?? 'newest'}`)
    return tree
  }

  async localFile (address: string, seq: number, path: string): Promise<string | undefined> {
    return this.local.get(`${address}@${seq}/${path}`)
  }
}

const NAME = 'site'
const SCRIPT_NAME = '<script>&"x.txt'
const ODD_NAMES = ['with space.txt', 'ünïcødé ✓.txt', '100% real.txt', 'a#b?c.txt']
const ODD_DIR = 'dir ü%#'

describe('gateway /m/ routes', () => {
  let gateway: Gateway
  let busyGateway: Gateway
  let dir: string
  let publisher: string
  let untrusted: string
  const files = new MemoryFiles()
  let mirrors: FixedMirrors
  /** Version 2's files by path. */
  const content = new Map<string, Buffer>()
  const readmeV1 = Buffer.from('version one\n')
  let cidOf: (path: string) => string

  const base = (): string => `${gateway.url}/m/${publisher}/${NAME}`

  before(async () => {
    publisher = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    untrusted = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const address = `${publisher}/${NAME}`
    mirrors = new FixedMirrors(address, untrusted)
    dir = await mkdtemp(join(tmpdir(), 'edgemirror-mroutes-'))
    const paths = ['readme.txt', 'docs/guide.md', 'docs/deep/data.bin', SCRIPT_NAME, ...ODD_NAMES, `${ODD_DIR}/inner.txt`, 'local.bin', 'stale.bin']
    for (const [i, path] of paths.entries()) content.set(path, path.endsWith('.bin') ? randomBytes(20_000 + i) : Buffer.from(`the file ${path}\n`))
    const entries: DirectoryEntry[] = []
    const cids = new Map<string, string>()
    for (const [path, data] of content) {
      const cid = await files.add(data)
      cids.set(path, cid)
      entries.push({ path, cid, size: data.byteLength, mode: 0o644 })
    }
    cidOf = path => cids.get(path) as string
    const v1Readme = await files.add(readmeV1)
    mirrors.versions.set(1, { address, publisher, seq: 1, root: 'bafyroot1', publishedAt: 1_700_000_000_000, path: '', entries: [{ path: 'readme.txt', cid: v1Readme, size: readmeV1.byteLength, mode: 0o644 }] })
    mirrors.versions.set(2, { address, publisher, seq: 2, root: 'bafyroot2', publishedAt: 1_700_000_100_000, path: '', entries })
    // A follower's copy of local.bin, and one of stale.bin that is not the version's size (truncated since).
    await writeFile(join(dir, 'local.bin'), content.get('local.bin') as Buffer)
    await writeFile(join(dir, 'stale.bin'), (content.get('stale.bin') as Buffer).subarray(0, 100))
    mirrors.local.set(`${address}@2/local.bin`, join(dir, 'local.bin'))
    mirrors.local.set(`${address}@2/stale.bin`, join(dir, 'stale.bin'))
    gateway = await startGateway({ files, mirrors, host: '127.0.0.1', port: 0, maxStreams: 8, idleTimeoutMs: 10_000 })
    busyGateway = await startGateway({ files, mirrors, host: '127.0.0.1', port: 0, maxStreams: 0, idleTimeoutMs: 10_000 })
  })

  after(async () => {
    await gateway?.stop()
    await busyGateway?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  async function errorCode (res: Response): Promise<string> {
    return ((await res.json()) as { error: { code: string } }).error.code
  }

  it('serves a file of the newest version, with its CID tag, version headers and a revalidated cache-control', async () => {
    const res = await fetch(`${base()}/readme.txt`)
    assert.equal(res.status, 200)
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), content.get('readme.txt'))
    assert.equal(res.headers.get('etag'), `"${cidOf('readme.txt')}"`)
    assert.equal(res.headers.get('cache-control'), 'public, max-age=0, must-revalidate')
    assert.equal(res.headers.get('x-edgemirror-publisher'), publisher)
    assert.equal(res.headers.get('x-edgemirror-seq'), '2')
    assert.equal(res.headers.get('x-edgemirror-cid'), cidOf('readme.txt'))
    assert.equal(res.headers.get('content-type'), 'text/plain')
    assert.equal(res.headers.get('content-disposition'), 'inline; filename="readme.txt"')
    assert.equal(res.headers.get('accept-ranges'), 'bytes')
    assert.equal(res.headers.get('content-length'), String(content.get('readme.txt')?.byteLength))
  })

  it('serves a file of an explicit version as immutable, with that version\'s bytes', async () => {
    const res = await fetch(`${base()}@1/readme.txt`)
    assert.equal(res.status, 200)
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), readmeV1)
    assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable')
    assert.equal(res.headers.get('x-edgemirror-seq'), '1')
    const nested = await fetch(`${base()}@2/docs/deep/data.bin`)
    assert.deepEqual(Buffer.from(await nested.arrayBuffer()), content.get('docs/deep/data.bin'))
    assert.equal(nested.headers.get('x-edgemirror-seq'), '2')
  })

  it('answers ranges (206, multipart, 416), If-None-Match (304) and HEAD as /f does', async () => {
    const data = content.get('docs/deep/data.bin') as Buffer
    const url = `${base()}/docs/deep/data.bin`
    const partial = await fetch(url, { headers: { range: 'bytes=1000-2999' } })
    assert.equal(partial.status, 206)
    assert.equal(partial.headers.get('content-range'), `bytes 1000-2999/${data.byteLength}`)
    assert.deepEqual(Buffer.from(await partial.arrayBuffer()), data.subarray(1000, 3000))
    const multi = await fetch(url, { headers: { range: 'bytes=0-9,100-109' } })
    assert.equal(multi.status, 206)
    assert.match(multi.headers.get('content-type') ?? '', /^multipart\/byteranges; boundary=/)
    const multiBody = Buffer.from(await multi.arrayBuffer())
    assert.ok(multiBody.includes(data.subarray(0, 10)) && multiBody.includes(data.subarray(100, 110)))
    const beyond = await fetch(url, { headers: { range: `bytes=${data.byteLength}-` } })
    assert.equal(beyond.status, 416)
    assert.equal(beyond.headers.get('content-range'), `bytes */${data.byteLength}`)
    assert.equal(await errorCode(beyond), 'ERR_RANGE_NOT_SATISFIABLE')
    const fetchesBefore = files.calls.fetch
    const cached = await fetch(url, { headers: { 'if-none-match': `"${cidOf('docs/deep/data.bin')}"` } })
    assert.equal(cached.status, 304)
    assert.equal(cached.headers.get('x-edgemirror-seq'), '2')
    const head = await fetch(url, { method: 'HEAD' })
    assert.equal(head.status, 200)
    assert.equal(head.headers.get('content-length'), String(data.byteLength))
    assert.equal((await head.arrayBuffer()).byteLength, 0)
    assert.equal(files.calls.fetch, fetchesBefore, '304 and HEAD read no bytes')
    const posted = await fetch(url, { method: 'POST' })
    assert.equal(posted.status, 405)
    assert.equal(posted.headers.get('allow'), 'GET, HEAD')
  })

  it('lists a directory in HTML with every untrusted name escaped, under a CSP', async () => {
    const res = await fetch(`${base()}/`)
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8')
    assert.equal(res.headers.get('content-security-policy'), "default-src 'none'; style-src 'unsafe-inline'")
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff')
    assert.equal(res.headers.get('cache-control'), 'public, max-age=0, must-revalidate')
    assert.equal(res.headers.get('vary'), 'Accept')
    const html = await res.text()
    assert.equal(res.headers.get('content-length'), String(Buffer.byteLength(html)))
    assert.ok(!html.includes('<script'), 'no raw <script')
    assert.ok(html.includes('&lt;script&gt;&amp;&quot;x.txt'))
    assert.ok(html.includes('href="%3Cscript%3E%26%22x.txt"'))
    assert.match(html, /href="docs\/">docs\/<\/a>/)
    // Immediate children only.
    assert.ok(!html.includes('guide.md'))
    const head = await fetch(`${base()}/`, { method: 'HEAD' })
    assert.equal(head.status, 200)
    assert.equal(head.headers.get('content-length'), String(Buffer.byteLength(html)))
    assert.equal((await head.arrayBuffer()).byteLength, 0)
  })

  it('lists a directory as JSON for Accept: application/json and ?format=json, immediate children with totals', async () => {
    const byAccept = await fetch(`${base()}@2/docs/`, { headers: { accept: 'application/json' } })
    assert.equal(byAccept.status, 200)
    assert.equal(byAccept.headers.get('content-type'), 'application/json')
    assert.equal(byAccept.headers.get('cache-control'), 'public, max-age=31536000, immutable')
    const listing = await byAccept.json()
    const guide = content.get('docs/guide.md') as Buffer
    assert.deepEqual(listing, {
      address: `${publisher}/${NAME}`,
      publisher,
      seq: 2,
      root: 'bafyroot2',
      publishedAt: 1_700_000_100_000,
      path: 'docs',
      entries: [
        { name: 'deep', type: 'directory', size: content.get('docs/deep/data.bin')?.byteLength },
        { name: 'guide.md', type: 'file', size: guide.byteLength, cid: cidOf('docs/guide.md'), mode: 0o644 }
      ]
    })
    const byQuery = await fetch(`${base()}/?format=json`)
    const root = await byQuery.json() as { seq: number, path: string, entries: Array<{ name: string, type: string, size: number }> }
    assert.equal(root.seq, 2)
    assert.equal(root.path, '')
    const docs = root.entries.find(e => e.name === 'docs')
    assert.deepEqual(docs, { name: 'docs', type: 'directory', size: guide.byteLength + (content.get('docs/deep/data.bin')?.byteLength ?? 0) })
    assert.ok(root.entries.some(e => e.name === SCRIPT_NAME && e.type === 'file'))
    // A browser's Accept (HTML first, */* later) gets HTML; JSON ranked above HTML gets JSON.
    const browser = await fetch(`${base()}/`, { headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' } })
    assert.match(browser.headers.get('content-type') ?? '', /^text\/html/)
    const ranked = await fetch(`${base()}/`, { headers: { accept: 'text/html;q=0.5, application/json' } })
    assert.equal(ranked.headers.get('content-type'), 'application/json')
  })

  it('revalidates a listing by its tag (304), and a new version changes the tag', async () => {
    const first = await fetch(`${base()}/docs/?format=json`)
    const etag = first.headers.get('etag') ?? ''
    assert.notEqual(etag, '')
    const again = await fetch(`${base()}/docs/?format=json`, { headers: { 'if-none-match': etag } })
    assert.equal(again.status, 304)
    const html = await fetch(`${base()}/docs/`)
    assert.notEqual(html.headers.get('etag'), etag, 'HTML and JSON are different representations')
    const older = await fetch(`${base()}@1/?format=json`)
    assert.notEqual(older.headers.get('etag'), (await fetch(`${base()}/?format=json`)).headers.get('etag'))
  })

  it('redirects a directory without its trailing slash (301), keeping the query', async () => {
    const root = await fetch(base(), { redirect: 'manual' })
    assert.equal(root.status, 301)
    assert.equal(root.headers.get('location'), `/m/${publisher}/${NAME}/`)
    const sub = await fetch(`${base()}@2/docs?format=json`, { redirect: 'manual' })
    assert.equal(sub.status, 301)
    assert.equal(sub.headers.get('location'), `/m/${publisher}/${NAME}@2/docs/?format=json`)
    const followed = await fetch(`${base()}/docs`, { headers: { accept: 'application/json' } })
    assert.equal(followed.status, 200)
    assert.equal(((await followed.json()) as { path: string }).path, 'docs')
  })

  it('answers 404 for a missing path or version, 400 for a bad address, 403 for an untrusted publisher', async () => {
    for (const url of [`${base()}/nope.txt`, `${base()}/docs/nope/`, `${base()}@9/readme.txt`, `${gateway.url}/m/${publisher}/other/readme.txt`]) {
      const res = await fetch(url)
      assert.equal(res.status, 404, url)
      assert.equal(await errorCode(res), 'ERR_NOT_FOUND')
    }
    for (const url of [`${gateway.url}/m/not-a-peer-id/${NAME}/readme.txt`, `${base()}@0/readme.txt`, `${gateway.url}/m/${publisher}/.hidden/`, `${gateway.url}/m/${publisher}`]) {
      const res = await fetch(url)
      assert.equal(res.status, 400, url)
      assert.equal(await errorCode(res), 'ERR_INVALID_ADDRESS')
    }
    const untrustedRes = await fetch(`${gateway.url}/m/${untrusted}/${NAME}/readme.txt`)
    assert.equal(untrustedRes.status, 403)
    assert.equal(await errorCode(untrustedRes), 'ERR_NOT_TRUSTED')
  })

  it('serves a follower\'s local copy without asking `files` anything, ranges included', async () => {
    const data = content.get('local.bin') as Buffer
    files.calls = { manifest: 0, fetch: 0 }
    const whole = await fetch(`${base()}/local.bin`)
    assert.equal(whole.status, 200)
    assert.deepEqual(Buffer.from(await whole.arrayBuffer()), data)
    assert.equal(whole.headers.get('etag'), `"${cidOf('local.bin')}"`)
    assert.equal(whole.headers.get('x-edgemirror-cid'), cidOf('local.bin'))
    const partial = await fetch(`${base()}@2/local.bin`, { headers: { range: 'bytes=-500' } })
    assert.equal(partial.status, 206)
    assert.deepEqual(Buffer.from(await partial.arrayBuffer()), data.subarray(data.byteLength - 500))
    const multi = await fetch(`${base()}/local.bin`, { headers: { range: 'bytes=0-0,10-19' } })
    assert.equal(multi.status, 206)
    assert.ok(Buffer.from(await multi.arrayBuffer()).includes(data.subarray(10, 20)))
    assert.equal((await fetch(`${base()}/local.bin`, { method: 'HEAD' })).status, 200)
    assert.deepEqual(files.calls, { manifest: 0, fetch: 0 })
  })

  it('falls back to `files` when the local copy is not the version\'s size', async () => {
    files.calls = { manifest: 0, fetch: 0 }
    const res = await fetch(`${base()}/stale.bin`)
    assert.equal(res.status, 200)
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), content.get('stale.bin'))
    assert.equal(files.calls.fetch, 1)
  })

  it('round-trips names with spaces, unicode, percent signs and URL delimiters through the listing\'s links', async () => {
    async function linksOf (url: string): Promise<Map<string, string>> {
      const html = await (await fetch(url)).text()
      const links = new Map<string, string>()
      for (const [, href, label] of html.matchAll(/<a href="([^"]*)">([^<]*)<\/a>/g)) links.set(unescape(label), new URL(unescape(href), url).toString())
      return links
    }
    const unescape = (text: string): string => text.replace(/&(lt|gt|quot|#39|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' })[e] as string)
    const root = await linksOf(`${base()}/`)
    for (const name of [...ODD_NAMES, SCRIPT_NAME]) {
      const url = root.get(name)
      assert.ok(url !== undefined, `a link for ${name}`)
      const res = await fetch(url)
      assert.equal(res.status, 200, name)
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), content.get(name), name)
    }
    const subdir = root.get(`${ODD_DIR}/`)
    assert.ok(subdir !== undefined)
    const inner = (await linksOf(subdir)).get('inner.txt')
    assert.ok(inner !== undefined)
    assert.deepEqual(Buffer.from(await (await fetch(inner)).arrayBuffer()), content.get(`${ODD_DIR}/inner.txt`))
    // The page's "version" link pins the directory to its version.
    const pinned = (await linksOf(subdir)).get('2')
    assert.equal(pinned, `${base()}@2/${encodeURIComponent(ODD_DIR)}/`)
    assert.equal((await fetch(pinned, { headers: { accept: 'application/json' } })).headers.get('cache-control'), 'public, max-age=31536000, immutable')
  })

  it('counts /m/ GETs against --gateway-max-streams (503 ERR_BUSY), not HEADs', async () => {
    const busy = await fetch(`${busyGateway.url}/m/${publisher}/${NAME}/readme.txt`)
    assert.equal(busy.status, 503)
    assert.equal(busy.headers.get('retry-after'), '1')
    assert.equal(await errorCode(busy), 'ERR_BUSY')
    assert.equal((await fetch(`${busyGateway.url}/m/${publisher}/${NAME}/readme.txt`, { method: 'HEAD' })).status, 200)
  })
})
