// The directory manifest of mirror sets (coder/directory-manifest.ts): paths, order, paging, and every way untrusted
// roots and pages are refused.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { Packr } from 'msgpackr'
import { base58btc } from 'multiformats/bases/base58'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { create as createDigest } from 'multiformats/hashes/digest'
import { sha256, sha512 } from 'multiformats/hashes/sha2'
import {
  assertMirrorPath, assertPageMatches, compareMirrorPaths, decodeDirectoryPage, decodeDirectoryRoot, directoryRootOf, encodeDirectoryPage,
  encodeDirectoryRoot, entriesUnder, joinPages, MAX_DIRECTORY_FILES, MAX_DIRECTORY_PAGE_BYTES, MAX_DIRECTORY_PAGE_ENTRIES, MAX_DIRECTORY_PAGES,
  pageFor, pagesUnder, planDirectory, type DirectoryEntry, type DirectoryRoot, type PageRef
} from '../../coder/directory-manifest.ts'
import { manifestCid } from '../../coder/manifest.ts'
import { pseudoRandomBytes } from './helpers.ts'

// The same MessagePack options as the encoder, to build records it would refuse to write.
const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true, int64AsType: 'number' })

/** A valid edgemirror CID (CIDv1, raw, sha2-256) from a seed, made synchronously. */
function cidOf (seed: number): string {
  return CID.createV1(raw.code, createDigest(sha256.code, pseudoRandomBytes(seed, 32))).toString()
}

function entry (path: string, size = 10, mode = 0o644, seed = 1): DirectoryEntry {
  return { path, cid: cidOf(seed), size, mode }
}

const SAMPLE: DirectoryEntry[] = [entry('README', 5), entry('docs/a.html', 7), entry('docs/img/x.png', 11, 0o600), entry('docs2', 3, 0o755)]

function inlineRoot (entries: DirectoryEntry[] = SAMPLE): DirectoryRoot {
  return directoryRootOf(planDirectory(entries))
}

function pack (record: unknown): Uint8Array {
  return packr.pack(record)
}

/** The root record of SAMPLE with changes (undefined removes a field), packed without checks. */
function rootWith (changes: Record<string, unknown>): Uint8Array {
  const record: Record<string, unknown> = { version: 1, files: SAMPLE.length, bytes: 26, entries: SAMPLE }
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) delete record[key]
    else record[key] = value
  }
  return pack(record)
}

function assertCode (fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (err: Error & { code?: string }) => {
    assert.equal(err.code, code, err.message)
    if (message != null) assert.match(err.message, message)
    return true
  })
}

/** Store a plan's pages the way a publisher does (the CID of each encoded page) and read it all back as a follower. */
async function roundTrip (entries: DirectoryEntry[], options?: { pageEntries?: number, pageBytes?: number }): Promise<{ root: DirectoryRoot, tree: DirectoryEntry[], pageBytes: Uint8Array[] }> {
  const plan = planDirectory(entries, options)
  const pageBytes = plan.inline ? [] : plan.pages.map(encodeDirectoryPage)
  const cids = await Promise.all(pageBytes.map(async bytes => (await manifestCid(bytes)).toString()))
  const root = decodeDirectoryRoot(encodeDirectoryRoot(directoryRootOf(plan, cids)))
  const pages = pageBytes.map(decodeDirectoryPage)
  return { root, tree: joinPages(root, pages), pageBytes }
}

// Segments from a small alphabet so that trees share directories, plus what UTF-16 and UTF-8 order differently
// (U+E000, U+FFFD vs an astral emoji), a space, a newline and a dot.
const segment = fc.array(fc.constantFrom('a', 'b', 'B', '.', ' ', '\n', 'é', 'e\u0301', '\uE000', '\uFFFD', '😀', '-'), { minLength: 1, maxLength: 3 })
  .map(chars => chars.join(''))
  .filter(s => s !== '.' && s !== '..')
const pathArb = fc.array(segment, { minLength: 1, maxLength: 3 }).map(segments => segments.join('/'))

