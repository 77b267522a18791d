// Every decoder of wire and disk input, as a fuzz target (test/fuzz/engine.ts; docs/FUZZING.md lists them). Seeds are
// valid encodings made with the real encoders (signed records, real manifests and their CIDs); a target whose loader
// reads a file fuzzes the function that parses the bytes, and a few `*.file` targets run the real loader on real files.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { Agent, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Stream } from '@libp2p/interface'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { Uint8ArrayList } from 'uint8arraylist'
import { decodeDirectoryPage, decodeDirectoryRoot, directoryRootOf, encodeDirectoryPage, encodeDirectoryRoot, planDirectory, assertMirrorPath, type DirectoryEntry } from '../../coder/directory-manifest.ts'
import { decodeManifest, encodeManifest, ENCRYPTION_ALG, manifestCid, parseCid, type Manifest } from '../../coder/manifest.ts'
import { encodeCapability, keyCheckOf, parseCapability } from '../../coder/capability.ts'
import { ROUTES } from '../../node/api/routes.ts'
import { startControlServer, type ControlServer } from '../../node/api/server.ts'
import type { ControlApi } from '../../node/api/types.ts'
import { readSeriesFile } from '../../node/carbon/file-provider.ts'
import { parseCarbonSeries } from '../../node/carbon/series-parser.ts'
import { MAX_SERIES_BYTES } from '../../node/carbon/constants.ts'
import { loadConfig, parseConfig } from '../../node/config.ts'
import { MAX_HEADER_FRAME } from '../../node/constants.ts'
import { parseDuration } from '../../node/duration.ts'
import { EdgemirrorError, NotFoundError, ProtocolError } from '../../node/errors.ts'
import { decideRanges } from '../../node/gateway/byte-ranges.ts'
import { entityTagMatches, entityTagOf } from '../../node/gateway/entity-tags.ts'
import { decodePathSegment } from '../../node/gateway/path-segments.ts'
import { parseMirrorAddress, parseMirrorTarget } from '../../node/mirror/address.ts'
import { parseFollowsFile } from '../../node/mirror/follow-service.ts'
import { parsePublishIndex, PublishIndex } from '../../node/mirror/publish-index.ts'
import { RecordBook } from '../../node/mirror/record-book.ts'
import { parseAnnounceRequest, parseRecordsRequest, parseRecordsResponse } from '../../node/mirror/record-protocol.ts'
import { signVersionRecord, versionRecordFromView, versionRecordMessage, versionRecordView } from '../../node/mirror/version-record.ts'
import { recordFromJson, recordToJson, signOwnerClaim, signTombstone } from '../../node/ownership.ts'
import { parseWeights } from '../../node/placement/weights.ts'
import { parseShareRecord, ShareRecords } from '../../node/share/share-records.ts'
import { parseRate, parseSize } from '../../node/size.ts'
import { FsShardStore } from '../../node/store/fs-shard-store.ts'
import { FrameReader } from '../../node/wire/frame-reader.ts'
import { FrameWriter } from '../../node/wire/frame-writer.ts'
import * as messages from '../../node/wire/messages.ts'
import { encodeMessage } from '../../node/wire/schema.ts'
import { isEdgemirrorError, json, pack, utf8, type FuzzTarget, type InputFormat } from './engine.ts'

// ---- what the seeds are made of -----------------------------------------------------------------------------------

const key = await generateKeyPair('Ed25519')
const publisher = peerIdFromPrivateKey(key).toString()

function manifestOf (version: 1 | 2 | 3, k: number, m: number, blockSize: number, fileSize: number): Manifest {
  const stripes = Math.ceil(fileSize / (k * blockSize))
  const core = { codec: 'rs-wasm-1', k, m, blockSize, fileSize, fileHash: new Uint8Array(32).fill(7), shardHashes: Array.from({ length: k + m }, (_, i) => new Uint8Array(stripes * 32).fill(i)) }
  if (version === 3) return { version: 3, ...core, encryption: { alg: ENCRYPTION_ALG, keyCheck: keyCheckOf(fileKey) } }
  return version === 2 ? { version: 2, ...core } : { version: 1, ...core, name: 'report.pdf', createdAt: 1_700_000_000_000 }
}

