// The mirror-set verbs as a user runs them (the compiled CLI, its flags, JSON and human output, exit codes) against the
// real control server in this process, with an in-memory ControlApi where the daemon's services would be.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { startControlServer, type ControlServer } from '../../../node/api/server.ts'
import type { PublishOptions } from '../../../node/api/types.ts'
import { runCli } from '../../harness/daemon-process.ts'
import { FakeMirrors, FILE, publishResult, REPORT, versionRecord } from '../api/fake-mirror-api.ts'

const SHA256 = createHash('sha256').update(FILE).digest('hex')

/** Far beyond a CLI's start-up; a command still running then has hung. */
const HANG_MS = 30_000

describe('mirror verbs against a control API', () => {
  let root: string
  let repo: string
  let site: string
  let server: ControlServer
  let api: FakeMirrors
  let publisher: string
  const cli = async (...args: string[]): ReturnType<typeof runCli> => await runCli([...args, '--repo', repo], { timeoutMs: HANG_MS })

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'edgemirror-mirror-verbs-'))
    repo = join(root, 'repo')
    site = join(root, 'site')
    await mkdir(repo)
    await mkdir(site)
    publisher = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    api = new FakeMirrors(publisher)
    server = await startControlServer({ api, host: '127.0.0.1', port: 0, repo })
  })
  after(async () => {
    await server?.stop()
    await rm(root, { recursive: true, force: true })
  })

  it('publish --json prints exactly the PublishResult; --replicas and --keep reach the daemon', async () => {
    const r = await cli('publish', site, '--name', 'site', '--replicas', '3', '--keep', '2', '--json')
    assert.equal(r.code, 0, r.stderr)
    const asked = api.publishes.at(-1) as PublishOptions
    assert.deepEqual(r.json, publishResult(publisher, asked))
    assert.deepEqual({ dir: asked.dir, name: asked.name, k: asked.k, m: asked.m, keep: asked.keep }, { dir: site, name: 'site', k: 1, m: 2, keep: 2 })
  })

  it('publish in human form: address and version, sizes, skipped paths, expired versions', async () => {
    const r = await cli('publish', site, '--name', 'site', '--k', '2', '--m', '1')
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, new RegExp(`^published ${publisher}/site@3\n`))
    assert.match(r.stdout, /^root bafyroot3$/m)
    assert.match(r.stdout, /^ {2}link: a symbolic link$/m)
    assert.match(r.stdout, /^expired version\(s\) 1: 1 files deleted/m)
    assert.deepEqual([api.publishes.at(-1)?.k, api.publishes.at(-1)?.m], [2, 1])
  })

  it('a publish that fails after its progress exits 1 with the daemon\'s code', async () => {
    const r = await cli('publish', site, '--name', 'fails', '--json')
    assert.equal(r.code, 1)
    assert.equal(r.stdout, '')
    assert.equal(JSON.parse(r.stderr).error.code, 'ERR_NOT_ENOUGH_PEERS')
  })

  it('follow, mirrors, versions and unfollow', async () => {
    const address = `${publisher}/site`
    const followed = await cli('follow', address, join(root, 'copy'), '--json')
    assert.equal(followed.code, 0, followed.stderr)
    assert.deepEqual(followed.json, { address, role: 'follower', dir: join(root, 'copy'), seq: null, newest: null, bytes: null, lastSync: null, state: 'idle' })
    assert.deepEqual((await cli('mirrors', '--json')).json, [followed.json])
    const table = await cli('mirrors')
    assert.match(table.stdout, /^address +role +dir +seq\/newest +bytes +last sync \(UTC\) +state$/m)
    assert.match(table.stdout, new RegExp(`^${address} +follower +${join(root, 'copy')} +-/- +- +- +idle$`, 'm'))
    assert.deepEqual((await cli('versions', address, '--json')).json, [versionRecord(publisher, 'site', 1), versionRecord(publisher, 'site', 2)])
    assert.match((await cli('versions', address)).stdout, /^2 +2023-11-14 22:13 +bafyroot2 +2 +300 B$/m)
    const unfollowed = await cli('unfollow', address, '--json')
    assert.deepEqual(unfollowed.json, followed.json)
    const again = await cli('unfollow', address, '--json')
    assert.equal(again.code, 1)
    assert.equal(JSON.parse(again.stderr).error.code, 'ERR_NOT_FOUND')
  })

  it('ls of a version: the TreeListing, or a header and a line per file', async () => {
    const target = `${publisher}/site@2`
    assert.deepEqual((await cli('ls', target, '--json')).json, await api.listTree(target))
    const r = await cli('ls', `${target}/docs`)
    assert.equal(r.code, 0, r.stderr)
    const [header, ...lines] = r.stdout.trimEnd().split('\n')
    assert.match(header, new RegExp(`^${publisher}/site@2/docs \\(published by ${publisher} at .* UTC, root bafyroot2\\)$`))
    assert.deepEqual(lines.map(l => l.trim().split(/ {2,}/)), [['-rw-r--r--', `${FILE.length} B`, 'docs/index.html']])
  })

  it('fetch and cat of a mirror file: verified bytes, and which version they are', async () => {
    const out = join(root, 'index.html')
    const r = await cli('fetch', `${publisher}/site@2/docs/index.html`, '-o', out, '--json')
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(await readFile(out), FILE)
    // Without --sha256 nothing hashed the file: the manifest's SHA-256 is reported as its claim, and no `sha256`.
    assert.deepEqual(r.json, {
      cid: 'bafyindex', size: FILE.length, verified: 'blocks', manifestSha256: SHA256, name: 'index.html', path: out, ...REPORT, transfer: 'stream',
      address: `${publisher}/site`, publisher, seq: 2, mirrorPath: 'docs/index.html', local: true
    })
    const human = await cli('fetch', `${publisher}/site/docs/index.html`, '-o', out, '--force')
    assert.equal(human.code, 0, human.stderr)
    assert.match(human.stdout, new RegExp(`^fetched ${FILE.length} B to ${out} from ${publisher}'s site@2/docs/index.html \\(this node's copy\\)$`, 'm'))
    assert.match(human.stdout, new RegExp(`^blocks verified when this node fetched its copy; the manifest's sha256 ${SHA256} \\(not recomputed: add --sha256\\)$`, 'm'))
    const cat = await cli('cat', `${publisher}/site/docs/index.html`)
    assert.equal(cat.code, 0, cat.stderr)
    assert.equal(cat.stdout, FILE.toString())
  })

  it('fetch and cat --sha256: the recomputed SHA-256 when it matches the manifest\'s', async () => {
    const out = join(root, 'index-sha256.html')
    const r = await cli('fetch', `${publisher}/site/docs/index.html`, '-o', out, '--sha256', '--json')
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(await readFile(out), FILE)
    assert.deepEqual([r.json.verified, r.json.manifestSha256, r.json.sha256], ['blocks+sha256', SHA256, SHA256])
    const human = await cli('fetch', `${publisher}/site/docs/index.html`, '-o', out, '--force', '--sha256')
    assert.equal(human.code, 0, human.stderr)
    assert.match(human.stdout, new RegExp(`; sha256 ${SHA256} \\(recomputed, matches the manifest\\)$`, 'm'))
    const cat = await cli('cat', `${publisher}/site/docs/index.html`, '--sha256', '--json')
    assert.equal(cat.code, 0, cat.stderr)
    assert.equal(cat.stdout, FILE.toString())
    assert.equal(JSON.parse(cat.stderr).verified, 'blocks+sha256')
  })

  it('fetch --sha256 of a file whose manifest SHA-256 disagrees with its bytes: exit 1, ERR_HASH_MISMATCH, no output file', async () => {
    api.wrongSha256 = true
    try {
      const out = join(root, 'index-wrong.html')
      // Without --sha256 the claim is not checked, and says so.
      const unchecked = await cli('fetch', `${publisher}/site/docs/index.html`, '-o', out, '--json')
      assert.equal(unchecked.code, 0, unchecked.stderr)
      assert.equal(unchecked.json.verified, 'blocks')
      assert.notEqual(unchecked.json.manifestSha256, SHA256)
      assert.equal('sha256' in unchecked.json, false)
      const checked = await cli('fetch', `${publisher}/site/docs/index.html`, '-o', join(root, 'index-wrong-2.html'), '--sha256', '--json')
      assert.equal(checked.code, 1)
      assert.equal(checked.stdout, '')
      assert.equal(JSON.parse(checked.stderr).error.code, 'ERR_HASH_MISMATCH')
      assert.deepEqual((await readdir(root)).filter(n => n.includes('index-wrong-2')), [], 'neither the output nor its temp file')
      const cat = await cli('cat', `${publisher}/site/docs/index.html`, '--sha256', '--json')
      assert.equal(cat.code, 1)
      assert.equal(JSON.parse(cat.stderr).error.code, 'ERR_HASH_MISMATCH')
    } finally {
      api.wrongSha256 = false
    }
  })
})