/** Random valid trees: distinct paths, none the directory of another, in random order. */
const treeArb = fc.uniqueArray(pathArb, { maxLength: 60 }).chain(paths => {
  const set = new Set(paths)
  const files = paths.filter(p => !paths.some(q => q.startsWith(`${p}/`)))
  assert.ok(files.every(p => set.has(p)))
  return fc.tuple(...files.map(path => fc.record({
    path: fc.constant(path),
    cid: fc.integer({ min: 1, max: 50 }).map(cidOf),
    size: fc.oneof(fc.integer({ min: 0, max: 1 << 20 }), fc.constant(Math.floor(Number.MAX_SAFE_INTEGER / 4096))),
    mode: fc.integer({ min: 0, max: 0o777 })
  })))
})

describe('mirror paths', () => {
  it('accept relative POSIX paths, odd but legal names included', () => {
    for (const path of ['a', 'a/b/c.txt', 'with space', 'new\nline', 'back\\slash', 'é/e\u0301', '😀', '.hidden/..x', 'x'.repeat(255), `${'d'.repeat(255)}/`.repeat(15) + 'f']) {
      assert.doesNotThrow(() => { assertMirrorPath(path) }, JSON.stringify(path.slice(0, 20)))
    }
  })

  it('refuse what is not a safe relative path, with ERR_INVALID_PATH', () => {
    const cases: Array<[unknown, RegExp]> = [
      ['', /empty/],
      ['/etc/passwd', /absolute/],
      ['a/', /trailing/],
      ['a//b', /empty segment/],
      ['..', /".."/],
      ['a/../b', /".."/],
      ['./a', /"\."/],
      ['a/\0b', /NUL/],
      ['a\uD800', /lone surrogate/],
      ['\uDC00b', /lone surrogate/],
      ['x'.repeat(256), /segment over 255/],
      [`${'d'.repeat(200)}/`.repeat(21) + 'f', /over 4096 bytes/],
      ['é'.repeat(2049), /over 4096 bytes/], // 2049 characters but 4098 bytes of UTF-8
      [42, /not a string/]
    ]
    for (const [path, message] of cases) assertCode(() => { assertMirrorPath(path) }, 'ERR_INVALID_PATH', message)
  })

  it('compare in UTF-8 byte order', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
      const expected = Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)))
      assert.equal(Math.sign(compareMirrorPaths(a, b)), expected)
    }), { numRuns: 2000 })
    // Where UTF-16 order is wrong: U+E000 (3 bytes) sorts before U+1F600 (4 bytes), though its code unit is higher.
    assert.ok('\uE000' > '😀')
    assert.ok(compareMirrorPaths('\uE000', '😀') < 0)
    // 'a.txt' comes between the file 'a' and the directory 'a/': '.' is 0x2E, '/' 0x2F.
    assert.deepEqual(['a/b', 'a.txt', 'a'].sort(compareMirrorPaths), ['a', 'a.txt', 'a/b'])
  })
})