const fileKey = new Uint8Array(32).fill(9)
const manifests = [manifestOf(2, 4, 2, 65536, 1_000_000), manifestOf(2, 1, 2, 8, 0), manifestOf(1, 3, 1, 1024, 5000), manifestOf(3, 4, 2, 65536, 70_000)].map(encodeManifest)
const cids = await Promise.all(manifests.map(async m => (await manifestCid(m)).toString()))
const [cid, cid2] = cids

const claim = await signOwnerClaim(key, publisher, cid, 1_700_000_000_000)
const tombstone = await signTombstone(key, publisher, cid, 1_700_000_000_500, 600_000)
const record1 = await signVersionRecord(key, { publisher, name: 'site', seq: 1, root: cid, prev: null, publishedAt: 1_700_000_000_000, files: 3, bytes: 1234 })
const record2 = await signVersionRecord(key, { publisher, name: 'site', seq: 2, root: cid2, prev: cid, publishedAt: 1_700_000_100_000, files: 4, bytes: 4321 })

const entries: DirectoryEntry[] = [
  { path: 'index.html', cid, size: 1234, mode: 0o644 },
  { path: 'docs/a.txt', cid: cid2, size: 10, mode: 0o600 },
  { path: 'docs/é/b.bin', cid, size: 0, mode: 0o755 }
]
const inlineRoot = encodeDirectoryRoot(directoryRootOf(planDirectory(entries)))
const pagedPlan = planDirectory([...entries, ...Array.from({ length: 6 }, (_, i) => ({ path: `p/${i}`, cid: cid2, size: i, mode: 0o644 }))], { pageEntries: 3 })
const pagedRoot = encodeDirectoryRoot(directoryRootOf(pagedPlan, pagedPlan.pages.map((_, i) => cids[i % cids.length])))
const pages = pagedPlan.pages.map(encodeDirectoryPage)

// ---- helpers ------------------------------------------------------------------------------------------------------

const text = (input: Uint8Array): string => new TextDecoder().decode(input)

/** A SyntaxError from JSON.parse of a file the loader reads: the loader catches it (the file is then ignored). */
class MalformedJson extends Error {}
function parseJsonFile (input: Uint8Array): unknown {
  try {
    return JSON.parse(text(input))
  } catch (err) {
    throw new MalformedJson((err as Error).message)
  }
}

/** Typed errors, and for the disk parsers that document it (parsePublishIndex, parseShareRecord: a plain Error saying
 *  why, which their loaders log before ignoring the file) a plain Error or unparseable JSON too. */
const typedOrPlain = (err: unknown): boolean => isEdgemirrorError(err) || err instanceof MalformedJson || (err instanceof Error && err.constructor === Error)
const typedOrJson = (err: unknown): boolean => isEdgemirrorError(err) || err instanceof MalformedJson
const neverThrows = (): boolean => false

function target (name: string, format: InputFormat, decode: (input: Uint8Array) => unknown, seeds: Uint8Array[], knownBad: FuzzTarget['knownBad'],
  isTypedError: (err: unknown) => boolean = isEdgemirrorError): FuzzTarget {
  return { name, format, decode, seeds: () => seeds, isTypedError, knownBad }
}

const notAMap = { input: pack([1, 2, 3]), code: 'ERR_PROTOCOL' }
const ok = messages.okMessage
const coordinate = { vec: [1.5, -20, 3, 0, 0, 0, 0, 0], heightMs: 2, error: 0.4 }

// ---- wire messages ------------------------------------------------------------------------------------------------

