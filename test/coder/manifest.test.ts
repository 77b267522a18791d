// The manifest format (docs/MANIFEST.md): deterministic encoding, CID, and every way untrusted bytes are refused.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { Packr } from 'msgpackr'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { identity } from 'multiformats/hashes/identity'
import { sha256 as sha256Hasher, sha512 } from 'multiformats/hashes/sha2'
import { createCodec } from '../../coder/codecs.ts'
import { MAX_MANIFEST_BYTES, MAX_NAME_BYTES } from '../../coder/constants.ts'
import { encodeFile } from '../../coder/encoder.ts'
import {
  decodeManifest, decodeManifestFor, encodeManifest, isEncrypted, manifestCid, manifestName, MANIFEST_VERSION, parseCid, sanitizeFileName, validateManifest,
  type Manifest, type ManifestV1, type ManifestV2, type ManifestV3
} from '../../coder/manifest.ts'
import { FileCipher } from '../../coder/file-cipher.ts'
import { chunked, pseudoRandomBytes } from './helpers.ts'

// The same MessagePack options as coder/manifest.ts, to build records the encoder would refuse to write.
const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true, int64AsType: 'number' })

/** A version 2 manifest: 4 + 2 shards, 4096-byte blocks, 40000 bytes: ceil(40000 / 16384) = 3 stripes, so 96 bytes of
 *  hashes per shard. */
function sample (overrides: Partial<ManifestV2> = {}): ManifestV2 {
  return {
    version: 2,
    codec: 'rs-wasm-1',
    k: 4,
    m: 2,
    blockSize: 4096,
    fileSize: 40000,
    fileHash: pseudoRandomBytes(1, 32),
    shardHashes: Array.from({ length: 6 }, (_, i) => pseudoRandomBytes(10 + i, 96)),
    ...overrides
  }
}

/** The same file as a version 1 manifest (what edgemirror wrote before issue #15): name and createdAt inside. */
function sampleV1 (overrides: Partial<ManifestV1> = {}): ManifestV1 {
  return { ...sample(), version: 1, createdAt: 1_700_000_000_000, name: 'report.pdf', ...overrides }
}

/** The CID the version 1 encoder (commit ba48376, before version 2 existed) gave sampleV1(): a v1 manifest shared
 *  then must still encode, decode and verify to the same id. */
const SAMPLE_V1_CID = 'bafkreicenir7uu3ovcvoibfghuntn6lz4w4awnubltt5qiamyhfpous6qq'

/** The record as encodeManifest() lays it out, with fields replaced or removed (undefined), packed without checks. */
function packed (changes: Record<string, unknown>, base: Manifest = sample()): Uint8Array {
  const record: Record<string, unknown> = { ...base }
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) delete record[key]
    else record[key] = value
  }
  return packr.pack(record)
}

function assertCode (fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (err: Error & { code?: string }) => {
    assert.equal(err.code, code, err.message)
    if (message != null) assert.match(err.message, message)
    return true
  })
}