describe('directory manifest encoding', () => {
  it('round trips random trees, inline and in pages, sorted the same whatever the input order', async () => {
    await fc.assert(fc.asyncProperty(treeArb, fc.integer({ min: 1, max: 8 }), async (entries, pageEntries) => {
      const { root, tree, pageBytes } = await roundTrip(entries, { pageEntries })
      const sorted = entries.map(e => ({ ...e })).sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)))
      assert.deepEqual(tree, sorted)
      assert.equal(root.files, entries.length)
      assert.equal(root.bytes, entries.reduce((n, e) => n + e.size, 0))
      assert.equal(root.pages === undefined, entries.length <= pageEntries)
      if (root.pages !== undefined) {
        assert.ok(root.pages.every(p => p.files <= pageEntries))
        // Every path is found in the page pageFor names, and pagesUnder names every page holding a directory's files.
        for (const e of sorted) {
          const i = pageFor(root, e.path)
          assert.ok(i >= 0 && compareMirrorPaths(root.pages[i].first, e.path) <= 0 && compareMirrorPaths(e.path, root.pages[i].last) <= 0)
        }
        const dir = sorted[0].path.split('/')[0]
        const holding = pageBytes.map(decodeDirectoryPage).flatMap((page, i) => entriesUnder(page, dir).length > 0 ? [i] : [])
        const under = pagesUnder(root, dir)
        assert.ok(holding.every(i => under.includes(i)), `${JSON.stringify(holding)} within ${JSON.stringify(under)}`)
      }
    }), { numRuns: 150 })
  })

  it('encodes the same tree to the same bytes, whatever the input order or stray fields', () => {
    const bytes = encodeDirectoryRoot(inlineRoot())
    const shuffled = [SAMPLE[2], SAMPLE[0], { ...SAMPLE[3], extra: true } as DirectoryEntry, SAMPLE[1]]
    assert.deepEqual(encodeDirectoryRoot(inlineRoot(shuffled)), bytes)
    assert.deepEqual(Object.keys(packr.unpack(Buffer.from(bytes)) as object), ['version', 'files', 'bytes', 'entries'])
  })

  it('keeps an empty tree inline', () => {
    const root = inlineRoot([])
    assert.deepEqual(decodeDirectoryRoot(encodeDirectoryRoot(root)), { version: 1, files: 0, bytes: 0, entries: [] })
  })

  it('cuts a tree over 4096 entries into pages of 4096, with first and last paths', async () => {
    const entries = Array.from({ length: MAX_DIRECTORY_PAGE_ENTRIES + 10 }, (_, i) => entry(`d${i % 7}/f${String(i).padStart(5, '0')}`, i, 0o644, i % 50 + 1))
    assert.equal(planDirectory(entries.slice(0, MAX_DIRECTORY_PAGE_ENTRIES)).inline, true)
    const { root, tree } = await roundTrip(entries)
    const sorted = entries.map(e => e.path).sort()
    assert.deepEqual(tree.map(e => e.path), sorted)
    assert.deepEqual(root.pages?.map(p => p.files), [MAX_DIRECTORY_PAGE_ENTRIES, 10])
    const [first, second] = root.pages as PageRef[]
    assert.deepEqual([first.first, first.last, second.first, second.last], [sorted[0], sorted[4095], sorted[4096], sorted[4105]])
    assert.ok(sorted[4096].startsWith('d6/'))
    assert.equal(pageFor(root, sorted[4105]), 1)
    assert.equal(pageFor(root, sorted[4096]), 1)
    assert.equal(pageFor(root, sorted[4095]), 0)
    assert.equal(pageFor(root, 'd0/f00000'), 0)
    assert.equal(pageFor(root, 'a'), -1) // before the first page
    assert.equal(pageFor(root, 'z'), -1) // after the last
    assert.equal(pageFor(inlineRoot(), 'README'), -1) // no pages
    assert.deepEqual(pagesUnder(root, 'd6'), [0, 1]) // d6 runs over the cut
    assert.deepEqual(pagesUnder(root, 'd5'), [0])
    assert.deepEqual(pagesUnder(root, 'd'), [])
    assert.deepEqual(pagesUnder(root, ''), [0, 1])
    assert.deepEqual(pagesUnder(root, 'nothing'), [])
  })

  it('cuts pages by size too: long paths never make a page over MAX_DIRECTORY_PAGE_BYTES', async () => {
    // 1100 entries of ~4000-byte paths: ~4.5 MB, under 4096 entries but over 4 MiB.
    const long = `${'x'.repeat(250)}/`.repeat(15)
    const entries = Array.from({ length: 1100 }, (_, i) => entry(`${long}${String(i).padStart(6, '0')}`, 1))
    const { root, pageBytes, tree } = await roundTrip(entries)
    assert.ok((root.pages?.length ?? 0) >= 2)
    assert.ok(pageBytes.every(b => b.byteLength <= MAX_DIRECTORY_PAGE_BYTES))
    assert.ok(pageBytes[0].byteLength > MAX_DIRECTORY_PAGE_BYTES * 0.95, 'the cut is tight, not far below the bound')
    assert.equal(tree.length, 1100)
  })

  it('refuses more files than the bound, and bad page options', () => {
    assertCode(() => planDirectory(new Array(MAX_DIRECTORY_FILES + 1)), 'ERR_MANIFEST_INVALID', /over 1000000/)
    assertCode(() => planDirectory(SAMPLE, { pageEntries: 0 }), 'ERR_MANIFEST_INVALID')
    assertCode(() => planDirectory(SAMPLE, { pageEntries: MAX_DIRECTORY_PAGE_ENTRIES + 1 }), 'ERR_MANIFEST_INVALID')
    assertCode(() => planDirectory(Array.from({ length: MAX_DIRECTORY_PAGES + 1 }, (_, i) => entry(`f${i}`)), { pageEntries: 1 }), 'ERR_MANIFEST_INVALID', /pages/)
  })

  it('refuses to plan a tree with a duplicate, a file that is also a directory, or a bad path', () => {
    assertCode(() => planDirectory([entry('a'), entry('b'), entry('a')]), 'ERR_MANIFEST_INVALID', /twice/)
    assertCode(() => planDirectory([entry('a'), entry('a.txt'), entry('a/b')]), 'ERR_MANIFEST_INVALID', /"a" as a file and as the directory of "a\/b"/)
    assertCode(() => planDirectory([entry('../etc/passwd')]), 'ERR_INVALID_PATH')
    assertCode(() => encodeDirectoryRoot({ version: 1, files: 1, bytes: 10, entries: [entry('a\uD800')] }), 'ERR_INVALID_PATH', /surrogate/)
  })
})