const wire: FuzzTarget[] = [
  target('wire.response', 'msgpack', messages.parseResponse, [ok(), messages.errorMessage(new ProtocolError('no'))], { input: messages.errorMessage(new NotFoundError('x')), code: 'ERR_NOT_FOUND' }),
  target('wire.put-request', 'msgpack', messages.parsePutRequest, [encodeMessage({ upload: 'u-1', index: 5, k: 4, m: 2, blockSize: 65536, fileSize: 1_000_000 })],
    { input: encodeMessage({ upload: 'u-1', index: 256, k: 4, m: 2, blockSize: 65536, fileSize: 1 }), code: 'ERR_PROTOCOL' }),
  target('wire.put-trailer', 'msgpack', messages.parsePutTrailer, [encodeMessage({ manifest: manifests[0] }), encodeMessage({ manifest: manifests[1], owners: [claim] })], notAMap),
  target('wire.put-commit', 'msgpack', messages.parsePutCommit, [encodeMessage({ commit: true })], { input: encodeMessage({ commit: 1 }), code: 'ERR_PROTOCOL' }),
  target('wire.get-request', 'msgpack', messages.parseGetRequest, [encodeMessage({ cid, index: 0, from: 0 }), encodeMessage({ cid, index: 3, from: 10, to: 20 })],
    { input: encodeMessage({ cid, index: 0, from: -1 }), code: 'ERR_PROTOCOL' }),
  target('wire.get-response', 'msgpack', messages.parseGetResponse, [ok({ from: 0, to: 65536 })], { input: ok({ from: 0 }), code: 'ERR_PROTOCOL' }),
  target('wire.has-request', 'msgpack', messages.parseHasRequest, [encodeMessage({ cids: [cid, cid2] })], { input: encodeMessage({ cids: [1] }), code: 'ERR_PROTOCOL' }),
  target('wire.has-response', 'msgpack', messages.parseHasResponse, [ok({ files: [{ cid, manifest: true, shards: [0, 1, 5], tombstones: [tombstone] }, { cid: cid2, manifest: false, shards: [] }] })],
    { input: ok({ files: [{ cid, manifest: true, shards: [256] }] }), code: 'ERR_PROTOCOL' }),
  target('wire.delete-request', 'msgpack', messages.parseDeleteRequest, [encodeMessage({ tombstone })], { input: encodeMessage({ tombstone: { ...tombstone, graceMs: -1 } }), code: 'ERR_PROTOCOL' }),
  target('wire.delete-response', 'msgpack', messages.parseDeleteResponse, [ok({ deleted: true, purgeAt: 1_700_000_600_000, cacheOnly: false }), ok({ deleted: false, purgeAt: null, cacheOnly: true })],
    { input: ok({ deleted: true, purgeAt: 1.5, cacheOnly: false }), code: 'ERR_PROTOCOL' }),
  target('wire.claim-request', 'msgpack', messages.parseClaimRequest, [encodeMessage({ claim })], { input: encodeMessage({ claim: { ...claim, signature: new Uint8Array(65) } }), code: 'ERR_PROTOCOL' }),
  target('wire.claim-response', 'msgpack', messages.parseClaimResponse, [ok({ recorded: true })], { input: ok({ recorded: 'yes' }), code: 'ERR_PROTOCOL' }),
  target('wire.corrupt-block-request', 'msgpack', messages.parseCorruptBlockRequest, [encodeMessage({ cid, index: 2, stripe: 7 })], { input: encodeMessage({ cid, index: 2, stripe: 2 ** 53 }), code: 'ERR_PROTOCOL' }),
  target('wire.corrupt-block-response', 'msgpack', messages.parseCorruptBlockResponse, [ok({ quarantined: true }), ok({ quarantined: false })], notAMap),
  target('wire.manifest-request', 'msgpack', messages.parseManifestRequest, [encodeMessage({ cid })], { input: encodeMessage({ cid: 'x'.repeat(129) }), code: 'ERR_PROTOCOL' }),
  target('wire.manifest-response', 'msgpack', messages.parseManifestResponse, manifests.map(manifest => ok({ manifest })), { input: ok({ manifest: 'text' }), code: 'ERR_PROTOCOL' }),
  target('wire.info-response', 'msgpack', messages.parseInfoResponse, [
    ok({ zone: 'z1', region: 'eu', carbon: 56, carbonSource: 'static', freeBytes: 10 ** 12, usedBytes: 5, coordinate }),
    ok({ zone: 'z1', region: 'eu', carbon: 0, freeBytes: null, usedBytes: 0 })
  ], { input: ok({ zone: 'z1', region: 'eu', carbon: 56, freeBytes: null, usedBytes: 0, coordinate: { ...coordinate, vec: [NaN] } }), code: 'ERR_PROTOCOL' }),
  target('wire.peers-response', 'msgpack', messages.parsePeersResponse, [ok({ peers: [{ peerId: publisher, addresses: ['/ip4/127.0.0.1/tcp/4001'] }] })],
    { input: ok({ peers: [{ peerId: publisher, addresses: ['x'.repeat(300)] }] }), code: 'ERR_PROTOCOL' }),
  target('wire.mirror-announce', 'msgpack', parseAnnounceRequest, [encodeMessage({ records: [versionRecordMessage(record1), versionRecordMessage(record2)] })],
    { input: encodeMessage({ records: [{ ...versionRecordMessage(record1), root: 'bafynotacid' }] }), code: 'ERR_PROTOCOL' }),
  target('wire.mirror-records-request', 'msgpack', parseRecordsRequest, [encodeMessage({ have: [{ address: `${publisher}/site`, seq: 2 }] })],
    { input: encodeMessage({ have: [{ address: `${publisher}/site`, seq: -1 }] }), code: 'ERR_PROTOCOL' }),
  target('wire.mirror-records-response', 'msgpack', parseRecordsResponse, [ok({ records: [versionRecordMessage(record2)] })],
    { input: ok({ records: [{ ...versionRecordMessage(record2), seq: 0 }] }), code: 'ERR_PROTOCOL' })
]

