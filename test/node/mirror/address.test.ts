// A publisher's peer id is checked by hand (node/mirror/address.ts: the CLI must not load libp2p's crypto to parse an
// address): it must accept exactly the text peer ids that @libp2p/peer-id reads as Ed25519 keys, and refuse the rest.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { assertPublisherId, parseMirrorTarget } from '../../../node/mirror/address.ts'

/** What the check stood for before: @libp2p/peer-id's reading of the text, an Ed25519 key inside. */
function libp2pSaysEd25519 (text: string): boolean {
  try {
    return peerIdFromString(text).publicKey?.type === 'Ed25519' && peerIdFromString(text).toString() === text
  } catch {
    return false
  }
}

function accepted (text: string): boolean {
  try {
    assertPublisherId(text)
    return true
  } catch (err) {
    assert.equal((err as { code?: string }).code, 'ERR_INVALID_ADDRESS')
    return false
  }
}

describe('assertPublisherId', () => {
  it('accepts Ed25519 peer ids and refuses secp256k1 and RSA ones, as @libp2p/peer-id reads them', async () => {
    const ed = await Promise.all(Array.from({ length: 20 }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()))
    const secp = peerIdFromPrivateKey(await generateKeyPair('secp256k1')).toString()
    const rsa = peerIdFromPrivateKey(await generateKeyPair('RSA', 1024)).toString()
    for (const id of ed) assert.ok(accepted(id) && libp2pSaysEd25519(id), id)
    for (const id of [secp, rsa]) assert.ok(!accepted(id) && !libp2pSaysEd25519(id), id)
    assert.equal(parseMirrorTarget(`${ed[0]}/site@2/a/b.txt`).publisher, ed[0])
  })

  it('agrees with @libp2p/peer-id on mutated and random text', async () => {
    const id = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0OIl+/ '
    fc.assert(fc.property(fc.nat({ max: id.length }), fc.nat({ max: id.length }), fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 4 }), (at, cut, insert) => {
      const text = id.slice(0, at) + insert + id.slice(Math.min(id.length, at + cut % 3))
      assert.equal(accepted(text), libp2pSaysEd25519(text), text)
    }), { numRuns: 2000 })
    fc.assert(fc.property(fc.string({ maxLength: 80 }), (text) => { assert.equal(accepted(text), libp2pSaysEd25519(text), text) }), { numRuns: 1000 })
  })
})