describe('manifest encoding', () => {
  it('round trips, and encodes the same manifest to the same bytes', () => {
    const manifest = sample()
    const bytes = encodeManifest(manifest)
    const decoded = decodeManifest(bytes)
    assert.deepEqual(decoded, manifest)
    assert.deepEqual(encodeManifest(decoded), bytes)
    // Key order is fixed by the encoder, not by the caller's object.
    const reordered = Object.fromEntries(Object.entries(manifest).reverse()) as unknown as Manifest
    assert.deepEqual(encodeManifest(reordered), bytes)
  })

  it('writes version 2', () => {
    assert.equal(MANIFEST_VERSION, 2)
    assert.equal(decodeManifest(encodeManifest(sample())).version, 2)
  })

  it('is plain MessagePack: a map of the documented field names, and nothing else (no name, no time)', () => {
    const unpack = (m: Manifest): Record<string, unknown> => new Packr({ useRecords: false, mapsAsObjects: true }).unpack(Buffer.from(encodeManifest(m))) as Record<string, unknown>
    assert.deepEqual(Object.keys(unpack(sample())), ['version', 'codec', 'k', 'm', 'blockSize', 'fileSize', 'fileHash', 'shardHashes'])
    assert.deepEqual(Object.keys(unpack(sampleV1())), ['version', 'codec', 'k', 'm', 'blockSize', 'fileSize', 'fileHash', 'shardHashes', 'createdAt', 'name'])
    // A version 2 manifest handed fields of version 1 (a caller's stray object) encodes without them.
    const stray = { ...sample(), name: 'x', createdAt: 5 } as unknown as Manifest
    assert.deepEqual(encodeManifest(stray), encodeManifest(sample()))
  })

  it('copies binary fields out of the input (a later change to the buffer cannot change the manifest)', () => {
    const bytes = new Uint8Array(encodeManifest(sample()))
    const decoded = decodeManifest(bytes)
    bytes.fill(0)
    assert.deepEqual(decoded, sample())
  })

  it('keeps an empty file valid: no stripes, empty hash lists', () => {
    const empty = sample({ fileSize: 0, shardHashes: Array.from({ length: 6 }, () => new Uint8Array(0)) })
    assert.deepEqual(decodeManifest(encodeManifest(empty)), empty)
  })
})

describe('version 1 manifests (written before issue #15)', () => {
  it('still encode to the bytes and CID the version 1 encoder gave, and decode and verify against it', async () => {
    const bytes = encodeManifest(sampleV1())
    assert.equal((await manifestCid(bytes)).toString(), SAMPLE_V1_CID)
    const decoded = await decodeManifestFor(SAMPLE_V1_CID, bytes)
    assert.deepEqual(decoded, sampleV1())
    assert.equal(decoded.version, 1)
    assert.equal(manifestName(decoded), 'report.pdf')
    assert.equal(decoded.version === 1 ? decoded.createdAt : undefined, 1_700_000_000_000)
  })

  it('round trip their optional fields: no name, a publisher signature', () => {
    const { name, ...unnamed } = sampleV1()
    assert.equal(name, 'report.pdf')
    assert.deepEqual(decodeManifest(encodeManifest(unnamed)), unnamed)
    assert.equal(manifestName(decodeManifest(encodeManifest(unnamed))), undefined)
    const signed = sampleV1({ publisher: { publicKey: pseudoRandomBytes(2, 32), signature: pseudoRandomBytes(3, 64) } })
    assert.deepEqual(decodeManifest(encodeManifest(signed)), signed)
  })

  it('need their createdAt; version 2 refuses every field of version 1 that is not about the bytes', () => {
    assertCode(() => decodeManifest(packed({ createdAt: undefined }, sampleV1())), 'ERR_MANIFEST_INVALID', /createdAt/)
    for (const field of [{ name: 'a.txt' }, { createdAt: 1 }, { publisher: { publicKey: new Uint8Array(32), signature: new Uint8Array(64) } }]) {
      assertCode(() => decodeManifest(packed(field)), 'ERR_MANIFEST_INVALID', /unknown field/)
    }
  })
})