// ---- the frame reader, fed as a stream of chunks split at points drawn from the input ------------------------------

/** Just enough of a libp2p stream for a FrameReader: delivers `chunks` one per macrotask, then closes its read side. */
function streamOf (chunks: Uint8Array[]): Stream {
  const target = new EventTarget() as EventTarget & Record<string, unknown>
  Object.assign(target, { readStatus: 'readable', pause () {}, resume () {}, abort () {}, async closeRead () {} })
  const deliver = (i: number): void => {
    if (i === chunks.length) {
      target.dispatchEvent(new Event('remoteCloseWrite'))
      return
    }
    const message = new Event('message') as Event & { data: Uint8Array }
    message.data = chunks[i]
    target.dispatchEvent(message)
    // The first chunk at once, the rest later: reads that wait for bytes are exercised too.
    if (i === 0) deliver(1)
    else setImmediate(() => { deliver(i + 1) })
  }
  queueMicrotask(() => { deliver(0) })
  return target as unknown as Stream
}

/** Cut points from the input's own bytes (FNV-1a): the same input is always split the same way. */
function chunksOf (input: Uint8Array): Uint8Array[] {
  let h = 0x811c9dc5
  for (let i = 0; i < Math.min(input.byteLength, 64); i++) h = Math.imul(h ^ input[i], 0x01000193)
  const chunks: Uint8Array[] = []
  let at = 0
  while (at < input.byteLength) {
    h = Math.imul(h ^ at, 0x01000193) >>> 0
    const len = 1 + (h % Math.max(1, Math.min(input.byteLength - at, 1 + (h >>> 8) % 64)))
    chunks.push(input.subarray(at, at + len))
    at += len
  }
  return chunks
}

async function framesOf (input: Uint8Array): Promise<number> {
  const reader = new FrameReader(streamOf(chunksOf(input)), { idleTimeoutMs: 30_000 })
  let frames = 0
  while (await reader.next(MAX_HEADER_FRAME) !== null) frames++
  return frames
}

/** What FrameWriter puts on the wire for `frames`. */
async function written (frames: Uint8Array[]): Promise<Uint8Array> {
  const out = new Uint8ArrayList()
  const sink = { writeBufferLength: 0, send (data: Uint8ArrayList) { out.append(data) } } as unknown as Stream
  const writer = new FrameWriter(sink)
  for (const f of frames) await writer.write(f)
  return out.subarray()
}

const frameSeeds = [
  await written([encodeMessage({ cid, index: 0, from: 0 })]),
  await written([ok({ from: 0, to: 8 }), new Uint8Array(64).fill(3), new Uint8Array(1)]),
  await written([manifests[0]])
]

const frames: FuzzTarget = {
  name: 'wire.frames',
  format: 'bytes',
  decode: framesOf,
  seeds: () => frameSeeds,
  isTypedError: isEdgemirrorError,
  knownBad: { input: Uint8Array.of(0xff, 0xff, 0xff, 0xff, 1, 2, 3), code: 'ERR_FRAME_TOO_LARGE' }
}

// ---- manifests and directory manifests ----------------------------------------------------------------------------

const coder: FuzzTarget[] = [
  target('coder.manifest', 'msgpack', decodeManifest, manifests, { input: pack({ version: 4 }), code: 'ERR_MANIFEST_VERSION' }),
  target('coder.directory-root', 'msgpack', decodeDirectoryRoot, [inlineRoot, pagedRoot], { input: pack({ version: 1, files: 0, bytes: 0 }), code: 'ERR_MANIFEST_INVALID' }),
  target('coder.directory-page', 'msgpack', decodeDirectoryPage, pages, { input: pack({ version: 1, entries: [{ path: '../x', cid, size: 1, mode: 0o644 }] }), code: 'ERR_INVALID_PATH' })
]

