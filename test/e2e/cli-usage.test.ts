// Every bad flag or argument is ERR_USAGE with exit 2, at once and before any work, in --json mode too (the error as
// JSON on stderr, nothing on stdout): commander's own parse errors, values checked by the verbs, and a daemon that
// cannot start (it exits instead of lingering). A mirror address that does not parse keeps its own code,
// ERR_INVALID_ADDRESS, with the same exit 2. Real CLI processes; no daemon runs, none may start (a verb that looked for
// one would fail with ERR_DAEMON_NOT_RUNNING, exit 1).
import assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { runCli } from '../harness/daemon-process.ts'

/** A valid CID nobody holds: a refusal must come before the CLI looks for it. */
const CID = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
/** Far beyond a CLI's start-up (1–2 s under tsx on a loaded machine); a command still running then has hung. */
const HANG_MS = 30_000

describe('usage errors: ERR_USAGE, exit 2, before any work', () => {
  let root: string
  let repo: string
  let existing: string
  /** A publisher's peer id (Ed25519): a well-formed address, so only what the case breaks is wrong. */
  let peer: string
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'edgemirror-usage-'))
    repo = join(root, 'repo')
    existing = join(root, 'existing')
    await writeFile(existing, 'keep me')
    peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
  })
  after(async () => { await rm(root, { recursive: true, force: true }) })

  const daemon = (...flags: string[]): string[] => ['daemon', '--repo', repo, '--listen', '/ip4/127.0.0.1/tcp/0', ...flags]
  const ADDRESS = 'ERR_INVALID_ADDRESS'
  const cases: Array<[string, () => string[], RegExp, string?]> = [
    ['unknown verb', () => ['no-such-verb'], /unknown command/],
    ['unknown option', () => ['status', '--no-such-flag'], /unknown option '--no-such-flag'/],
    ['missing argument', () => ['fetch', '-o', existing], /missing required argument 'cid'/],
    ['missing required option', () => ['fetch', CID], /required option '-o, --output <path>' not specified/],
    ['fetch of something not a CID', () => ['fetch', 'not-a-cid', '-o', join(root, 'out')], /<cid>: not a CID/],
    ['check of something not a CID', () => ['check', 'bafy'], /<cid>/],
    ['repair of something not a CID', () => ['repair', '12345'], /<cid>/],
    ['cat of something not a CID', () => ['cat', 'nope'], /<cid>/],
    ['fetch of a malformed capability (its key part not repeated)', () => ['fetch', `emcap1.${CID}.secretkeypart`, '-o', join(root, 'out')], /<cid>: invalid capability: its key part is not 32 bytes(?![^]*secretkeypart)/],
    ['fetch over an existing file without --force', () => ['fetch', CID, '-o', existing], /exists: add --force/],
    ['fetch into a directory', () => ['fetch', CID, '-o', root], /is a directory/],
    ['fetch into a missing directory', () => ['fetch', CID, '-o', join(root, 'nodir', 'x')], /is not a directory/],
    ['share --codec nope', () => ['share', existing, '--codec', 'nope'], /--codec <id>' argument 'nope' is invalid/],
    ['share --block-size 12', () => ['share', existing, '--block-size', '12'], /--block-size must be a multiple of 8/],
    ['share --k four', () => ['share', existing, '--k', 'four'], /--k/],
    ['daemon --placement carbon=2,foo=1', () => daemon('--placement', 'carbon=2,foo=1'), /foo/],
    ['daemon --dead-after 1s --heartbeat 5s', () => daemon('--dead-after', '1s', '--heartbeat', '5s'), /--dead-after \(1000 ms\) must be at least 3 x --heartbeat \(5000 ms\)/],
    ['daemon --listen garbage', () => daemon('--listen', 'garbage'), /--listen "garbage" is not a multiaddr/],
    ['daemon --bootstrap garbage', () => daemon('--bootstrap', 'garbage'), /--bootstrap "garbage" is not a multiaddr/],
    ['daemon --bootstrap without a peer id', () => daemon('--bootstrap', '/ip4/127.0.0.1/tcp/4050'), /lacks a \/tcp\/ port or a \/p2p\/ peer id/],
    ['daemon --carbon-country ZZ', () => daemon('--carbon-country', 'ZZ'), /unknown --carbon-country "ZZ"/],
    ['daemon --api nowhere', () => daemon('--api', 'nowhere'), /--api wants HOST:PORT/],
    ['daemon --quota-per-peer lots', () => daemon('--quota-per-peer', 'lots'), /invalid size "lots"/],
    ['publish without DIR', () => ['publish', '--name', 'site', '--repo', repo], /missing required argument 'dir'/],
    ['publish without --name', () => ['publish', root, '--repo', repo], /required option '--name <name>' not specified/],
    ['publish of a file', () => ['publish', existing, '--name', 'site', '--repo', repo], /is not a directory/],
    ['publish of a missing directory', () => ['publish', join(root, 'nodir'), '--name', 'site', '--repo', repo], /cannot read .*ENOENT/],
    ['publish --name ../etc', () => ['publish', root, '--name', '../etc', '--repo', repo], /--name \.\.\/etc.*the name must match/, ADDRESS],
    ['publish --name with a slash', () => ['publish', root, '--name', 'a/b', '--repo', repo], /the name must match/, ADDRESS],
    ['publish --keep 0', () => ['publish', root, '--name', 'site', '--keep', '0', '--repo', repo], /--keep must be an integer in 1\.\./],
    ['publish --k with --replicas', () => ['publish', root, '--name', 'site', '--k', '2', '--replicas', '3', '--repo', repo], /cannot be used with/],
    ['publish --m 0', () => ['publish', root, '--name', 'site', '--m', '0', '--repo', repo], /--m must be an integer/],
    ['follow of something not an address', () => ['follow', 'nope/site', root, '--repo', repo], /is not a publisher's peer id/, ADDRESS],
    ['follow without DIR', () => ['follow', `${peer}/site`, '--repo', repo], /missing required argument 'dir'/],
    ['follow of a version', () => ['follow', `${peer}/site@2`, root, '--repo', repo], /expected PEERID\/NAME/, ADDRESS],
    ['unfollow of a hidden name', () => ['unfollow', `${peer}/.site`, '--repo', repo], /the name must match/, ADDRESS],
    ['unfollow without an address', () => ['unfollow', '--repo', repo], /missing required argument 'address'/],
    ['versions of a path', () => ['versions', `${peer}/site/docs`, '--repo', repo], /expected PEERID\/NAME/, ADDRESS],
    ['ls of version 0', () => ['ls', `${peer}/site@0`, '--repo', repo], /positive integer/, ADDRESS],
    ['ls of a path with ..', () => ['ls', `${peer}/site/docs/../..`, '--repo', repo], /'\.\.'/, ADDRESS],
    ['fetch of a whole mirror set', () => ['fetch', `${peer}/site@2`, '-o', join(root, 'out'), '--repo', repo], /a file, not the whole set/, ADDRESS],
    ['fetch of a mirror file over an existing file', () => ['fetch', `${peer}/site/a.txt`, '-o', existing, '--repo', repo], /exists: add --force/],
    ['cat of a mirror file of no publisher', () => ['cat', 'nobody/site/a.txt', '--repo', repo], /is not a publisher's peer id/, ADDRESS]
  ]

  for (const [name, args, message, code = 'ERR_USAGE'] of cases) {
    it(`${name}: JSON on stderr, nothing on stdout, and the same in human mode`, async () => {
      const json = await runCli([...args(), '--json'], { timeoutMs: HANG_MS })
      assert.equal(json.code, 2, `exit code (stderr: ${json.stderr})`)
      assert.equal(json.stdout, '')
      const error = JSON.parse(json.stderr).error
      assert.equal(error.code, code)
      assert.match(error.message, message)
      const human = await runCli(args(), { timeoutMs: HANG_MS })
      assert.equal(human.code, 2, `exit code (stderr: ${human.stderr})`)
      assert.match(human.stderr, new RegExp(`^edgemirror: ${code}: `))
    })
  }

  it('left the existing file alone and the repo without a daemon', async () => {
    assert.equal(await readFile(existing, 'utf8'), 'keep me')
    assert.ok(!(await readdir(repo).catch((): string[] => [])).includes('api.json'))
  })
})
