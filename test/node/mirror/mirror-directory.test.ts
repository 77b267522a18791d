import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { lstat, mkdir, mkdtemp, open, readdir, readFile, readlink, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { MirrorDirectory } from '../../../node/mirror/mirror-directory.ts'
import { cidOf, entriesOf, FakeFetcher, readTree, type TreeSpec } from './fake-fetcher.ts'

const V1: TreeSpec = {
  'README.md': ['# hello\n', 0o644],
  'bin/run.sh': ['#!/bin/sh\necho run\n', 0o755],
  'docs/a.txt': ['alpha', 0o444],
  'docs/deep/b.txt': ['bravo bravo', 0o600],
  'docs/deep/same-as-a.txt': ['alpha', 0o444],
  'empty': ['', 0o644],
  'old.txt': ['to be removed', 0o644]
}

/** V1 with docs/a.txt changed, old.txt removed, new/c.txt added, README.md's mode changed; the rest unchanged. */
const V2: TreeSpec = {
  'README.md': ['# hello\n', 0o664],
  'bin/run.sh': ['#!/bin/sh\necho run\n', 0o755],
  'docs/a.txt': ['alpha v2', 0o444],
  'docs/deep/b.txt': ['bravo bravo', 0o600],
  'docs/deep/same-as-a.txt': ['alpha', 0o444],
  'empty': ['', 0o644],
  'new/c.txt': ['charlie', 0o640]
}

const V3: TreeSpec = { ...V2, 'new/d.txt': ['delta', 0o644] }

/** Poll `check` until it returns true, failing after `ms`. */
async function until (check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met before the deadline')
    await new Promise(resolve => setImmediate(resolve))
  }
}