describe('manifest CID', () => {
  it('is the same for the same bytes and coding, whatever the name or time of the share (dedup)', async () => {
    const data = pseudoRandomBytes(7, 50_000)
    const codec = await createCodec('rs-wasm-1', 4, 2)
    const first = await encodeFile(chunked(data, 4096), { codec, blockSize: 4096 }, async () => {})
    const second = await encodeFile(chunked(data, 999), { codec, blockSize: 4096 }, async () => {})
    assert.equal(first.cid, second.cid)
    assert.deepEqual(first.manifestBytes, second.manifestBytes)
    // Version 1 put the name and the clock in the CID: the same file got a new id with each.
    assert.notEqual((await manifestCid(encodeManifest(sampleV1({ name: 'a.txt' })))).toString(), (await manifestCid(encodeManifest(sampleV1({ name: 'b.txt' })))).toString())
    assert.notEqual((await manifestCid(encodeManifest(sampleV1({ createdAt: 1 })))).toString(), (await manifestCid(encodeManifest(sampleV1({ createdAt: 2 })))).toString())
  })

  it('differs when the coding differs: k, m, codec or block size (same bytes, other shards)', async () => {
    const data = pseudoRandomBytes(8, 50_000)
    const codings: Array<[string, number, number, number]> = [
      ['rs-wasm-1', 4, 2, 4096], ['rs-wasm-1', 2, 1, 4096], ['rs-wasm-1', 4, 3, 4096], ['rs-wasm-1', 4, 2, 8192], ['replica-1', 1, 2, 4096]
    ]
    const cids = new Set<string>()
    for (const [id, k, m, blockSize] of codings) {
      cids.add((await encodeFile(chunked(data, 4096), { codec: await createCodec(id, k, m), blockSize }, async () => {})).cid)
    }
    assert.equal(cids.size, codings.length)
    // The codec id alone changes the CID too (rs-native-1 makes the same parity bytes as rs-wasm-1, but is named).
    assert.notEqual((await manifestCid(encodeManifest(sample()))).toString(), (await manifestCid(encodeManifest(sample({ codec: 'rs-native-1' })))).toString())
  })

  it('is CIDv1, raw, sha2-256 of the encoded bytes, and parseCid accepts it', async () => {
    const bytes = encodeManifest(sample())
    const cid = await manifestCid(bytes)
    assert.equal(cid.version, 1)
    assert.equal(cid.code, raw.code)
    assert.deepEqual(cid.multihash.digest, (await sha256Hasher.digest(bytes)).digest)
    assert.match(cid.toString(), /^bafkrei[a-z2-7]{52}$/)
    assert.ok(parseCid(cid.toString()).equals(cid))
    assert.deepEqual(await decodeManifestFor(cid.toString(), bytes), sample())
  })

  it('decodeManifestFor refuses bytes with any flipped byte: ERR_HASH_MISMATCH', async () => {
    const bytes = encodeManifest(sample())
    const cid = (await manifestCid(bytes)).toString()
    for (const offset of [0, 1, Math.floor(bytes.byteLength / 2), bytes.byteLength - 1]) {
      const tampered = new Uint8Array(bytes)
      tampered[offset] ^= 0x01
      await assert.rejects(decodeManifestFor(cid, tampered), { code: 'ERR_HASH_MISMATCH' })
    }
    await assert.rejects(decodeManifestFor(cid, bytes.subarray(0, bytes.byteLength - 1)), { code: 'ERR_HASH_MISMATCH' })
  })

  it('parseCid rejects what is not an edgemirror manifest CID: ERR_INVALID_CID', async () => {
    const digest = await sha256Hasher.digest(new Uint8Array([1, 2, 3]))
    const notOurs = [
      'hello',
      '',
      CID.createV0(digest).toString(), // CIDv0 (dag-pb): "Qm…"
      CID.createV1(0x71, digest).toString(), // dag-cbor
      CID.createV1(raw.code, await sha512.digest(new Uint8Array([1]))).toString(),
      CID.createV1(raw.code, identity.digest(new Uint8Array([1]))).toString()
    ]
    for (const text of notOurs) assertCode(() => parseCid(text), 'ERR_INVALID_CID', /CID/)
    assertCode(() => parseCid('bafkreixyz'), 'ERR_INVALID_CID', /not a CID/)
  })
})