describe('decoding refuses', () => {
  it('a wrong version, a missing version, and unknown fields anywhere', () => {
    assert.deepEqual(decodeDirectoryRoot(rootWith({})), inlineRoot())
    assertCode(() => decodeDirectoryRoot(rootWith({ version: 2 })), 'ERR_MANIFEST_VERSION')
    assertCode(() => decodeDirectoryRoot(rootWith({ version: undefined })), 'ERR_MANIFEST_INVALID', /missing version/)
    assertCode(() => decodeDirectoryRoot(rootWith({ name: 'x' })), 'ERR_MANIFEST_INVALID', /unknown field "name"/)
    assertCode(() => decodeDirectoryRoot(rootWith({ entries: [{ ...SAMPLE[0], mtime: 5 }, ...SAMPLE.slice(1)] })), 'ERR_MANIFEST_INVALID', /unknown field "mtime"/)
    assertCode(() => decodeDirectoryPage(pack({ version: 1, entries: SAMPLE, files: 4 })), 'ERR_MANIFEST_INVALID', /unknown field "files"/)
    assertCode(() => decodeDirectoryPage(pack({ version: 3, entries: SAMPLE })), 'ERR_MANIFEST_VERSION')
  })

  it('what is not a map of MessagePack, trailing bytes, and a root with both or neither of entries and pages', () => {
    assertCode(() => decodeDirectoryRoot(new Uint8Array([0x81, 0xa1])), 'ERR_MANIFEST_INVALID', /not MessagePack/) // cut short
    assertCode(() => decodeDirectoryRoot(new Uint8Array([0xc1])), 'ERR_MANIFEST_INVALID') // the reserved byte (msgpackr reads an object)
    assertCode(() => decodeDirectoryRoot(pack([1, 2])), 'ERR_MANIFEST_INVALID', /not a map/)
    assertCode(() => decodeDirectoryRoot(new Uint8Array([...rootWith({}), 0])), 'ERR_MANIFEST_INVALID', /not MessagePack/)
    assertCode(() => decodeDirectoryRoot(rootWith({ entries: undefined })), 'ERR_MANIFEST_INVALID', /exactly one/)
    assertCode(() => decodeDirectoryRoot(rootWith({ pages: [] })), 'ERR_MANIFEST_INVALID', /exactly one/)
    assertCode(() => decodeDirectoryRoot(rootWith({ entries: 'x' })), 'ERR_MANIFEST_INVALID', /not a list/)
    assertCode(() => decodeDirectoryRoot(rootWith({ entries: [1, 2, 3, 4] })), 'ERR_MANIFEST_INVALID', /not a map/)
  })

  it('entries out of order, duplicated, or a file that is also a directory', () => {
    const [a, b, c, d] = SAMPLE
    assertCode(() => decodeDirectoryRoot(rootWith({ entries: [b, a, c, d] })), 'ERR_MANIFEST_INVALID', /not sorted/)
    assertCode(() => decodeDirectoryRoot(rootWith({ entries: [a, b, b, d], bytes: 22 })), 'ERR_MANIFEST_INVALID', /twice/)
    assertCode(() => decodeDirectoryPage(pack({ version: 1, entries: [b, a] })), 'ERR_MANIFEST_INVALID', /not sorted/)
    // UTF-16 order is not the order: U+E000 must come before the emoji.
    assertCode(() => decodeDirectoryPage(pack({ version: 1, entries: [entry('😀'), entry('\uE000')] })), 'ERR_MANIFEST_INVALID', /not sorted/)
    const conflict = [entry('docs'), entry('docs.txt'), entry('docs/a')]
    assertCode(() => decodeDirectoryPage(pack({ version: 1, entries: conflict })), 'ERR_MANIFEST_INVALID', /as a file and as the directory/)
    assertCode(() => decodeDirectoryPage(pack({ version: 1, entries: [] })), 'ERR_MANIFEST_INVALID', /at least one/)
  })

  it('bad paths, with ERR_INVALID_PATH', () => {
    const bad = ['../x', '/abs', 'a//b', 'a/./b', 'nul\0', `${'p'.repeat(200)}/`.repeat(21) + 'x', '']
    for (const path of bad) {
      assertCode(() => decodeDirectoryPage(pack({ version: 1, entries: [entry(path)] })), 'ERR_INVALID_PATH')
    }
    // A lone surrogate has no UTF-8 form: msgpackr writes it so that it reads back as U+FFFD, never as the surrogate,
    // so a decoded path is always well formed (and the encoder refuses to write one: see the planning test).
    const decoded = decodeDirectoryPage(pack({ version: 1, entries: [entry('a\uD800')] }))
    assert.doesNotMatch(decoded[0].path, /[\uD800-\uDFFF]/)
    assertCode(() => decodeDirectoryPage(pack({ version: 1, entries: [{ ...entry('a'), path: 5 }] })), 'ERR_MANIFEST_INVALID', /path is not a string/)
  })

  it('bad CIDs, sizes and modes', () => {
    const cases: Array<[Partial<DirectoryEntry> | Record<string, unknown>, RegExp]> = [
      [{ cid: 'not-a-cid' }, /not a CID/],
      [{ cid: CID.createV1(0x55, createDigest(sha512.code, new Uint8Array(64))).toString() }, /not an edgemirror manifest CID/],
      [{ cid: CID.parse(cidOf(1)).toString(base58btc) }, /canonical/], // the same CID in base58
      [{ cid: 7 }, /not a CID string/],
      [{ size: -1 }, /size must be/],
      [{ size: 1.5 }, /size must be/],
      [{ size: 2 ** 53 }, /size must be/],
      [{ mode: 0o1777 }, /mode must be/],
      [{ mode: 0o4755 }, /mode must be/],
      [{ mode: -1 }, /mode must be/],
      [{ mode: 0.5 }, /mode must be/]
    ]
    for (const [change, message] of cases) {
      assertCode(() => decodeDirectoryPage(pack({ version: 1, entries: [{ ...entry('a'), ...change }] })), 'ERR_MANIFEST_INVALID', message)
    }
  })

  it('totals that do not add up, and more inline entries than a page holds', () => {
    assertCode(() => decodeDirectoryRoot(rootWith({ files: 5 })), 'ERR_MANIFEST_INVALID', /says 5 files but holds 4/)
    assertCode(() => decodeDirectoryRoot(rootWith({ bytes: 27 })), 'ERR_MANIFEST_INVALID', /says 27 bytes but its entries add up to 26/)
    assertCode(() => decodeDirectoryRoot(rootWith({ files: -1 })), 'ERR_MANIFEST_INVALID', /root files/)
    const many = Array.from({ length: MAX_DIRECTORY_PAGE_ENTRIES + 1 }, (_, i) => entry(`f${String(i).padStart(5, '0')}`, 0))
    assertCode(() => decodeDirectoryRoot(rootWith({ entries: many, files: many.length, bytes: 0 })), 'ERR_MANIFEST_INVALID', /over 4096/)
    assertCode(() => decodeDirectoryPage(pack({ version: 1, entries: many })), 'ERR_MANIFEST_INVALID', /over 4096/)
    assertCode(() => decodeDirectoryPage(new Uint8Array(MAX_DIRECTORY_PAGE_BYTES + 1)), 'ERR_MANIFEST_INVALID', /over 4194304/)
  })

  it('page references that are out of order, empty, inconsistent, or do not add up', () => {
    const ref = (first: string, last: string, files = 2, bytes = 20, seed = 3): PageRef => ({ cid: cidOf(seed), files, bytes, first, last })
    const paged = (pages: unknown[], files = 4, bytes = 40): Uint8Array => pack({ version: 1, files, bytes, pages })
    assert.equal(decodeDirectoryRoot(paged([ref('a', 'b'), ref('c', 'd')])).pages?.length, 2)
    assertCode(() => decodeDirectoryRoot(paged([ref('c', 'd'), ref('a', 'b')])), 'ERR_MANIFEST_INVALID', /does not start after/)
    assertCode(() => decodeDirectoryRoot(paged([ref('a', 'c'), ref('c', 'd')])), 'ERR_MANIFEST_INVALID', /does not start after/)
    assertCode(() => decodeDirectoryRoot(paged([ref('b', 'a'), ref('c', 'd')])), 'ERR_MANIFEST_INVALID', /first and last/)
    assertCode(() => decodeDirectoryRoot(paged([ref('a', 'a', 2), ref('c', 'd')])), 'ERR_MANIFEST_INVALID', /first and last/)
    assertCode(() => decodeDirectoryRoot(paged([ref('a', 'b', 0, 0), ref('c', 'd', 4)])), 'ERR_MANIFEST_INVALID', /empty page/)
    assertCode(() => decodeDirectoryRoot(paged([ref('a', 'b'), ref('c', 'd')], 5)), 'ERR_MANIFEST_INVALID', /says 5 files but its pages add up to 4/)
    assertCode(() => decodeDirectoryRoot(paged([ref('a', 'b'), ref('c', 'd')], 4, 41)), 'ERR_MANIFEST_INVALID', /says 41 bytes/)
    assertCode(() => decodeDirectoryRoot(paged([ref('a', '../b'), ref('c', 'd')])), 'ERR_INVALID_PATH')
    assertCode(() => decodeDirectoryRoot(paged([{ ...ref('a', 'b'), cid: 'x' }, ref('c', 'd')])), 'ERR_MANIFEST_INVALID', /not a CID/)
    assertCode(() => decodeDirectoryRoot(paged([{ ...ref('a', 'b'), size: 1 }, ref('c', 'd')])), 'ERR_MANIFEST_INVALID', /unknown field "size"/)
    assertCode(() => decodeDirectoryRoot(paged(Array.from({ length: MAX_DIRECTORY_PAGES + 1 }, (_, i) => ref(`f${i}`, `f${i}`, 1, 0)), 1025, 0)), 'ERR_MANIFEST_INVALID', /over 1024/)
  })

  it('pages that are not what their root says, and a conflict across two pages', () => {
    const root: DirectoryRoot = { version: 1, files: 3, bytes: 30, pages: [{ cid: cidOf(1), files: 2, bytes: 20, first: 'a', last: 'a.txt' }, { cid: cidOf(2), files: 1, bytes: 10, first: 'a/b', last: 'a/b' }] }
    const pages = [[entry('a'), entry('a.txt')], [entry('a/b')]]
    assert.doesNotThrow(() => { pages.forEach((page, i) => { assertPageMatches((root.pages as PageRef[])[i], page) }) })
    assertCode(() => joinPages(root, pages), 'ERR_MANIFEST_INVALID', /as a file and as the directory/)
    assertCode(() => joinPages(root, [pages[0]]), 'ERR_MANIFEST_INVALID', /1 pages given/)
    assertCode(() => { assertPageMatches((root.pages as PageRef[])[0], [entry('a'), entry('a.txt', 11)]) }, 'ERR_MANIFEST_INVALID', /21 bytes/)
    assertCode(() => { assertPageMatches((root.pages as PageRef[])[0], [entry('a')]) }, 'ERR_MANIFEST_INVALID', /1 entries/)
    assertCode(() => { assertPageMatches((root.pages as PageRef[])[0], [entry('a'), entry('a.zip')]) }, 'ERR_MANIFEST_INVALID', /runs from/)
  })
})

describe('listing', () => {
  it('entriesUnder gives the files under a directory, not the file of the same name or a sibling that shares a prefix', () => {
    const entries = planDirectory([entry('docs'), entry('docs.txt'), entry('docsx/a'), entry('img/docs/a'), entry('x/docs/y'), entry('x/docs/z/w'), entry('x/e')]).pages[0]
    assert.deepEqual(entriesUnder(entries, '').map(e => e.path), entries.map(e => e.path))
    assert.deepEqual(entriesUnder(entries, 'x/docs').map(e => e.path), ['x/docs/y', 'x/docs/z/w'])
    assert.deepEqual(entriesUnder(entries, 'x').map(e => e.path), ['x/docs/y', 'x/docs/z/w', 'x/e'])
    assert.deepEqual(entriesUnder(entries, 'docs'), [])
    assert.deepEqual(entriesUnder(entries, 'x/e'), [])
    assertCode(() => entriesUnder(entries, '../x'), 'ERR_INVALID_PATH')
    assertCode(() => entriesUnder(entries, 'x/'), 'ERR_INVALID_PATH')
  })
})