describe('MirrorDirectory', () => {
  let root: string
  let n = 0
  const freshDir = async (): Promise<string> => {
    const parent = join(root, `case-${n++}`)
    await mkdir(parent)
    return join(parent, 'site')
  }

  before(async () => { root = await mkdtemp(join(tmpdir(), 'edgemirror-mirror-')) })
  after(async () => { await rm(root, { recursive: true, force: true }) })

  it('builds the first version: the tree, modes and a relative symlink', async () => {
    const dir = await freshDir()
    const blobs = new Map<string, Uint8Array>()
    const fetcher = new FakeFetcher(blobs)
    const mirror = new MirrorDirectory(dir)
    await mirror.prepare()
    assert.equal(await mirror.current(), undefined)
    const events: number[] = []
    const result = await mirror.materialize(1, entriesOf(V1, blobs), fetcher, { onProgress: e => { events.push(e.files) } })
    assert.deepEqual(await readTree(dir), V1)
    assert.ok((await lstat(dir)).isSymbolicLink())
    assert.equal(await readlink(dir), 'site.versions/1')
    assert.equal(await mirror.current(), 1)
    assert.equal(fetcher.calls.length, 6, 'the two files with the same bytes are fetched once')
    assert.deepEqual({ ...result, removedVersions: undefined }, { seq: 1, files: 7, bytes: 61, fetched: 6, fetchedBytes: 56, reused: 1, reusedBytes: 5, removedVersions: undefined })
    assert.equal(events.at(-1), 7)
    assert.deepEqual((await readdir(`${dir}.versions`)).sort(), ['1', '1.index.json'], 'no partial, journal, temp dir or link left')
    assert.equal(await mirror.localFile(1, 'docs/deep/b.txt'), join(`${dir}.versions`, '1', 'docs/deep/b.txt'))
    assert.equal(await mirror.localFile(2, 'docs/deep/b.txt'), undefined, 'not the version DIR shows')
    assert.equal(await mirror.localFile(1, 'nope.txt'), undefined)
    assert.equal(await mirror.localFile(1, '../site.versions/1/empty'), undefined)
    const copy = await mirror.localCopy(cidOf('bravo bravo'))
    assert.equal(copy !== undefined ? await readFile(copy, 'utf8') : undefined, 'bravo bravo')
    assert.equal(await mirror.localCopy(cidOf('never published')), undefined)
  })

  it('fetches only changed and added files, reuses the rest, keeps the previous version until the next switch', async () => {
    const dir = await freshDir()
    const blobs = new Map<string, Uint8Array>()
    const mirror = new MirrorDirectory(dir)
    await mirror.materialize(1, entriesOf(V1, blobs), new FakeFetcher(blobs))
    const before = { b: await stat(join(dir, 'docs/deep/b.txt')), readme: await stat(join(dir, 'README.md')) }

    const fetcher = new FakeFetcher(blobs)
    const result = await mirror.materialize(2, entriesOf(V2, blobs), fetcher)
    assert.deepEqual(fetcher.calls.sort(), [cidOf('alpha v2'), cidOf('charlie')].sort())
    assert.deepEqual(await readTree(dir), V2, 'old.txt is gone, README.md has its new mode')
    assert.deepEqual({ ...result }, { seq: 2, files: 7, bytes: 58, fetched: 2, fetchedBytes: 15, reused: 5, reusedBytes: 43, removedVersions: [] })
    assert.equal((await stat(join(dir, 'docs/deep/b.txt'))).ino, before.b.ino, 'same mode: hard link')
    assert.notEqual((await stat(join(dir, 'README.md'))).ino, before.readme.ino, 'another mode: a copy')
    assert.deepEqual(await readTree(join(`${dir}.versions`, '1')), V1, 'the previous version is kept intact')

    const third = new FakeFetcher(blobs)
    const last = await mirror.materialize(3, entriesOf(V3, blobs), third)
    assert.deepEqual(third.calls, [cidOf('delta')])
    assert.deepEqual(last.removedVersions, [1])
    assert.deepEqual((await readdir(`${dir}.versions`)).sort(), ['2', '2.index.json', '3', '3.index.json'])
    assert.deepEqual(await readTree(dir), V3)
  })

  it('never goes back: a seq at or below the current one is a no-op', async () => {
    const dir = await freshDir()
    const blobs = new Map<string, Uint8Array>()
    const mirror = new MirrorDirectory(dir)
    await mirror.materialize(1, entriesOf(V1, blobs), new FakeFetcher(blobs))
    await mirror.materialize(2, entriesOf(V2, blobs), new FakeFetcher(blobs))
    const fetcher = new FakeFetcher(blobs)
    for (const seq of [1, 2]) {
      const result = await mirror.materialize(seq, entriesOf(V3, blobs), fetcher)
      assert.deepEqual(result, { seq: 2, files: 7, bytes: 58, fetched: 0, fetchedBytes: 0, reused: 0, reusedBytes: 0, removedVersions: [] })
    }
    assert.equal(fetcher.calls.length, 0)
    assert.equal(await mirror.current(), 2)
    assert.deepEqual(await readTree(dir), V2)
  })

  it('a reader holding a file of the old version reads its bytes after the switch, and after it is removed', async () => {
    const dir = await freshDir()
    const blobs = new Map<string, Uint8Array>()
    const mirror = new MirrorDirectory(dir)
    await mirror.materialize(1, entriesOf(V1, blobs), new FakeFetcher(blobs))
    const handle = await open(join(dir, 'docs/a.txt'), 'r')
    try {
      await mirror.materialize(2, entriesOf(V2, blobs), new FakeFetcher(blobs))
      assert.equal(await readFile(join(dir, 'docs/a.txt'), 'utf8'), 'alpha v2')
      await mirror.materialize(3, entriesOf(V3, blobs), new FakeFetcher(blobs))
      await assert.rejects(stat(join(`${dir}.versions`, '1')), { code: 'ENOENT' })
      const buffer = Buffer.alloc(64)
      const { bytesRead } = await handle.read(buffer, 0, 64, 0)
      assert.equal(buffer.subarray(0, bytesRead).toString(), 'alpha')
    } finally {
      await handle.close()
    }
  })

  it('a fetcher that dies mid-version leaves DIR on the old, complete version; the next run fetches only what is missing', async () => {
    const dir = await freshDir()
    const blobs = new Map<string, Uint8Array>()
    const mirror = new MirrorDirectory(dir)
    await mirror.materialize(1, entriesOf(V1, blobs), new FakeFetcher(blobs))
    const next: TreeSpec = { ...V1 }
    for (let i = 0; i < 6; i++) next[`new/${i}.txt`] = [`file ${i}`, 0o644]
    const entries = entriesOf(next, blobs)

    const dying = new FakeFetcher(blobs, { failAfter: 4 })
    await assert.rejects(mirror.materialize(2, entries, dying, { concurrency: 2 }), /the fetcher died/)
    assert.equal(await mirror.current(), 1)
    assert.deepEqual(await readTree(dir), V1)
    const partial = await readTree(join(`${dir}.versions`, '2.partial'))
    const newInPartial = Object.keys(partial).filter(path => path.startsWith('new/'))
    assert.equal(newInPartial.length, 4)
    for (const path of newInPartial) assert.deepEqual(partial[path], next[path], 'a file has its final name only when complete')
    assert.deepEqual(await readdir(join(`${dir}.versions`, '2.tmp')), [], 'no temp file left behind')

    const again = new MirrorDirectory(dir)
    const fetcher = new FakeFetcher(blobs)
    const result = await again.materialize(2, entries, fetcher)
    assert.equal(fetcher.calls.length, 2)
    assert.equal(result.fetched, 2)
    assert.equal(result.reused, 11)
    assert.deepEqual(await readTree(dir), next)
  })

  it('an aborted materialize keeps what it did for the next run', async () => {
    const dir = await freshDir()
    const blobs = new Map<string, Uint8Array>()
    const mirror = new MirrorDirectory(dir)
    const entries = entriesOf(V1, blobs)
    const controller = new AbortController()
    const slow = new FakeFetcher(blobs, { delayMs: 5 })
    const run = mirror.materialize(1, entries, slow, {
      concurrency: 1,
      signal: controller.signal,
      onProgress: e => { if (e.files === 2) controller.abort() }
    })
    await assert.rejects(run, { code: 'ERR_ABORTED' })
    assert.equal(await mirror.current(), undefined)
    const fetcher = new FakeFetcher(blobs)
    await mirror.materialize(1, entries, fetcher)
    assert.equal(fetcher.calls.length, 6 - 2)
    assert.deepEqual(await readTree(dir), V1)
  })

  it('resumes after a SIGKILL mid-materialize; DIR shows a complete version at every point', async () => {
    const dir = await freshDir()
    const blobs = new Map<string, Uint8Array>()
    const mirror = new MirrorDirectory(dir)
    await mirror.materialize(1, entriesOf(V1, blobs), new FakeFetcher(blobs))
    const next: TreeSpec = { ...V2 }
    for (let i = 0; i < 40; i++) next[`many/${i % 4}/${i}.txt`] = [`file ${i} `.repeat(i + 1), 0o644]
    const entries = entriesOf(next, blobs)
    const newCids = new Set(entries.map(e => e.cid).filter(cid => !entriesOf(V1, new Map()).some(e => e.cid === cid)))

    const specPath = join(dirname(dir), 'spec.json')
    await writeFile(specPath, JSON.stringify({ dir, seq: 2, entries, delayMs: 40, blobs: Object.fromEntries([...blobs].map(([cid, b]) => [cid, Buffer.from(b).toString('base64')])) }))
    const fixture = fileURLToPath(new URL('./fixtures/materialize-until-killed.ts', import.meta.url))
    const polyfill = fileURLToPath(new URL('../../../node/polyfill.ts', import.meta.url))
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', polyfill, fixture, specPath], { stdio: ['ignore', 'pipe', 'inherit'] })
    let exited = false
    const exit = new Promise<NodeJS.Signals | null>(resolve => child.once('exit', (_code, signal) => { exited = true; resolve(signal) }))
    const partial = join(`${dir}.versions`, '2.partial')
    try {
      await until(async () => {
        assert.equal(exited, false, 'the child finished before it was killed')
        assert.equal(await mirror.current(), 1)
        assert.deepEqual(await readTree(dir), V1, 'DIR shows the old version, complete')
        const built = await readTree(partial).catch(() => ({}))
        return Object.keys(built).filter(path => path.startsWith('many/')).length >= 3
      })
    } finally {
      child.kill('SIGKILL')
    }
    assert.equal(await exit, 'SIGKILL')

    const journaled = (await readFile(join(`${dir}.versions`, '2.journal'), 'utf8')).split('\n')
      .filter(line => line !== '').map(line => JSON.parse(line) as { cid: string })
      .filter(record => newCids.has(record.cid)).length
    assert.ok(journaled >= 2, `${journaled} new files were complete at the kill`)
    const reopened = new MirrorDirectory(dir)
    assert.equal(await reopened.current(), 1)
    assert.deepEqual(await readTree(dir), V1)
    const fetcher = new FakeFetcher(blobs)
    const result = await reopened.materialize(2, entries, fetcher)
    assert.equal(result.fetched, newCids.size - journaled, 'only the files missing at the kill are fetched')
    assert.deepEqual(await readTree(dir), next)
    assert.deepEqual((await readdir(`${dir}.versions`)).sort(), ['1', '1.index.json', '2', '2.index.json'])
  })

  it('a version renamed into place but never switched to (a crash between the two) is checked and switched to', async () => {
    const dir = await freshDir()
    const blobs = new Map<string, Uint8Array>()
    const mirror = new MirrorDirectory(dir)
    await mirror.materialize(1, entriesOf(V1, blobs), new FakeFetcher(blobs))
    await mirror.materialize(2, entriesOf(V2, blobs), new FakeFetcher(blobs))
    await symlink('site.versions/1', `${dir}.back`)
    await rename(`${dir}.back`, dir) // DIR back on 1, as if the switch to 2 never happened
    await writeFile(join(`${dir}.versions`, '2', 'new/c.txt'), 'charlie, damaged') // another size: mtime alone may not move within a jiffy
    const reopened = new MirrorDirectory(dir)
    assert.equal(await reopened.current(), 1)
    const fetcher = new FakeFetcher(blobs)
    const result = await reopened.materialize(2, entriesOf(V2, blobs), fetcher)
    assert.deepEqual(fetcher.calls, [cidOf('charlie')])
    assert.equal(result.reused, 6)
    assert.equal(await reopened.current(), 2)
    assert.deepEqual(await readTree(dir), V2)
  })

  it('a locally edited file is neither served nor reused, and is fetched again', async () => {
    const dir = await freshDir()
    const blobs = new Map<string, Uint8Array>()
    const mirror = new MirrorDirectory(dir)
    await mirror.materialize(1, entriesOf(V1, blobs), new FakeFetcher(blobs))
    const edited = join(dir, 'docs/deep/b.txt')
    await writeFile(edited, 'BRAVO BRAVO') // same size
    await utimes(edited, new Date(2001, 1, 1), new Date(2001, 1, 1))
    assert.equal(await mirror.localFile(1, 'docs/deep/b.txt'), undefined)
    assert.equal(await mirror.localCopy(cidOf('bravo bravo')), undefined)
    assert.ok(await mirror.localFile(1, 'docs/a.txt') !== undefined, 'the others are still served')

    const fetcher = new FakeFetcher(blobs)
    await mirror.materialize(2, entriesOf(V2, blobs), fetcher)
    assert.ok(fetcher.calls.includes(cidOf('bravo bravo')))
    assert.equal(fetcher.calls.length, 3)
    assert.deepEqual(await readTree(dir), V2)
  })

  it('a corrupt index is read as empty: nothing is served locally or reused', async () => {
    const dir = await freshDir()
    const blobs = new Map<string, Uint8Array>()
    const mirror = new MirrorDirectory(dir)
    await mirror.materialize(1, entriesOf(V1, blobs), new FakeFetcher(blobs))
    await writeFile(join(`${dir}.versions`, '1.index.json'), '{"version":1,"seq":1,"files":[{"path":"../x"')
    const fresh = new MirrorDirectory(dir)
    assert.equal(await fresh.localFile(1, 'README.md'), undefined)
    const fetcher = new FakeFetcher(blobs)
    await fresh.materialize(2, entriesOf(V2, blobs), fetcher)
    assert.equal(fetcher.calls.length, 7, 'every distinct CID of v2')
    assert.deepEqual(await readTree(dir), V2)
  })

  it('prepare accepts an absent or empty DIR and refuses anything holding a user\'s files', async () => {
    const blobs = new Map<string, Uint8Array>()
    const absent = await freshDir()
    await new MirrorDirectory(absent).prepare()

    const empty = await freshDir()
    await mkdir(empty)
    const mirror = new MirrorDirectory(empty)
    await mirror.prepare()
    await mirror.materialize(1, entriesOf(V1, blobs), new FakeFetcher(blobs))
    assert.ok((await lstat(empty)).isSymbolicLink())
    await mirror.prepare()

    const full = await freshDir()
    await mkdir(full)
    await writeFile(join(full, 'mine.txt'), 'precious')
    await assert.rejects(new MirrorDirectory(full).prepare(), { code: 'ERR_USAGE', message: /not empty/ })
    await assert.rejects(new MirrorDirectory(full).materialize(1, entriesOf(V1, blobs), new FakeFetcher(blobs)), { code: 'ERR_USAGE' })
    assert.equal(await readFile(join(full, 'mine.txt'), 'utf8'), 'precious')

    const file = await freshDir()
    await writeFile(file, 'precious')
    await assert.rejects(new MirrorDirectory(file).prepare(), { code: 'ERR_USAGE', message: /not a directory/ })

    const foreign = await freshDir()
    await symlink(full, foreign)
    await assert.rejects(new MirrorDirectory(foreign).prepare(), { code: 'ERR_USAGE', message: /symlink/ })
    assert.equal(await new MirrorDirectory(foreign).current(), undefined)

    await assert.rejects(new MirrorDirectory(join(root, 'no-such-parent', 'site')).prepare(), { code: 'ERR_USAGE' })
    assert.throws(() => new MirrorDirectory('relative/site'), { code: 'ERR_USAGE' })
  })

  it('refuses hostile entries before writing anything', async () => {
    const blobs = new Map<string, Uint8Array>()
    const good = entriesOf({ 'ok.txt': ['ok', 0o644] }, blobs)[0]
    const cases: Array<[string[], string]> = [
      [['../x'], 'ERR_INVALID_PATH'],
      [['/abs'], 'ERR_INVALID_PATH'],
      [['a/../../x'], 'ERR_INVALID_PATH'],
      [['a/./b'], 'ERR_INVALID_PATH'],
      [['a//b'], 'ERR_INVALID_PATH'],
      [['a/'], 'ERR_INVALID_PATH'],
      [[''], 'ERR_INVALID_PATH'],
      [['nul\0x'], 'ERR_INVALID_PATH'],
      [['a', 'a/b'], 'ERR_PATH_CONFLICT'],
      [['a/b/c', 'a/b'], 'ERR_PATH_CONFLICT'],
      [['same', 'same'], 'ERR_PATH_CONFLICT']
    ]
    for (const [paths, code] of cases) {
      const dir = await freshDir()
      const entries = [good, ...paths.map(path => ({ ...good, path }))]
      await assert.rejects(new MirrorDirectory(dir).materialize(1, entries, new FakeFetcher(blobs)), { code }, JSON.stringify(paths))
      assert.deepEqual(await readdir(join(dir, '..')), [], `${JSON.stringify(paths)}: nothing written`)
    }
    const dir = await freshDir()
    for (const bad of [{ ...good, mode: 0o4755 }, { ...good, size: -1 }, { ...good, cid: '' }]) {
      await assert.rejects(new MirrorDirectory(dir).materialize(1, [bad], new FakeFetcher(blobs)), { code: 'ERR_INVALID_PARAMETERS' })
    }
  })

  it('never writes through a symlink planted in a partial version', async () => {
    const dir = await freshDir()
    const outside = join(dirname(dir), 'outside')
    await mkdir(outside)
    await mkdir(join(`${dir}.versions`, '1.partial'), { recursive: true })
    await symlink(outside, join(`${dir}.versions`, '1.partial', 'sub'))
    await writeFile(join(`${dir}.versions`, '1.journal'), `${JSON.stringify({ path: 'sub/x.txt', cid: cidOf('x'), size: 1, mtimeNs: '1', ino: '1' })}\n{torn`)
    const blobs = new Map<string, Uint8Array>()
    const tree: TreeSpec = { 'sub/x.txt': ['x', 0o644] }
    await new MirrorDirectory(dir).materialize(1, entriesOf(tree, blobs), new FakeFetcher(blobs))
    assert.deepEqual(await readdir(outside), [])
    assert.deepEqual(await readTree(dir), tree)
  })

  it('a file written with the wrong size fails the version and is not left in the partial tree', async () => {
    const dir = await freshDir()
    const blobs = new Map<string, Uint8Array>()
    const mirror = new MirrorDirectory(dir)
    await mirror.materialize(1, entriesOf(V1, blobs), new FakeFetcher(blobs))
    const fetcher = new FakeFetcher(blobs, { wrongSize: new Set([cidOf('charlie')]) })
    await assert.rejects(mirror.materialize(2, entriesOf(V2, blobs), fetcher, { concurrency: 1 }), { code: 'ERR_SIZE_MISMATCH' })
    assert.equal(await mirror.current(), 1)
    assert.deepEqual(await readTree(dir), V1)
    const partial = await readTree(join(`${dir}.versions`, '2.partial'))
    assert.equal(partial['new/c.txt'], undefined)
    assert.deepEqual(await readdir(join(`${dir}.versions`, '2.tmp')), [])
  })

  it('removes leftovers of earlier runs: other partial versions and stray links', async () => {
    const dir = await freshDir()
    const blobs = new Map<string, Uint8Array>()
    const mirror = new MirrorDirectory(dir)
    await mirror.materialize(1, entriesOf(V1, blobs), new FakeFetcher(blobs))
    await mkdir(join(`${dir}.versions`, '7.partial', 'x'), { recursive: true })
    await writeFile(join(`${dir}.versions`, '7.journal'), '')
    await symlink('site.versions/1', join(`${dir}.versions`, '.link-deadbeef'))
    await mkdir(join(`${dir}.versions`, '5'))
    await mirror.materialize(9, entriesOf(V2, blobs), new FakeFetcher(blobs))
    assert.deepEqual((await readdir(`${dir}.versions`)).sort(), ['1', '1.index.json', '9', '9.index.json'])
  })

  it('any sequence of versions: DIR equals the newest, and only CIDs not in the version before are fetched', async () => {
    const base = await freshDir()
    let run = 0
    const files = fc.dictionary(
      fc.constantFrom('a', 'b', 'c/d', 'c/e', 'f/g/h', 'i'),
      fc.tuple(fc.constantFrom('one', 'two', 'three', ''), fc.constantFrom(0o644, 0o600, 0o755)),
      { maxKeys: 6 }
    )
    await fc.assert(fc.asyncProperty(fc.array(files, { minLength: 1, maxLength: 4 }), async versions => {
      const dir = `${base}-${run++}`
      const mirror = new MirrorDirectory(dir)
      const blobs = new Map<string, Uint8Array>()
      let previous = new Set<string>()
      for (const [i, spec] of versions.entries()) {
        const tree: TreeSpec = { ...spec } // fast-check's dictionaries have no prototype
        const entries = entriesOf(tree, blobs)
        const fetcher = new FakeFetcher(blobs)
        await mirror.materialize(i + 1, entries, fetcher)
        assert.deepEqual(await readTree(dir), tree)
        assert.deepEqual(new Set(fetcher.calls), new Set(entries.map(e => e.cid).filter(cid => !previous.has(cid))))
        assert.equal(fetcher.calls.length, new Set(fetcher.calls).size, 'a CID is fetched once per version')
        previous = new Set(entries.map(e => e.cid))
      }
      assert.equal(await mirror.current(), versions.length)
    }), { numRuns: 25 })
  })
})