describe('decoding untrusted manifest bytes', () => {
  it('refuses every truncation with ERR_MANIFEST_INVALID', () => {
    const bytes = encodeManifest(sample())
    for (let length = 0; length < bytes.byteLength; length++) {
      assertCode(() => decodeManifest(bytes.subarray(0, length)), 'ERR_MANIFEST_INVALID')
    }
  })

  it('refuses trailing bytes', () => {
    const bytes = encodeManifest(sample())
    assertCode(() => decodeManifest(new Uint8Array([...bytes, 0xc0])), 'ERR_MANIFEST_INVALID')
  })

  it(`refuses more than ${MAX_MANIFEST_BYTES} bytes before parsing them`, () => {
    // All zeros is not a manifest either, but the size check must come first: the message says so.
    assertCode(() => decodeManifest(new Uint8Array(MAX_MANIFEST_BYTES + 1)), 'ERR_MANIFEST_INVALID', /exceeds/)
  })

  it('refuses to encode a manifest larger than the bound', () => {
    // k=1, m=1 and 8-byte blocks: 2 x 32 bytes of hashes per 8 bytes of file, so 8.4 MB of file makes 67 MB of hashes.
    const stripes = MAX_MANIFEST_BYTES / 64 + 1024
    const huge = sample({ codec: 'replica-1', k: 1, m: 1, blockSize: 8, fileSize: stripes * 8, shardHashes: [new Uint8Array(stripes * 32), new Uint8Array(stripes * 32)] })
    assertCode(() => encodeManifest(huge), 'ERR_MANIFEST_INVALID', /exceeds/)
  })

  it('refuses another version with ERR_MANIFEST_VERSION, and a missing or non-numeric one as invalid', () => {
    for (const version of [0, 4, 255, 1.5]) {
      assertCode(() => decodeManifest(packed({ version })), 'ERR_MANIFEST_VERSION', new RegExp(`version: ${version}`))
    }
    // A future version may change any other field: its version is refused before anything else is looked at.
    assertCode(() => decodeManifest(packed({ version: 4, codec: 42, newField: true })), 'ERR_MANIFEST_VERSION')
    assertCode(() => decodeManifest(packed({ version: undefined })), 'ERR_MANIFEST_INVALID', /missing version/)
    assertCode(() => decodeManifest(packed({ version: '1' })), 'ERR_MANIFEST_INVALID')
  })

  const violations: Array<[string, Uint8Array | (() => Uint8Array)]> = [
    ['not a map (a list)', packr.pack([1, 2, 3])],
    ['not a map (a number)', packr.pack(1)],
    ['not a map (nil)', packr.pack(null)],
    ['an unknown field', packed({ extra: 1 })],
    ['a "__proto__" field', () => {
      // msgpackr renames the key rather than setting the prototype; either way it is not a manifest field.
      const bytes = Buffer.from(encodeManifest(sample()))
      assert.deepEqual([...bytes.subarray(0, 3)], [0xde, 0, 8]) // map16 of 8 entries
      return Buffer.concat([Buffer.from([0xde, 0, 9]), bytes.subarray(3), Buffer.from([0xa9]), Buffer.from('__proto__'), Buffer.from([0x81, 0xa1, 0x78, 0x01])])
    }],
    ['codec missing', packed({ codec: undefined })],
    ['codec not a string', packed({ codec: 7 })],
    ['codec with capitals', packed({ codec: 'RS-WASM-1' })],
    ['codec too long', packed({ codec: 'a'.repeat(33) })],
    ['k = 0', packed({ k: 0 })],
    ['k not an integer', packed({ k: 1.5 })],
    ['k as a string', packed({ k: '4' })],
    ['m negative', packed({ m: -1 })],
    ['k + m over 256', packed({ k: 250, m: 10, shardHashes: Array.from({ length: 260 }, () => new Uint8Array(32)) })],
    ['blockSize not a multiple of 8', packed({ blockSize: 4100 })],
    ['blockSize over 16 MiB', packed({ blockSize: 32 * 1024 * 1024 })],
    ['fileSize negative', packed({ fileSize: -1 })],
    ['fileSize missing', packed({ fileSize: undefined })],
    ['fileHash of 31 bytes', packed({ fileHash: new Uint8Array(31) })],
    ['fileHash as a string', packed({ fileHash: 'a'.repeat(32) })],
    ['shardHashes not a list', packed({ shardHashes: new Uint8Array(96) })],
    ['shardHashes with k + m - 1 entries', packed({ shardHashes: sample().shardHashes.slice(1) })],
    ['a shardHashes entry one stripe short', packed({ shardHashes: sample().shardHashes.map((h, i) => i === 3 ? h.subarray(32) : h) })],
    ['a shardHashes entry not bytes', packed({ shardHashes: sample().shardHashes.map((h, i) => i === 3 ? 'x' : h) })],
    ['fileSize that needs more stripes than the hashes cover', packed({ fileSize: 3 * 16384 + 1 })],
    // Version 1 only: its name, time and publisher.
    ['version 1 name with a path', packed({ name: '../etc/passwd' }, sampleV1())],
    ['name with a control character', packed({ name: 'a\nb' }, sampleV1())],
    ['name ".."', packed({ name: '..' }, sampleV1())],
    ['name empty', packed({ name: '' }, sampleV1())],
    ['name not a string', packed({ name: 5 }, sampleV1())],
    ['name null', packed({ name: null }, sampleV1())],
    ['createdAt negative', packed({ createdAt: -1 }, sampleV1())],
    ['createdAt fractional', packed({ createdAt: 1.5 }, sampleV1())],
    ['publisher not a map', packed({ publisher: 'me' }, sampleV1())],
    ['publisher without a signature', packed({ publisher: { publicKey: new Uint8Array(32) } }, sampleV1())]
  ]
  for (const [label, input] of violations) {
    it(`refuses ${label}: ERR_MANIFEST_INVALID`, () => {
      const bytes = typeof input === 'function' ? input() : input
      assertCode(() => decodeManifest(bytes), 'ERR_MANIFEST_INVALID')
    })
  }

  it('validateManifest refuses what the encoder is handed wrong, with the same code', () => {
    assertCode(() => validateManifest(sample({ k: 0 })), 'ERR_MANIFEST_INVALID', /k must be/)
    assertCode(() => encodeManifest(sampleV1({ name: 'a/b' })), 'ERR_MANIFEST_INVALID', /name/)
  })
})

