// The walk of a directory to publish (node/mirror/tree-walk.ts), on a real tree in a temp dir: regular files only,
// symlinks never followed, odd names kept or skipped with a reason, empty directories left out.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { chmod, mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { compareMirrorPaths } from '../../../coder/directory-manifest.ts'
import { walkTree } from '../../../node/mirror/tree-walk.ts'

const IS_ROOT = process.getuid?.() === 0
const HAS_MKFIFO = spawnSync('mkfifo', ['--version']).status === 0
const ODD_NAME = 'with space é 😀\nand a newline.txt'

describe('walkTree', () => {
  let base: string
  let tree: string
  let outside: string

  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'edgemirror-walk-'))
    tree = join(base, 'tree')
    outside = join(base, 'outside')
    await mkdir(join(tree, 'sub/deep/er'), { recursive: true })
    await mkdir(join(tree, 'empty/nested-empty'), { recursive: true })
    await mkdir(join(tree, 'only-skipped'))
    await mkdir(outside)
    await writeFile(join(outside, 'secret.txt'), 'not to be published')
    await writeFile(join(tree, 'a.txt'), 'hello', { mode: 0o640 })
    await writeFile(join(tree, 'a.txt.bak'), 'hello!')
    await writeFile(join(tree, 'sub/deep/er/c.txt'), 'x'.repeat(1000))
    await writeFile(join(tree, 'sub/b'), '')
    await writeFile(join(tree, ODD_NAME), 'odd')
    await writeFile(join(tree, 'setuid'), '#!/bin/sh\n')
    await chmod(join(tree, 'setuid'), 0o4755)
    await symlink('a.txt', join(tree, 'link-to-file'))
    await symlink(outside, join(tree, 'sub/link-to-outside'))
    await symlink(join(outside, 'secret.txt'), join(tree, 'only-skipped/secret-link'))
    // A name that is not UTF-8: 0xff never occurs in UTF-8.
    await writeFile(Buffer.concat([Buffer.from(`${tree}/bad-`), Buffer.from([0xff, 0xfe]), Buffer.from('.txt')]), 'bytes')
    if (HAS_MKFIFO) assert.equal(spawnSync('mkfifo', [join(tree, 'sub/fifo')]).status, 0)
    await mkdir(join(tree, 'locked'))
    await writeFile(join(tree, 'locked/hidden.txt'), 'h')
    await chmod(join(tree, 'locked'), 0o000)
  })

  after(async () => {
    await chmod(join(tree, 'locked'), 0o755).catch(() => {})
    await rm(base, { recursive: true, force: true })
  })

  it('lists every regular file, sorted, with size, permission bits, mtime, inode and device', async () => {
    const { files } = await walkTree(tree)
    const expected = ['a.txt', 'a.txt.bak', 'setuid', 'sub/b', 'sub/deep/er/c.txt', ODD_NAME]
    if (IS_ROOT) expected.push('locked/hidden.txt') // root reads a directory whatever its mode
    assert.deepEqual(files.map(f => f.path), expected.sort(compareMirrorPaths))
    for (const file of files) {
      const st = await stat(join(tree, file.path))
      assert.equal(file.absolute, join(tree, file.path))
      assert.deepEqual([file.size, file.mtimeMs, file.ino, file.dev], [st.size, st.mtimeMs, st.ino, st.dev], file.path)
    }
    const byPath = new Map(files.map(f => [f.path, f]))
    assert.equal(byPath.get('a.txt')?.size, 5)
    assert.equal(byPath.get('a.txt')?.mode, 0o640)
    assert.equal(byPath.get('sub/deep/er/c.txt')?.size, 1000)
    assert.equal((await stat(join(tree, 'setuid'))).mode & 0o7777, 0o4755, 'the file on disk is setuid')
    assert.equal(byPath.get('setuid')?.mode, 0o755, 'the setuid bit is dropped')
  })

  it('skips symlinks (to a file, to a directory outside), a FIFO, a name that is not UTF-8, each with its reason', async () => {
    const { files, skipped } = await walkTree(tree)
    const reasons = new Map(skipped.map(s => [s.path, s.reason]))
    assert.equal(reasons.get('link-to-file'), 'symbolic link: not followed')
    assert.equal(reasons.get('sub/link-to-outside'), 'symbolic link: not followed')
    assert.equal(reasons.get('only-skipped/secret-link'), 'symbolic link: not followed')
    assert.ok(!files.some(f => f.path.includes('secret')), 'nothing behind a link is listed')
    assert.equal(reasons.get('bad-\uFFFD\uFFFD.txt'), 'the name is not valid UTF-8')
    if (HAS_MKFIFO) assert.match(reasons.get('sub/fifo') ?? '', /^not a regular file \(a FIFO\)$/)
    if (!IS_ROOT) assert.match(reasons.get('locked') ?? '', /^EACCES: /)
    assert.deepEqual(skipped.map(s => s.path), [...skipped.map(s => s.path)].sort(compareMirrorPaths))
    const expectedCount = 4 + (HAS_MKFIFO ? 1 : 0) + (IS_ROOT ? 0 : 1)
    assert.equal(skipped.length, expectedCount, JSON.stringify(skipped))
  })

  it('leaves out empty directories (and directories that hold only skipped paths)', async () => {
    const { files, skipped } = await walkTree(tree)
    const all = [...files.map(f => f.path), ...skipped.map(s => s.path)]
    assert.ok(!all.some(p => p.startsWith('empty')), JSON.stringify(all))
    assert.ok(!files.some(f => f.path.startsWith('only-skipped')))
  })

  it('follows the directory given when it is a symlink, and nothing under it', async () => {
    const link = join(base, 'current')
    await symlink(tree, link)
    const viaLink = await walkTree(link)
    const direct = await walkTree(tree)
    assert.deepEqual(viaLink, direct, 'the same walk, with absolute paths in the resolved directory')
  })

  it('refuses a root that is not a directory or does not exist', async () => {
    await assert.rejects(walkTree(join(tree, 'a.txt')), { code: 'ERR_USAGE' })
    await assert.rejects(walkTree(join(tree, 'link-to-file')), { code: 'ERR_USAGE' })
    await assert.rejects(walkTree(join(base, 'missing')), (err: Error & { code?: string, details?: Record<string, unknown> }) => {
      assert.equal(err.code, 'ERR_FILE_ACCESS')
      assert.equal(err.details?.errno, 'ENOENT')
      return true
    })
  })

  it('gives up on more files than a version may hold, with ERR_TREE_TOO_LARGE', async () => {
    const count = (await walkTree(tree)).files.length
    assert.equal((await walkTree(tree, { maxFiles: count })).files.length, count, 'exactly the bound is fine')
    await assert.rejects(walkTree(tree, { maxFiles: count - 1 }), { code: 'ERR_TREE_TOO_LARGE' })
  })

  it('gives up on a tree of many empty directories too (they cost memory, not files)', async () => {
    const empties = join(base, 'empties')
    for (let i = 0; i < 10; i++) await mkdir(join(empties, `d${i}`), { recursive: true })
    assert.deepEqual(await walkTree(empties, { maxFiles: 4 }), { files: [], skipped: [] }) // 3 x 4 names allowed
    await assert.rejects(walkTree(empties, { maxFiles: 3 }), { code: 'ERR_TREE_TOO_LARGE' })
  })

  it('stops when aborted', async () => {
    await assert.rejects(walkTree(tree, { signal: AbortSignal.abort() }), { name: 'AbortError' })
  })
})
