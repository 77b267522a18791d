// Small state files are read within their bound, checked before the bytes are read, and never through a symlink.
import assert from 'node:assert/strict'
import { mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { readBytesBounded, readFileBounded } from '../../node/bounded-read.ts'

describe('readFileBounded', () => {
  it('reads a file within its bound; refuses one over it, a symlink, and a missing file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgemirror-bounded-'))
    try {
      await writeFile(join(dir, 'small.json'), '{"ok":true}')
      assert.equal(await readFileBounded(join(dir, 'small.json'), 11), '{"ok":true}')
      await writeFile(join(dir, 'big.json'), '')
      await truncate(join(dir, 'big.json'), 1 << 30) // sparse: 1 GiB that is never read
      await assert.rejects(readFileBounded(join(dir, 'big.json'), 1024), { code: 'ERR_FILE_TOO_LARGE' })
      await assert.rejects(readFileBounded(join(dir, 'small.json'), 10), { code: 'ERR_FILE_TOO_LARGE' })
      await symlink(join(dir, 'small.json'), join(dir, 'link.json'))
      await assert.rejects(readFileBounded(join(dir, 'link.json'), 1024), { code: 'ELOOP' })
      await assert.rejects(readFileBounded(join(dir, 'missing.json'), 1024), { code: 'ENOENT' })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('reads bytes through a symlink only when asked (a path the operator named), within the same bound', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgemirror-bounded-'))
    try {
      await writeFile(join(dir, 'feed.json'), '[1,2,3]')
      await symlink(join(dir, 'feed.json'), join(dir, 'current.json'))
      await assert.rejects(readBytesBounded(join(dir, 'current.json'), 1024), { code: 'ELOOP' })
      assert.equal((await readBytesBounded(join(dir, 'current.json'), 1024, { followSymlinks: true })).toString(), '[1,2,3]')
      await assert.rejects(readBytesBounded(join(dir, 'current.json'), 6, { followSymlinks: true }), { code: 'ERR_FILE_TOO_LARGE' })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
