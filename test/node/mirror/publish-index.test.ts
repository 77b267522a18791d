// The publisher's quick check (node/mirror/publish-index.ts): a hit only when path, size, mtime, inode and device all
// match; a bad index file is an empty index, never a crash; saves are crash-safe.
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, truncate, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { walkTree } from '../../../node/mirror/tree-walk.ts'
import { MAX_PUBLISH_INDEX_BYTES, PublishIndex, type PublishIndexEntry } from '../../../node/mirror/publish-index.ts'

const CID_A = 'bafkreicenir7uu3ovcvoibfghuntn6lz4w4awnubltt5qiamyhfpous6qq'
const CID_B = 'bafkreihxl4ps3aorfe3a74vpbg3mdhmbhmqw6hrmhglj6agg6yn2grtsb4'

const ENTRY: PublishIndexEntry = { path: 'docs/a.html', size: 1234, mtimeMs: 1_765_000_000_123.4567, ino: 987654, dev: 2049, cid: CID_A }

describe('publish index', () => {
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'edgemirror-publish-index-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('finds a file only when path, size, mtime, inode and device all match, after a save and a load', async () => {
    const path = join(dir, 'round-trip', 'index.json')
    const index = await PublishIndex.load(path)
    assert.equal(index.size, 0, 'no file yet: empty')
    assert.equal(index.lookup(ENTRY), undefined)
    await index.save([ENTRY, { ...ENTRY, path: 'b', cid: CID_B }])
    for (const loaded of [index, await PublishIndex.load(path)]) {
      assert.equal(loaded.size, 2)
      assert.equal(loaded.lookup(ENTRY), CID_A)
      assert.equal(loaded.lookup({ ...ENTRY, path: 'b' }), CID_B)
      // A miss on each field alone.
      assert.equal(loaded.lookup({ ...ENTRY, path: 'docs/b.html' }), undefined)
      assert.equal(loaded.lookup({ ...ENTRY, size: 1235 }), undefined)
      assert.equal(loaded.lookup({ ...ENTRY, mtimeMs: ENTRY.mtimeMs + 0.001 }), undefined)
      assert.equal(loaded.lookup({ ...ENTRY, ino: 987655 }), undefined)
      assert.equal(loaded.lookup({ ...ENTRY, dev: 2050 }), undefined)
    }
    assert.equal((await stat(path)).mode & 0o777, 0o600)
  })

  it('a save replaces the index: files gone from the tree leave it', async () => {
    const path = join(dir, 'replace.json')
    const index = await PublishIndex.load(path)
    await index.save([ENTRY, { ...ENTRY, path: 'b', cid: CID_B }])
    await index.save([{ ...ENTRY, path: 'b', cid: CID_B }])
    const loaded = await PublishIndex.load(path)
    assert.equal(loaded.lookup(ENTRY), undefined)
    assert.equal(index.lookup(ENTRY), undefined)
    assert.equal(loaded.lookup({ ...ENTRY, path: 'b' }), CID_B)
  })

  it('matches the stats walkTree gives of a real file, and misses once it changed', async () => {
    const tree = join(dir, 'tree')
    await mkdir(tree)
    await writeFile(join(tree, 'f.txt'), 'one')
    await utimes(join(tree, 'f.txt'), 1_700_000_000, 1_700_000_000)
    const path = join(dir, 'real.json')
    const [file] = (await walkTree(tree)).files
    await (await PublishIndex.load(path)).save([{ ...file, cid: CID_A }])
    const again = (await walkTree(tree)).files[0]
    assert.equal((await PublishIndex.load(path)).lookup(again), CID_A, 'unchanged: a hit')
    await writeFile(join(tree, 'f.txt'), 'two') // same size, new mtime
    assert.equal((await PublishIndex.load(path)).lookup((await walkTree(tree)).files[0]), undefined)
    // The quick check's blind spot, by design: same size and mtime set back, same inode: a hit though the bytes differ.
    await utimes(join(tree, 'f.txt'), 1_700_000_000, 1_700_000_000)
    assert.equal((await PublishIndex.load(path)).lookup((await walkTree(tree)).files[0]), CID_A)
  })

  it('treats a corrupt, foreign or oversized file as an empty index', async () => {
    const good = JSON.stringify({ version: 1, entries: [ENTRY] })
    const bad: Array<[string, string]> = [
      ['truncated', good.slice(0, -5)],
      ['not JSON', '\u0000\u0001garbage'],
      ['empty', ''],
      ['a list', '[]'],
      ['wrong version', JSON.stringify({ version: 2, entries: [ENTRY] })],
      ['extra top-level field', JSON.stringify({ version: 1, entries: [ENTRY], x: 1 })],
      ['unknown entry field', JSON.stringify({ version: 1, entries: [{ ...ENTRY, hash: 'x' }] })],
      ['missing field', JSON.stringify({ version: 1, entries: [{ ...ENTRY, dev: undefined }] })],
      ['bad path', JSON.stringify({ version: 1, entries: [{ ...ENTRY, path: '../etc/passwd' }] })],
      ['bad cid', JSON.stringify({ version: 1, entries: [{ ...ENTRY, cid: 'QmNotOurs' }] })],
      ['negative size', JSON.stringify({ version: 1, entries: [{ ...ENTRY, size: -1 }] })],
      ['fractional inode', JSON.stringify({ version: 1, entries: [{ ...ENTRY, ino: 1.5 }] })],
      ['duplicate path', JSON.stringify({ version: 1, entries: [ENTRY, ENTRY] })]
    ]
    const path = join(dir, 'corrupt.json')
    await writeFile(path, good)
    assert.equal((await PublishIndex.load(path)).lookup(ENTRY), CID_A, 'the good file loads (the cases below differ by one thing)')
    for (const [label, text] of bad) {
      await writeFile(path, text)
      const index = await PublishIndex.load(path)
      assert.equal(index.size, 0, label)
      assert.equal(index.lookup(ENTRY), undefined, label)
    }
    // Over the bound: refused from its size, before it is read (a sparse file: no disk used).
    await writeFile(path, good)
    await truncate(path, MAX_PUBLISH_INDEX_BYTES + 1)
    assert.equal((await PublishIndex.load(path)).size, 0)
    // A symlink in its place is not followed; a directory in its place is unreadable: both an empty index.
    await rm(path)
    await writeFile(join(dir, 'elsewhere.json'), good)
    await symlink(join(dir, 'elsewhere.json'), path)
    assert.equal((await PublishIndex.load(path)).size, 0)
    await mkdir(join(dir, 'a-dir.json'))
    assert.equal((await PublishIndex.load(join(dir, 'a-dir.json'))).size, 0)
  })

  it('saves crash-safely: a new file replaces the old whole, and no temp file is left', async () => {
    const sub = join(dir, 'atomic')
    const path = join(sub, 'index.json')
    const index = await PublishIndex.load(path)
    await index.save([ENTRY])
    const before = await stat(path)
    await index.save([{ ...ENTRY, cid: CID_B }])
    const afterSave = await stat(path)
    assert.notEqual(afterSave.ino, before.ino, 'written to a new file and renamed over the old, not rewritten in place')
    assert.deepEqual(await readdir(sub), ['index.json'])
    assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), { version: 1, entries: [{ ...ENTRY, cid: CID_B }] })
  })

  it('refuses to save entries it could not read back, and keeps the index it had', async () => {
    const path = join(dir, 'refused.json')
    const index = await PublishIndex.load(path)
    await index.save([ENTRY])
    for (const bad of [[{ ...ENTRY, path: '/abs' }], [{ ...ENTRY, cid: 'x' }], [ENTRY, ENTRY], [{ ...ENTRY, size: Number.NaN }]]) {
      await assert.rejects(index.save(bad), { code: 'ERR_INVALID_PARAMETERS' })
    }
    assert.equal(index.lookup(ENTRY), CID_A)
    assert.equal((await PublishIndex.load(path)).lookup(ENTRY), CID_A)
  })
})