// ---- state files, parsed from their bytes -------------------------------------------------------------------------

const shareRecord = { cid, name: 'report.pdf', size: 1_000_000, k: 4, m: 2, codec: 'rs-wasm-1', blockSize: 65536, sharedAt: 1_700_000_000_000 }
const publishIndexFile = { version: 1, entries: [{ path: 'index.html', size: 1234, mtimeMs: 1_700_000_000_000.5, ino: 42, dev: 2049, cid }, { path: 'a/b', size: 0, mtimeMs: -5, ino: 0, dev: 0, cid: cid2 }] }
const followsFile = { version: 1, follows: [{ address: `${publisher}/site`, dir: '/srv/site', seq: 2, bytes: 4321, lastSync: 1_700_000_000_000, hashes: { [cid]: 'ab'.repeat(32) } }] }
const configFile = { zone: 'rack-1', region: 'eu-west', capacity: 10 ** 12, listen: ['/ip4/0.0.0.0/tcp/4001'], mdns: true, carbon: null, trust: [publisher] }
const carbonSeeds = [
  json([{ location: 'FR', time: '2026-01-01T00:00:00Z', rating: 56.5, duration: '01:00:00' }, { location: 'FR', time: '2026-01-01T01:00:00Z', rating: 40, duration: '01:00:00' }]),
  json({ emissions: [{ location: 'DE', time: '2026-01-01T00:00:00Z', rating: 300, duration: '00:30:00' }] }),
  json([{ location: 'FR', forecastData: [{ location: 'FR', timestamp: '2026-01-01T00:00:00Z', value: 50, duration: 60 }] }]),
  json({ zone: 'FR', carbonIntensity: 56, datetime: '2026-01-01T00:00:00Z' }),
  json({ zone: 'FR', history: [{ carbonIntensity: 56, datetime: '2026-01-01T00:00:00Z' }, { carbonIntensity: 60, datetime: '2026-01-01T01:00:00Z' }] }),
  json({ zone: 'FR', forecast: [{ carbonIntensity: 56, datetime: '2026-01-01T00:00:00Z' }] })
]

const disk: FuzzTarget[] = [
  target('disk.version-record', 'json', (input) => versionRecordFromView(parseJsonFile(input)), [json(versionRecordView(record1)), json(versionRecordView(record2))],
    { input: json({ ...versionRecordView(record1), seq: 0 }), code: 'ERR_PROTOCOL' }, typedOrJson),
  target('disk.publish-index', 'json', (input) => parsePublishIndex(parseJsonFile(input)), [json(publishIndexFile)],
    { input: json({ ...publishIndexFile, entries: [{ ...publishIndexFile.entries[0], path: '/abs' }] }), code: 'ERR_INVALID_PATH' }, typedOrPlain),
  target('disk.follows', 'json', (input) => parseFollowsFile(text(input), 'follows.json'), [json(followsFile)], { input: utf8('null'), code: 'ERR_CONFIG' }),
  target('disk.ownership', 'json', (input) => recordFromJson(cid, text(input)), [utf8(recordToJson({ owners: [claim], tombstones: [tombstone], purgeAt: 1_700_000_600_000 })), utf8(recordToJson({ owners: [claim], tombstones: [] }))],
    { input: utf8(recordToJson({ owners: [{ ...claim, cid: cid2 }], tombstones: [] })), code: 'ERR_PROTOCOL' },
    // recordFromJson parses the text itself: a SyntaxError from JSON.parse is its documented refusal of non-JSON (the store catches it).
    (err) => isEdgemirrorError(err) || (err instanceof SyntaxError && /JSON/.test(err.message))),
  target('disk.config', 'json', (input) => parseConfig(text(input), 'config.json'), [json(configFile)], { input: json({ zone: 5 }), code: 'ERR_CONFIG' }),
  target('disk.share-record', 'json', (input) => parseShareRecord(parseJsonFile(input)), [json(shareRecord), json({ ...shareRecord, name: null })],
    { input: json({ ...shareRecord, cid: 'Qm' }), code: 'ERR_INVALID_ID' }, typedOrPlain),
  target('disk.carbon-series', 'json', parseCarbonSeries, carbonSeeds, { input: json({ zone: 'FR', carbonIntensity: -1, datetime: '2026-01-01T00:00:00Z' }), code: 'ERR_CARBON_DATA' })
]

// ---- headers, addresses, paths, durations and sizes (text) --------------------------------------------------------

