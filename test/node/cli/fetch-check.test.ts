// What fetch and cat check in the bytes they receive (node/cli/fetch-check.ts): the size always, the whole-file SHA-256
// only with --sha256, and what they may claim afterwards.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { describe, it } from 'node:test'
import { fetchCheck } from '../../../node/cli/fetch-check.ts'

const FILE = Buffer.from('the bytes of a small file\n')
const SHA256 = createHash('sha256').update(FILE).digest('hex')
const EXPECTED = { cid: 'bafyfile', size: FILE.length, manifestSha256: SHA256 }

/** Runs `bytes` through the check's stream (when it has one), in two chunks; returns the byte count. */
async function flow (stream: NodeJS.ReadWriteStream | undefined, bytes: Buffer): Promise<number> {
  let count = 0
  const sink = new Writable({ write (chunk: Buffer, _e, cb) { count += chunk.length; cb() } })
  const source = Readable.from([bytes.subarray(0, 5), bytes.subarray(5)])
  if (stream === undefined) await pipeline(source, sink)
  else await pipeline(source, stream, sink)
  return count
}

describe('fetchCheck', () => {
  it('without --sha256: no hashing stage, the size checked, the manifest\'s SHA-256 reported as its claim only', async () => {
    const check = fetchCheck({ sha256: false })
    assert.equal(check.stream, undefined)
    assert.deepEqual(check.verify(EXPECTED, await flow(check.stream, FILE)), { verified: 'blocks', manifestSha256: SHA256 })
    // A wrong claim is not noticed, and is not presented as checked.
    assert.deepEqual(fetchCheck({ sha256: false }).verify({ ...EXPECTED, manifestSha256: '0'.repeat(64) }, FILE.length), { verified: 'blocks', manifestSha256: '0'.repeat(64) })
  })

  it('with --sha256: the bytes pass through unchanged and their hash is reported when it matches', async () => {
    const check = fetchCheck({ sha256: true })
    assert.equal(await flow(check.stream, FILE), FILE.length)
    assert.deepEqual(check.verify(EXPECTED, FILE.length), { verified: 'blocks+sha256', manifestSha256: SHA256, sha256: SHA256 })
  })

  it('with --sha256: a manifest SHA-256 that disagrees with the bytes is ERR_HASH_MISMATCH', async () => {
    const check = fetchCheck({ sha256: true })
    await flow(check.stream, FILE)
    assert.throws(() => check.verify({ ...EXPECTED, manifestSha256: '0'.repeat(64) }, FILE.length), { code: 'ERR_HASH_MISMATCH' })
  })

  it('a size other than the manifest\'s is ERR_SIZE_MISMATCH, with or without --sha256', async () => {
    for (const sha256 of [false, true]) {
      for (const received of [FILE.subarray(0, FILE.length - 1), Buffer.concat([FILE, Buffer.from('!')])]) {
        const check = fetchCheck({ sha256 })
        assert.throws(() => check.verify(EXPECTED, received.length), { code: 'ERR_SIZE_MISMATCH' })
      }
    }
  })

  it('an encrypted file (no manifest SHA-256): --sha256 computes and reports the hash but claims nothing was compared', async () => {
    const encrypted = { ...EXPECTED, manifestSha256: null }
    assert.deepEqual(fetchCheck({ sha256: false }).verify(encrypted, FILE.length), { verified: 'blocks', manifestSha256: null })
    const check = fetchCheck({ sha256: true })
    await flow(check.stream, FILE)
    assert.deepEqual(check.verify(encrypted, FILE.length), { verified: 'blocks', manifestSha256: null, sha256: SHA256 })
  })
})
