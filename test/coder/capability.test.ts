// Capabilities (coder/capability.ts): the string form, its strict parse, the key check, and which key a read uses.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { createCodec } from '../../coder/codecs.ts'
import { encodeCapability, isCapability, keyCheckOf, parseCapability, readingKey } from '../../coder/capability.ts'
import { encodeFile } from '../../coder/encoder.ts'
import { FILE_KEY_BYTES } from '../../coder/file-cipher.ts'
import { decodeManifest } from '../../coder/manifest.ts'
import { chunked, pseudoRandomBytes } from './helpers.ts'

const CID = 'bafkreicenir7uu3ovcvoibfghuntn6lz4w4awnubltt5qiamyhfpous6qq'
const KEY = pseudoRandomBytes(5, FILE_KEY_BYTES)
const ZERO_KEY_CHECK = '4a6026b5cd095948f2f0f3c1e4a8c792'

function assertCode (fn: () => unknown, code: string): void {
  assert.throws(fn, (err: Error & { code?: string }) => {
    assert.equal(err.code, code, err.message)
    return true
  })
}

describe('capability', () => {
  it('encodes as emcap1.<cid>.<52 base32 characters> and parses back, for any key', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (key) => {
      const text = encodeCapability({ cid: CID, key })
      assert.match(text, /^emcap1\.bafkrei[a-z2-7]+\.[a-z2-7]{52}$/)
      assert.equal(isCapability(text), true)
      const parsed = parseCapability(text)
      assert.equal(parsed.cid, CID)
      assert.deepEqual(parsed.key, key)
      assert.equal(encodeURIComponent(text), text, 'URL-safe as it is')
    }))
    assert.equal(isCapability(CID), false)
  })

  it('refuses anything else with ERR_INVALID_CAPABILITY, and never repeats the text (it holds a key)', () => {
    const good = encodeCapability({ cid: CID, key: KEY })
    const [, , key] = good.split('.')
    const bad = [
      '', 'emcap1', CID, `emcap1.${CID}`, `emcap2.${CID}.${key}`, `EMCAP1.${CID}.${key}`, `emcap1.${CID}.${key}.x`,
      `emcap1.${CID}.${key.toUpperCase()}`, `emcap1.${CID}.${key}=`, `emcap1.${CID}.${key.slice(1)}`, `emcap1.${CID}.${key}a`,
      `emcap1.${CID}.${key.slice(0, -1)}1`, // not base32
      `emcap1.${CID}.${key.slice(0, -1)}${key.at(-1) === 'b' ? 'c' : 'b'}`, // 'b' and 'c' leave non-zero trailing bits
      `emcap1.${CID.toUpperCase()}.${key}`, `emcap1.zb2rhe5P4gXftAwvA4eXQ5HJwsER2owDyS9sKaQRRVQPn93bA.${key}`, // not base32 lowercase
      `emcap1.bafyreicenir7uu3ovcvoibfghuntn6lz4w4awnubltt5qiamyhfpous6qq.${key}`, // dag-cbor, not raw
      `emcap1.${CID}.${key}`.padEnd(300, 'a')
    ]
    for (const text of bad) {
      assertCode(() => parseCapability(text), 'ERR_INVALID_CAPABILITY')
      try { parseCapability(text) } catch (err) { assert.ok(!(err as Error).message.includes(key), 'the key is not in the message') }
    }
  })

  it('the key check is the first 16 bytes of SHA-256 of the domain and the key, and differs per key', () => {
    const check = keyCheckOf(KEY)
    assert.equal(check.byteLength, 16)
    assert.deepEqual(keyCheckOf(KEY), check)
    assert.notDeepEqual(keyCheckOf(pseudoRandomBytes(6, 32)), check)
    // Pinned (computed independently: printf 'edgemirror/key-check/1\n' + 32 zero bytes | sha256sum | cut -c1-32):
    // another implementation must compute the same check.
    assert.equal(Buffer.from(keyCheckOf(new Uint8Array(32))).toString('hex'), ZERO_KEY_CHECK)
  })

  it('readingKey: the right key reads, a wrong one is ERR_WRONG_KEY, none is ERR_KEY_REQUIRED, a key for a plain file is refused', async () => {
    const codec = await createCodec('rs-wasm-1', 2, 1)
    const plain = pseudoRandomBytes(9, 5000)
    const encrypted = await encodeFile(chunked(plain), { codec, blockSize: 1024, key: KEY }, async () => {})
    const open = await encodeFile(chunked(plain), { codec, blockSize: 1024 }, async () => {})
    const manifest = decodeManifest(encrypted.manifestBytes)
    assert.equal(manifest.version, 3)
    assert.deepEqual(readingKey(encrypted.cid, manifest, KEY), KEY)
    assertCode(() => readingKey(encrypted.cid, manifest, pseudoRandomBytes(6, 32)), 'ERR_WRONG_KEY')
    assertCode(() => readingKey(encrypted.cid, manifest, undefined), 'ERR_KEY_REQUIRED')
    assert.equal(readingKey(open.cid, decodeManifest(open.manifestBytes), undefined), undefined)
    assertCode(() => readingKey(open.cid, decodeManifest(open.manifestBytes), KEY), 'ERR_INVALID_CAPABILITY')
  })
})