const etag = entityTagOf(cid)

const textTargets: FuzzTarget[] = [
  // RANGE \n IF-RANGE \n SIZE: decideRanges answers every header, it never throws.
  target('gateway.range', 'text', (input) => {
    const [range, ifRange, size] = text(input).split('\n')
    const n = Number.parseInt(size ?? '', 10)
    return decideRanges(Number.isSafeInteger(n) && n >= 0 ? n : 1000, etag, range, ifRange)
  }, ['bytes=0-99', 'bytes=-5000', `bytes=0-0,5-9,-1\n${etag}`, 'bytes=100-\nW/"x"\n1000', 'bytes=0-1,2-3,4-5,6-7,8-9,10-11,12-13,14-15,16-17,18-19,20-21,22-23,24-25,26-27,28-29,30-31,32-33'].map(utf8),
  { input: utf8('bytes=2000-3000'), code: 'unsatisfiable' }, neverThrows),
  target('gateway.if-none-match', 'text', (input) => entityTagMatches(text(input), etag, 'weak'), [etag, `W/${etag}`, `"a", ${etag}`, '*'].map(utf8), { input: utf8('"other"'), code: 'false' }, neverThrows),
  target('mirror.target', 'text', (input) => parseMirrorTarget(text(input)), [`${publisher}/site`, `${publisher}/site@3`, `${publisher}/site@2/docs/a.txt`].map(utf8),
    { input: utf8(`${publisher}/site/../x`), code: 'ERR_INVALID_ADDRESS' }),
  target('mirror.address', 'text', (input) => parseMirrorAddress(text(input)), [utf8(`${publisher}/site`)], { input: utf8(`${publisher}/site@1`), code: 'ERR_INVALID_ADDRESS' }),
  target('mirror.path', 'text', (input) => { assertMirrorPath(text(input)) }, ['index.html', 'docs/é/b.bin', 'a/b/c'].map(utf8), { input: utf8('a//b'), code: 'ERR_INVALID_PATH' }),
  target('gateway.path-segment', 'text', (input) => decodePathSegment(text(input)), ['report%20final.pdf', 'caf%C3%A9', '%E0%A4%A'].map(utf8), { input: utf8('%'), code: '%' }, neverThrows),
  target('cid', 'text', (input) => parseCid(text(input)), cids.map(utf8), { input: utf8('bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi'), code: 'ERR_INVALID_CID' }),
  target('capability', 'text', (input) => parseCapability(text(input)), [utf8(encodeCapability({ cid, key: fileKey }))], { input: utf8(`emcap1.${cid}.`), code: 'ERR_INVALID_CAPABILITY' }),
  target('placement-weights', 'text', (input) => parseWeights(text(input)), ['carbon=0.5,latency=0.3,balance=0.2', 'carbon=1'].map(utf8), { input: utf8('carbon=-1'), code: 'ERR_USAGE' }),
  target('duration', 'text', (input) => parseDuration(text(input)), ['500ms', '1h30m', '1.5s', '2d'].map(utf8), { input: utf8('5'), code: 'ERR_USAGE' }),
  target('size', 'text', (input) => parseSize(text(input)), ['500GB', '2TiB', '1.5MB', '512 KiB'].map(utf8), { input: utf8('500'), code: 'ERR_USAGE' }),
  target('rate', 'text', (input) => parseRate(text(input)), ['10MB/s', '50 MiB / s'].map(utf8), { input: utf8('10MB'), code: 'ERR_USAGE' })
]

// ---- the control API: the real server on 127.0.0.1:0, a real HTTP client, in-memory surroundings -------------------

/** The daemon's surroundings: each method checks its argument as the node does first, then answers at once. */
const fakeApi: ControlApi = {
  id: async () => ({}) as never,
  status: async () => ({}) as never,
  peers: async () => [],
  ls: async () => [],
  share: async (body) => { for await (const _ of body); return {} as never },
  fetch: async (c) => { throw new NotFoundError(c.slice(0, 100)) },
  check: async (c) => { throw new NotFoundError(c.slice(0, 100)) },
  repair: async (c) => { throw new NotFoundError(c.slice(0, 100)) },
  rm: async (c) => { throw new NotFoundError(c.slice(0, 100)) },
  publish: async () => ({}) as never,
  follow: async (address) => { parseMirrorAddress(address); return {} as never },
  unfollow: async (address) => { parseMirrorAddress(address); return {} as never },
  mirrors: async () => [],
  versions: async (address) => { parseMirrorAddress(address); return [] },
  listTree: async (t) => { parseMirrorTarget(t); return {} as never },
  fetchPath: async (t) => { parseMirrorTarget(t); throw new NotFoundError(t.slice(0, 100)) }
}

