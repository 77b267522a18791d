// share --encrypt through the real CLI and daemon processes (docs/ENCRYPTION.md): the capability comes back once,
// fetch (the local fast path and the stream) and cat read with it, and a bare CID or a wrong key writes nothing.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { encodeCapability } from '../../coder/capability.ts'
import { DaemonSwarm } from '../harness/daemon-swarm.ts'

function sha256 (bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex')
}

describe('share --encrypt with the CLI', () => {
  let root: string
  let files: string
  let swarm: DaemonSwarm
  // Text, so that `cat`'s standard output (read as a string by the harness) can be compared as it is.
  const text = randomBytes(400_000).toString('hex').slice(0, 700_001)
  let cid: string
  let capability: string

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'edgemirror-encrypt-'))
    files = await mkdtemp(join(root, 'files-'))
    swarm = await DaemonSwarm.start({ root, count: 3 })
    await writeFile(join(files, 'notes.txt'), text)
  })

  after(async () => {
    await swarm?.stop()
    await rm(root, { recursive: true, force: true })
  })

  it('share --encrypt --json answers a capability of the CID, and plain `share` prints it', async () => {
    const shared = await swarm.cli(0, ['share', join(files, 'notes.txt'), '--k', '2', '--m', '1', '--encrypt', '--json'])
    assert.equal(shared.code, 0, shared.stderr)
    assert.equal(shared.json.transfer, 'local')
    cid = shared.json.cid
    capability = shared.json.capability
    assert.match(capability, new RegExp(`^emcap1\\.${cid}\\.[a-z2-7]{52}$`))
    assert.match(shared.json.url ?? '', new RegExp(`/f/${capability.replaceAll('.', '\\.')}/notes\\.txt$`))
    const streamed = await swarm.cli(0, ['share', join(files, 'notes.txt'), '--k', '2', '--m', '1', '--encrypt', '--no-local'])
    assert.equal(streamed.code, 0, streamed.stderr)
    assert.match(streamed.stdout, /^capability emcap1\.[a-z2-7]+\.[a-z2-7]{52}$/m)
    assert.doesNotMatch(streamed.stdout, new RegExp(cid), 'a second encrypted share is a new file (a new key): no dedup')
  })

  it('fetch CAP -o OUT writes the plaintext (local fast path and stream), honest about what was checked', async () => {
    const out = join(files, 'out.txt')
    const fetched = await swarm.cli(1, ['fetch', capability, '-o', out, '--json'])
    assert.equal(fetched.code, 0, fetched.stderr)
    assert.equal(fetched.json.transfer, 'local')
    assert.equal(fetched.json.cid, cid)
    assert.equal(await readFile(out, 'utf8'), text)
    assert.deepEqual([fetched.json.verified, fetched.json.manifestSha256, fetched.json.sha256], ['blocks', null, undefined])
    const computed = await swarm.cli(2, ['fetch', capability, '-o', join(files, 'out-stream.txt'), '--no-local', '--sha256', '--json'])
    assert.equal(computed.code, 0, computed.stderr)
    assert.equal(computed.json.transfer, 'stream')
    assert.deepEqual([computed.json.verified, computed.json.manifestSha256, computed.json.sha256], ['blocks', null, sha256(text)], 'computed, not compared: nothing to compare with')
    assert.equal(await readFile(join(files, 'out-stream.txt'), 'utf8'), text)
  })

  it('cat CAP writes the plaintext to standard output', async () => {
    const cat = await swarm.cli(2, ['cat', capability, '--no-progress'])
    assert.equal(cat.code, 0, cat.stderr)
    assert.equal(sha256(cat.stdout), sha256(text))
  })

  it('fetch by bare CID is ERR_KEY_REQUIRED and a wrong key ERR_WRONG_KEY: no output, no temp file; check works by CID', async () => {
    const byCid = await swarm.cli(1, ['fetch', cid, '-o', join(files, 'by-cid.txt')])
    assert.equal(byCid.code, 1)
    assert.match(byCid.stderr, /ERR_KEY_REQUIRED/)
    const wrong = await swarm.cli(1, ['fetch', encodeCapability({ cid, key: randomBytes(32) }), '-o', join(files, 'wrong.txt'), '--no-local'])
    assert.equal(wrong.code, 1)
    assert.match(wrong.stderr, /ERR_WRONG_KEY/)
    const names = await readdir(files)
    assert.deepEqual(names.filter(n => n.startsWith('by-cid') || n.startsWith('wrong') || n.endsWith('.part')), [])
    const check = await swarm.cli(1, ['check', cid, '--json'])
    assert.equal(check.code, 0, check.stderr)
    assert.equal(check.json.healthy, true)
  })
})