describe('sanitizeFileName', () => {
  const cases: Array<[string, string]> = [
    ['../etc/passwd', 'passwd'],
    ['/absolute/path/file.txt', 'file.txt'],
    ['C:\\Users\\me\\file.txt', 'file.txt'],
    ['dir/', ''],
    ['..', ''],
    ['.', ''],
    ['a/..', ''],
    [' .. ', ''],
    ['.\u0000.', ''],
    ['a\u0000b\nc\u001f\u007fd', 'abcd'],
    ['\ttabbed.txt\r\n', 'tabbed.txt'],
    ['.hidden', '.hidden'],
    ['ünïcødé 文件.txt', 'ünïcødé 文件.txt'],
    ['lone\uD800surrogate\uDC00s', 'lonesurrogates'],
    ['', '']
  ]
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
      assert.equal(sanitizeFileName(input), expected)
    })
  }

  it(`cuts long names to ${MAX_NAME_BYTES} bytes of UTF-8 at a code point boundary`, () => {
    assert.equal(sanitizeFileName('a'.repeat(300)), 'a'.repeat(255))
    assert.equal(sanitizeFileName('é'.repeat(200)), 'é'.repeat(127)) // 2 bytes each
    assert.equal(sanitizeFileName('😀'.repeat(100)), '😀'.repeat(63)) // 4 bytes each; 63 x 4 = 252
    // A cut that ends at a space is trimmed again, so the name stays valid in a manifest.
    const spaced = sanitizeFileName(`${'a'.repeat(254)} bb`)
    assert.equal(spaced, 'a'.repeat(254))
    assert.deepEqual(manifestName(decodeManifest(encodeManifest(sampleV1({ name: spaced })))), spaced)
  })

  it('always returns a name a manifest accepts, unchanged by a second pass (property)', () => {
    const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 400 }), fc.string({ unit: 'grapheme', maxLength: 200 }),
      fc.array(fc.constantFrom('a', ' ', '.', '/', '\\', '\u0000', '😀', '\uD800', '\uDC00', 'é'), { maxLength: 300 }).map(a => a.join('')))
    fc.assert(fc.property(anyText, input => {
      const name = sanitizeFileName(input)
      assert.equal(sanitizeFileName(name), name)
      assert.ok(Buffer.byteLength(name) <= MAX_NAME_BYTES)
      assert.ok(!/[/\\\u0000-\u001f\u007f]/.test(name))
      assert.equal(Buffer.from(name).toString(), name, 'survives UTF-8')
      if (name !== '') assert.equal(manifestName(decodeManifest(encodeManifest(sampleV1({ name })))), name)
    }), { numRuns: 500 })
  })
})