/** Bytes as they may stand in a URL: printable ASCII as it is ('%' too, so escapes may be malformed), the rest escaped. */
function inUrl (bytes: Uint8Array): string {
  let out = ''
  for (const b of bytes) out += b > 0x20 && b < 0x7f && b !== 0x2f && b !== 0x3f && b !== 0x23 ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0')}`
  return out
}

/** Byte 0 of an input picks the request, the rest is its body or its path segment or query. */
const API_REQUESTS: Array<(rest: Uint8Array) => { method: string, path: string, body?: Uint8Array }> = [
  rest => ({ method: 'POST', path: ROUTES.publish, body: rest }),
  rest => ({ method: 'POST', path: ROUTES.shareLocal, body: rest }),
  rest => ({ method: 'POST', path: ROUTES.fetchLocal, body: rest }),
  rest => ({ method: 'POST', path: ROUTES.follow, body: rest }),
  rest => ({ method: 'POST', path: ROUTES.unfollow, body: rest }),
  rest => ({ method: 'GET', path: `${ROUTES.fetch}/${inUrl(rest)}` }),
  rest => ({ method: 'GET', path: `${ROUTES.check}/${inUrl(rest)}` }),
  rest => ({ method: 'GET', path: `${ROUTES.versions}?address=${inUrl(rest)}` }),
  rest => ({ method: 'GET', path: `${ROUTES.tree}?target=${inUrl(rest)}` }),
  rest => ({ method: 'POST', path: `${ROUTES.share}?${inUrl(rest).replace(/%26/g, '&').replace(/%3d/g, '=')}`, body: new Uint8Array(0) })
]

/** A request Node's HTTP server refused before the control API saw it. */
class HttpRefused extends Error {}

let apiDir = ''
let server: ControlServer | undefined
let token = ''
let agent: Agent | undefined

async function apiRequest (input: Uint8Array): Promise<unknown> {
  if (server === undefined || agent === undefined) throw new Error('the control API target is not set up')
  const { method, path, body } = API_REQUESTS[(input[0] ?? 0) % API_REQUESTS.length](input.subarray(1))
  const url = new URL(server.url)
  const { status, text: answer } = await new Promise<{ status: number, text: string }>((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }) })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
  // A 200 of NDJSON may still end in an error line.
  const last = answer.trim().split('\n').pop() ?? ''
  let parsed: { error?: { code?: unknown, message?: unknown } } | undefined
  try {
    parsed = JSON.parse(last)
  } catch {}
  const error = parsed?.error
  if (status < 400 && error === undefined) return status
  // Node's HTTP parser refuses some requests before any route runs (431: a URL over its 16 KiB of headers), with no body.
  if (status >= 400 && status < 500 && answer === '') throw new HttpRefused(`HTTP ${status} from Node's HTTP parser`)
  const code = String(error?.code)
  // ERR_INTERNAL is what the server answers for an error with no code: a crash of the route behind it.
  if (code === 'ERR_INTERNAL' || !/^ERR_[A-Z0-9_]+$/.test(code)) throw new Error(`HTTP ${status} ${code}: ${String(error?.message)}`)
  throw new EdgemirrorError(code, String(error?.message))
}

