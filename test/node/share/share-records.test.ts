// Share records (node/share/share-records.ts): written crash-safely, read as untrusted input: bounded, schema checked,
// never through a symlink; a bad record is skipped, not fatal.
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { MAX_SHARE_RECORD_BYTES, parseShareRecord, ShareRecords, type ShareRecord } from '../../../node/share/share-records.ts'

const CID_A = 'bafkreicenir7uu3ovcvoibfghuntn6lz4w4awnubltt5qiamyhfpous6qq'
const CID_B = 'bafkreihxl4ps3aorfe3a74vpbg3mdhmbhmqw6hrmhglj6agg6yn2grtsb4'

const record = (overrides: Partial<ShareRecord> = {}): ShareRecord =>
  ({ cid: CID_A, name: 'photos.tar', size: 1000, k: 4, m: 2, codec: 'rs-wasm-1', blockSize: 1048576, sharedAt: 1_765_000_000_000, ...overrides })

describe('share records', () => {
  let root: string
  let dir: string
  before(async () => { root = await mkdtemp(join(tmpdir(), 'edgemirror-records-')) })
  after(async () => { await rm(root, { recursive: true, force: true }) })

  it('round trip; a re-share replaces the name and time; no temp file is left; the file is private', async () => {
    dir = join(root, 'shares')
    const records = new ShareRecords(dir)
    assert.deepEqual(await records.list(), [], 'no directory yet: no records')
    await records.put(record())
    await records.put(record({ name: 'renamed.tar', sharedAt: 1_765_000_000_001 }))
    await records.put(record({ cid: CID_B, name: null }))
    assert.deepEqual(await records.get(CID_A), record({ name: 'renamed.tar', sharedAt: 1_765_000_000_001 }))
    assert.deepEqual((await records.list()).map(r => [r.cid, r.name]), [[CID_A, 'renamed.tar'], [CID_B, null]])
    assert.deepEqual((await readdir(dir)).sort(), [`${CID_A}.json`, `${CID_B}.json`])
    assert.equal((await stat(join(dir, `${CID_A}.json`))).mode & 0o777, 0o600)
  })

  it('refuses to write a record that is not valid', async () => {
    const records = new ShareRecords(join(root, 'refused'))
    for (const bad of [record({ name: '../x' }), record({ name: '' }), record({ cid: 'not-a-cid' }), record({ size: -1 }), record({ k: 0 }), record({ codec: 'RS!' })]) {
      await assert.rejects(records.put(bad))
    }
  })

  it('skips what is not a record on disk: oversized, not JSON, wrong schema, another CID, a symlink; names that are not CIDs', async () => {
    const bad = join(root, 'bad')
    await mkdir(bad)
    const records = new ShareRecords(bad)
    await records.put(record({ cid: CID_B }))
    const cids = ['bafkreiaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'bafkreibbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
      'bafkreicccccccccccccccccccccccccccccccccccccccccccccccccccc', 'bafkreidddddddddddddddddddddddddddddddddddddddddddddddddddd']
    await writeFile(join(bad, `${cids[0]}.json`), JSON.stringify({ ...record({ cid: cids[0] }), pad: 'x'.repeat(MAX_SHARE_RECORD_BYTES) }))
    await writeFile(join(bad, `${cids[1]}.json`), '{ not json')
    await writeFile(join(bad, `${cids[2]}.json`), JSON.stringify(record({ cid: CID_A }))) // names another file
    await symlink(join(bad, `${CID_B}.json`), join(bad, `${cids[3]}.json`))
    await writeFile(join(bad, 'notes.json'), JSON.stringify(record()))
    await writeFile(join(bad, `${CID_A}.json`), JSON.stringify({ ...record(), extra: true }))
    assert.deepEqual((await records.list()).map(r => r.cid), [CID_B])
    for (const cid of [...cids, CID_A]) assert.equal(await records.get(cid), undefined)
    await assert.rejects(records.get('../../etc/passwd'), { code: 'ERR_INVALID_ID' })
  })

  it('parseShareRecord checks every field', () => {
    assert.deepEqual(parseShareRecord(record()), record())
    for (const bad of [null, [], 'x', { ...record(), sharedAt: 1.5 }, { ...record(), name: 5 }, { ...record(), blockSize: '1' }, { ...record(), m: undefined }]) {
      assert.throws(() => parseShareRecord(bad))
    }
  })
})
