// The record book: the newest valid record per address, replays and forgeries dropped with a log line, history kept
// from pulls, and what is on disk checked again when read back.
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { EventLog, LogFields } from '../../../node/event-log.ts'
import { RecordBook } from '../../../node/mirror/record-book.ts'
import { signVersionRecord, type VersionRecord } from '../../../node/mirror/version-record.ts'

const ROOT = 'bafkreidg7zrbloza7rrubuevgvezrtyjmaar35veo4sgvlamtryt2pe43y'

function capture (): { log: EventLog, lines: Array<{ level: string, event: string, fields: LogFields }> } {
  const lines: Array<{ level: string, event: string, fields: LogFields }> = []
  const at = (level: string) => (event: string, fields: LogFields = {}) => { lines.push({ level, event, fields }) }
  return { lines, log: { info: at('info'), warn: at('warn'), error: at('error') } }
}

describe('RecordBook', () => {
  let dir: string
  let key: PrivateKey
  let publisher: string
  const record = async (seq: number, fields: Partial<VersionRecord> = {}, signer = key): Promise<VersionRecord> =>
    await signVersionRecord(signer, { publisher, name: 'site', seq, root: ROOT, prev: null, publishedAt: 1_000 + seq, files: 1, bytes: 5, ...fields })

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgemirror-records-'))
    key = await generateKeyPair('Ed25519')
    publisher = peerIdFromPrivateKey(key).toString()
  })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('keeps the newest, drops replays, forgeries and equivocations with a log line, and tells listeners once', async () => {
    const { log, lines } = capture()
    const book = new RecordBook({ dir: join(dir, 'a'), log })
    await book.load()
    const newest: number[] = []
    book.onNewest(r => newest.push(r.seq))
    const address = `${publisher}/site`
    assert.equal(await book.accept(await record(1), 'push'), 'newest')
    assert.equal(await book.accept(await record(1), 'push'), 'known')
    assert.equal(await book.accept(await record(3), 'push'), 'newest')
    assert.equal(await book.accept(await record(2), 'push'), 'replay', 'an older record pushed as new')
    assert.equal(await book.accept(await record(1), 'push'), 'known')
    assert.equal(await book.accept(await record(2), 'pull'), 'history', 'an older record pulled fills the history')
    assert.equal(await book.accept(await record(3, { bytes: 6 }), 'push'), 'conflict')
    const stranger = await generateKeyPair('Ed25519')
    assert.equal(await book.accept(await record(4, {}, stranger), 'push'), 'invalid', 'signed by another key')
    const tampered = { ...await record(5), files: 2 }
    assert.equal(await book.accept(tampered, 'push'), 'invalid', 'a field changed after signing')
    assert.equal(book.newest(address)?.seq, 3)
    assert.deepEqual(book.list(address).map(r => r.seq), [1, 2, 3])
    assert.deepEqual(newest, [1, 3])
    const dropped = lines.filter(l => l.event === 'mirror.record.dropped').map(l => String(l.fields.reason))
    assert.equal(dropped.length, 4)
    assert.ok(dropped.some(r => r.startsWith('replay')))
    assert.equal(dropped.filter(r => r === 'bad signature').length, 2)
  })

  it('two copies of one record arriving at once are one newest and one known', async () => {
    const book = new RecordBook({ dir: join(dir, 'b') })
    await book.load()
    const r = await record(1)
    assert.deepEqual((await Promise.all([book.accept(r, 'push'), book.accept(r, 'push')])).sort(), ['known', 'newest'])
  })

  it('drops the records of publishers it does not trust', async () => {
    const { log, lines } = capture()
    const book = new RecordBook({ dir: join(dir, 'c'), trusts: () => false, log })
    await book.load()
    assert.equal(await book.accept(await record(1), 'push'), 'untrusted')
    assert.equal(book.addresses().length, 0)
    assert.equal(lines[0].fields.reason, 'publisher not trusted')
  })

  it('reads its records back, and ignores a file that was tampered with or moved', async () => {
    const at = join(dir, 'd')
    const book = new RecordBook({ dir: at })
    await book.load()
    for (const seq of [1, 2, 3]) await book.accept(await record(seq), 'push')
    const file = (seq: number): string => join(at, publisher, 'site', `${seq}.json`)
    const two = JSON.parse(await readFile(file(2), 'utf8'))
    await writeFile(file(2), JSON.stringify({ ...two, files: 99 }))
    await writeFile(file(3), JSON.stringify({ ...two }))
    const again = new RecordBook({ dir: at })
    await again.load()
    assert.deepEqual(again.list(`${publisher}/site`).map(r => r.seq), [1])
    const digest = again.digest()
    assert.equal(digest.get(`${publisher}/site`), 1)
    assert.deepEqual(book.since(new Map([[`${publisher}/site`, 1]]), 10).map(r => r.seq), [3, 2])
  })
})