const apiBody = (route: number, body: unknown): Uint8Array => Uint8Array.of(route, ...json(body))
const api: FuzzTarget = {
  name: 'api.requests',
  format: 'bytes',
  decode: apiRequest,
  seeds: () => [
    apiBody(0, { dir: '/srv/site', name: 'site', k: 4, m: 2, keep: 3, allowFewerPeers: true }),
    apiBody(1, { path: join(apiDir, 'none'), dev: '2049', ino: '12', size: 10, mtimeNs: '1700000000000000000', k: 4, m: 2, name: 'a.txt' }),
    apiBody(2, { cid, path: join(apiDir, 'none'), dev: '2049', ino: '12' }),
    apiBody(3, { address: `${publisher}/site`, dir: '/srv/site' }),
    apiBody(4, { address: `${publisher}/site` }),
    Uint8Array.of(5, ...utf8(cid)),
    Uint8Array.of(6, ...utf8('caf%C3%A9')),
    Uint8Array.of(7, ...utf8(`${publisher}/site`)),
    Uint8Array.of(8, ...utf8(`${publisher}/site@2/docs`)),
    Uint8Array.of(9, ...utf8('size=10&k=2&m=1&name=a.txt'))
  ],
  isTypedError: (err) => isEdgemirrorError(err) || err instanceof HttpRefused,
  knownBad: { input: apiBody(0, { dir: 'relative', name: 'site', k: 4, m: 2 }), code: 'ERR_USAGE' },
  async setup () {
    apiDir = await mkdtemp(join(tmpdir(), 'edgemirror-fuzz-api-'))
    server = await startControlServer({ api: fakeApi, host: '127.0.0.1', port: 0, repo: apiDir })
    token = (JSON.parse(await import('node:fs/promises').then(async fs => await fs.readFile(join(apiDir, 'api.json'), 'utf8'))) as { token: string }).token
    agent = new Agent({ keepAlive: true, maxSockets: 1 })
  },
  async teardown () {
    agent?.destroy()
    await server?.stop()
    await rm(apiDir, { recursive: true, force: true })
    server = undefined
    agent = undefined
  }
}

// ---- real files: the loaders themselves, a few hundred rounds each ----------------------------------------------

const FILE_ROUNDS = { count: 500, why: 'a file written and read back per input: the parsers above get the volume' }

/** A target that writes each input as a real file in a temp dir of its own and runs the real loader on it. */
function fileTarget (name: string, seeds: Uint8Array[], knownBad: FuzzTarget['knownBad'], place: (dir: string) => string, load: (dir: string, file: string) => Promise<unknown>): FuzzTarget {
  let dir = ''
  return {
    name,
    format: 'json',
    async decode (input) {
      const file = place(dir)
      await mkdir(join(file, '..'), { recursive: true })
      await writeFile(file, input)
      return await load(dir, file)
    },
    seeds: () => seeds,
    isTypedError: isEdgemirrorError,
    knownBad,
    inputs: FILE_ROUNDS,
    async setup () { dir = await mkdtemp(join(tmpdir(), `edgemirror-fuzz-${name}-`)) },
    async teardown () { await rm(dir, { recursive: true, force: true }) }
  }
}

/** The loaders that ignore a bad file (logged) answer the same as for no file: `known` checks that. */
const files: FuzzTarget[] = [
  fileTarget('file.config', [json(configFile)], { input: json({ zone: 5 }), code: 'ERR_CONFIG' }, dir => join(dir, 'config.json'), async (dir) => await loadConfig(dir)),
  fileTarget('file.record-book', [json(versionRecordView(record1))], { input: utf8('{'), code: 'ignored' }, dir => join(dir, 'records', publisher, 'site', '1.json'), async (dir) => {
    const book = new RecordBook({ dir: join(dir, 'records') })
    await book.load()
    return book.newest(`${publisher}/site`) === undefined ? 'ignored' : 'kept'
  }),
  fileTarget('file.publish-index', [json(publishIndexFile)], { input: utf8('{'), code: 'ignored' }, dir => join(dir, 'index.json'), async (_dir, file) => (await PublishIndex.load(file)).size === 0 ? 'ignored' : 'kept'),
  fileTarget('file.share-record', [json(shareRecord)], { input: utf8('{'), code: 'ignored' }, dir => join(dir, 'shares', `${cid}.json`), async (dir) => (await new ShareRecords(join(dir, 'shares')).get(cid)) === undefined ? 'ignored' : 'kept'),
  fileTarget('file.ownership', [utf8(recordToJson({ owners: [claim], tombstones: [] }))], { input: utf8('{'), code: 'ignored' }, dir => join(dir, 'store', 'ownership', `${cid}.json`), async (dir) => {
    const store = new FsShardStore({ dir: join(dir, 'store') })
    await store.start()
    try {
      return (await store.listOwnership()).length === 0 ? 'ignored' : 'kept'
    } finally {
      await store.stop()
    }
  }),
  fileTarget('file.carbon', carbonSeeds, { input: utf8('[]'), code: 'ERR_CARBON_DATA' }, dir => join(dir, 'carbon.json'), async (_dir, file) => parseCarbonSeries(await readSeriesFile(file, MAX_SERIES_BYTES)))
]

export const TARGETS: FuzzTarget[] = [frames, ...wire, ...coder, ...disk, ...textTargets, api, ...files]
