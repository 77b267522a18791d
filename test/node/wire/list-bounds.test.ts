// Counted lists on the wire (docs/SECURITY.md, "Limits"): a list one item past its bound is ERR_PROTOCOL before any
// item is looked at, one at the bound is taken.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MAX_EXCHANGED_ADDRESSES, MAX_EXCHANGED_PEERS, MAX_HAS_CIDS } from '../../../node/constants.ts'
import { MAX_ANNOUNCED_RECORDS, MAX_ANSWERED_RECORDS, MAX_DIGEST_ADDRESSES, parseAnnounceRequest, parseRecordsRequest, parseRecordsResponse } from '../../../node/mirror/record-protocol.ts'
import { okMessage, parseHasRequest, parsePeersResponse } from '../../../node/wire/messages.ts'
import { encodeMessage } from '../../../node/wire/schema.ts'

const CID = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
const PEER = '12D3KooWEh7jzwSGt8rZMDGQR216rs1TmBBqfq4uUYrXWfmcWnR9'
const of = <T>(n: number, item: T): T[] => Array.from({ length: n }, () => item)

describe('bounded lists on the wire', () => {
  it('has: at most MAX_HAS_CIDS CIDs a request', () => {
    assert.equal(parseHasRequest(encodeMessage({ cids: of(MAX_HAS_CIDS, CID) })).length, MAX_HAS_CIDS)
    assert.throws(() => parseHasRequest(encodeMessage({ cids: of(MAX_HAS_CIDS + 1, CID) })), { code: 'ERR_PROTOCOL' })
  })

  it('peers: at most MAX_EXCHANGED_PEERS an answer, MAX_EXCHANGED_ADDRESSES addresses each', () => {
    const peer = { peerId: PEER, addresses: of(MAX_EXCHANGED_ADDRESSES, '/ip4/127.0.0.1/tcp/4050') }
    assert.equal(parsePeersResponse(okMessage({ peers: of(MAX_EXCHANGED_PEERS, peer) })).length, MAX_EXCHANGED_PEERS)
    assert.throws(() => parsePeersResponse(okMessage({ peers: of(MAX_EXCHANGED_PEERS + 1, peer) })), { code: 'ERR_PROTOCOL' })
    const chatty = { peerId: PEER, addresses: of(MAX_EXCHANGED_ADDRESSES + 1, '/ip4/127.0.0.1/tcp/4050') }
    assert.throws(() => parsePeersResponse(okMessage({ peers: [chatty] })), { code: 'ERR_PROTOCOL' })
  })

  it('mirror records: announces, digests and answers are counted before a record is parsed', () => {
    // Items that are not records: only the count can refuse these before the first item would.
    assert.throws(() => parseAnnounceRequest(encodeMessage({ records: of(MAX_ANNOUNCED_RECORDS + 1, 0) })), new RegExp(`at most ${MAX_ANNOUNCED_RECORDS} items`))
    assert.throws(() => parseRecordsResponse(okMessage({ records: of(MAX_ANSWERED_RECORDS + 1, 0) })), new RegExp(`at most ${MAX_ANSWERED_RECORDS} items`))
    const entry = { address: `${PEER}/site`, seq: 1 }
    assert.equal(parseRecordsRequest(encodeMessage({ have: of(MAX_DIGEST_ADDRESSES, entry) })).size, 1)
    assert.throws(() => parseRecordsRequest(encodeMessage({ have: of(MAX_DIGEST_ADDRESSES + 1, entry) })), { code: 'ERR_PROTOCOL' })
  })
})