describe('version 3 (encrypted files)', () => {
  const v3 = (): ManifestV3 => ({ ...sample(), version: 3, encryption: { alg: 'aes-256-ctr', keyCheck: pseudoRandomBytes(2, 16) } })

  it('round trips with its encryption field, deterministically, and is read as encrypted', () => {
    const bytes = encodeManifest(v3())
    const decoded = decodeManifest(bytes)
    assert.deepEqual(decoded, v3())
    assert.deepEqual(encodeManifest(decoded), bytes)
    assert.equal(isEncrypted(decoded), true)
    assert.equal(isEncrypted(sample()), false)
    assert.equal(manifestName(decoded), undefined)
  })

  it('refuses an encryption field that is missing, extra, another cipher or a short key check; and one in version 2', () => {
    const base = v3()
    assertCode(() => decodeManifest(packed({ encryption: undefined }, base)), 'ERR_MANIFEST_INVALID')
    assertCode(() => decodeManifest(packed({ encryption: { alg: 'aes-256-ctr', keyCheck: new Uint8Array(16), key: new Uint8Array(32) } }, base)), 'ERR_MANIFEST_INVALID', /exactly/)
    assertCode(() => decodeManifest(packed({ encryption: { alg: 'aes-128-ctr', keyCheck: new Uint8Array(16) } }, base)), 'ERR_MANIFEST_INVALID', /alg/)
    assertCode(() => decodeManifest(packed({ encryption: { alg: 'aes-256-ctr', keyCheck: new Uint8Array(8) } }, base)), 'ERR_MANIFEST_INVALID', /keyCheck/)
    assertCode(() => decodeManifest(packed({ encryption: 'x' }, base)), 'ERR_MANIFEST_INVALID')
    assertCode(() => decodeManifest(packed({ version: 2 }, base)), 'ERR_MANIFEST_INVALID', /unknown field "encryption"/)
  })

  it('encodeFile with a key writes version 3 over the ciphertext; without one, version 2 and the same CID as before', async () => {
    const codec = await createCodec('rs-wasm-1', 2, 1)
    const plain = pseudoRandomBytes(4, 3000)
    const key = pseudoRandomBytes(5, 32)
    const sealed = await encodeFile(chunked(plain), { codec, blockSize: 512, key }, async () => {})
    const open = await encodeFile(chunked(plain), { codec, blockSize: 512 }, async () => {})
    assert.equal(sealed.manifest.version, 3)
    assert.equal(open.manifest.version, 2)
    assert.notDeepEqual(sealed.manifest.fileHash, open.manifest.fileHash, 'the plaintext hash is not in the manifest')
    assert.deepEqual(sealed.manifest.fileHash, new Uint8Array(createHash('sha256').update(new FileCipher(key).update(plain)).digest()))
  })
})
