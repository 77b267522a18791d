// The control API's mirror-set routes, end to end through HTTP: the real server (startControlServer) and the real
// client (ApiClient) over 127.0.0.1, with a small in-memory ControlApi standing in for the daemon's services.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { request, type IncomingHttpHeaders } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { ProgressEvent } from '../../../coder/progress.ts'
import { ApiClient } from '../../../node/api/client.ts'
import { API_FILE, type ApiEndpoint } from '../../../node/api/endpoint.ts'
import { MAX_JSON_REQUEST, ROUTES, TRAILER_RESULT } from '../../../node/api/routes.ts'
import { startControlServer, type ControlServer } from '../../../node/api/server.ts'
import type { PublishOptions } from '../../../node/api/types.ts'
import type { EdgemirrorError } from '../../../node/errors.ts'
import { FakeMirrors, FILE, publishResult, REPORT, versionRecord } from './fake-mirror-api.ts'

interface RawAnswer { status: number, headers: IncomingHttpHeaders, body: string, trailers: NodeJS.Dict<string> }

describe('control API mirror routes', () => {
  let repo: string
  let server: ControlServer
  let api: FakeMirrors
  let client: ApiClient
  let endpoint: ApiEndpoint
  let publisher: string

  before(async () => {
    repo = await mkdtemp(join(tmpdir(), 'edgemirror-mirror-routes-'))
    publisher = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    api = new FakeMirrors(publisher)
    server = await startControlServer({ api, host: '127.0.0.1', port: 0, repo })
    client = await ApiClient.connect(repo)
    endpoint = JSON.parse(await readFile(join(repo, API_FILE), 'utf8'))
  })
  after(async () => {
    await server?.stop()
    await rm(repo, { recursive: true, force: true })
  })

  /** A request as any HTTP client could send it, with the token: for what ApiClient never sends. */
  async function raw (method: string, path: string, body?: string | Buffer): Promise<RawAnswer> {
    return await new Promise((resolve, reject) => {
      const req = request(`${endpoint.url}${path}`, { method, headers: { authorization: `Bearer ${endpoint.token}` } }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), trailers: res.trailers }) })
        res.on('error', reject)
      })
      req.on('error', reject)
      req.end(body)
    })
  }

  it('publish: progress lines then the result, through the client', async () => {
    const seen: ProgressEvent[] = []
    const result = await client.publish({ dir: '/srv/site', name: 'site', keep: 3, k: 2, m: 1 }, { onProgress: (e) => seen.push(e) })
    assert.deepEqual(result, publishResult(publisher, api.publishes.at(-1) as PublishOptions))
    // The first event, the next one due after the interval; the burst right after it is thinned out.
    assert.deepEqual(seen, [{ phase: 'share', bytes: 100, total: 300 }, { phase: 'share', bytes: 200, total: 300 }])
    const asked = api.publishes.at(-1) as PublishOptions
    assert.deepEqual({ dir: asked.dir, name: asked.name, keep: asked.keep, k: asked.k, m: asked.m, allowFewerPeers: asked.allowFewerPeers }, { dir: '/srv/site', name: 'site', keep: 3, k: 2, m: 1, allowFewerPeers: undefined })
  })

  it('publish: the answer is NDJSON, one JSON document a line, the result last', async () => {
    const answer = await raw('POST', ROUTES.publish, JSON.stringify({ dir: '/srv/site', name: 'site', k: 4, m: 2, allowFewerPeers: true }))
    assert.equal(answer.status, 200)
    assert.equal(answer.headers['content-type'], 'application/x-ndjson')
    const lines = answer.body.trimEnd().split('\n').map(l => JSON.parse(l))
    assert.deepEqual(lines.slice(0, -1).map(l => Object.keys(l)), [['progress'], ['progress']])
    assert.equal(lines.at(-1).result.seq, 3)
    assert.equal(api.publishes.at(-1)?.allowFewerPeers, true)
  })

  it('publish: a failure after progress arrives as a typed error with its code', async () => {
    const seen: ProgressEvent[] = []
    await assert.rejects(client.publish({ dir: '/srv/site', name: 'fails', k: 2, m: 1 }, { onProgress: (e) => seen.push(e) }), (err: EdgemirrorError) => {
      assert.equal(err.code, 'ERR_NOT_ENOUGH_PEERS')
      assert.match(err.message, /need 6 peers/)
      assert.deepEqual(err.details, { available: 2 })
      return true
    })
    assert.equal(seen.length, 2)
  })

  it('publish: a failure before any progress answers with its HTTP status', async () => {
    const answer = await raw('POST', ROUTES.publish, JSON.stringify({ dir: '/refused-at-once', name: 'site', k: 2, m: 1 }))
    assert.equal(answer.status, 400)
    assert.equal(JSON.parse(answer.body).error.code, 'ERR_USAGE')
    await assert.rejects(client.publish({ dir: '/refused-at-once', name: 'site', k: 2, m: 1 }), { code: 'ERR_USAGE' })
  })

  it('follow, mirrors, versions, tree and unfollow round trip', async () => {
    const address = `${publisher}/site`
    const followed = await client.follow(address, '/srv/mirror')
    assert.deepEqual(followed, { address, role: 'follower', dir: '/srv/mirror', seq: null, newest: null, bytes: null, lastSync: null, state: 'idle' })
    assert.deepEqual(await client.mirrors(), [followed])
    assert.deepEqual(await client.versions(address), [versionRecord(publisher, 'site', 1), versionRecord(publisher, 'site', 2)])
    const tree = await client.listTree(`${address}@2/docs`)
    assert.deepEqual(tree, await api.listTree(`${address}@2/docs`))
    assert.deepEqual(tree.entries.map(e => e.path), ['docs/index.html'])
    assert.deepEqual(await client.unfollow(address), followed)
    assert.deepEqual(await client.mirrors(), [])
    await assert.rejects(client.unfollow(address), { code: 'ERR_NOT_FOUND' })
    await assert.rejects(client.versions('not-an-address'), { code: 'ERR_INVALID_ADDRESS' })
  })

  it('fetch-path: the bytes, the mirror headers and the report trailer', async () => {
    const target = `${publisher}/site@2/docs/index.html`
    const file = await client.fetchPath(target)
    const chunks: Buffer[] = []
    for await (const chunk of file.body) chunks.push(chunk as Buffer)
    assert.deepEqual(Buffer.concat(chunks), FILE)
    assert.deepEqual(await file.result, REPORT)
    assert.deepEqual({ cid: file.cid, size: file.size, sha256: file.sha256, name: file.name, address: file.address, publisher: file.publisher, seq: file.seq, path: file.path, local: file.local },
      { cid: 'bafyindex', size: FILE.length, sha256: createHash('sha256').update(FILE).digest('hex'), name: 'index.html', address: `${publisher}/site`, publisher, seq: 2, path: 'docs/index.html', local: true })

    const answer = await raw('GET', `${ROUTES.fetchPath}?${new URLSearchParams({ target }).toString()}`)
    assert.equal(answer.headers['x-edgemirror-publisher'], publisher)
    assert.equal(answer.headers['x-edgemirror-seq'], '2')
    assert.equal(answer.headers['x-edgemirror-path'], 'docs%2Findex.html')
    assert.equal(answer.headers['x-edgemirror-local'], 'true')
    assert.equal(answer.headers['x-edgemirror-size'], String(FILE.length))
    assert.deepEqual(JSON.parse(answer.trailers[TRAILER_RESULT] ?? ''), REPORT)
  })

  it('fetch-path: a file that cannot be rebuilt mid-stream fails the result with its code', async () => {
    api.fetchFails = true
    try {
      const file = await client.fetchPath(`${publisher}/site/docs/index.html`)
      for await (const chunk of file.body) assert.ok(chunk.length > 0)
      await assert.rejects(file.result, { code: 'ERR_NOT_ENOUGH_SHARDS' })
    } finally {
      api.fetchFails = false
    }
  })

  it('refuses an oversize body with 413 ERR_REQUEST_TOO_LARGE before calling the service, and answers the next request', async () => {
    const cases: Array<[string, string, string | Buffer]> = [
      ['oversize', ROUTES.follow, JSON.stringify({ address: `${publisher}/site`, dir: '/' + 'a'.repeat(MAX_JSON_REQUEST) })],
      ['oversize garbage', ROUTES.publish, Buffer.alloc(4 * MAX_JSON_REQUEST, 0x7b)]
    ]
    for (const [name, path, body] of cases) {
      const answer = await raw('POST', path, body)
      assert.equal(answer.status, 413, `${name}: ${answer.body}`)
      assert.equal(JSON.parse(answer.body).error.code, 'ERR_REQUEST_TOO_LARGE', name)
    }
    assert.equal(api.following.size, 0)
    const address = `${publisher}/site`
    assert.equal((await client.follow(address, '/srv/mirror')).address, address)
    await client.unfollow(address)
  })

  it('refuses malformed bodies and queries with 400 ERR_USAGE, before calling the service', async () => {
    const before = api.publishes.length
    const cases: Array<[string, string, string | Buffer, string]> = [
      ['not JSON', ROUTES.publish, '{"dir": "/srv/site", ', 'ERR_USAGE'],
      ['not an object', ROUTES.publish, '[1, 2]', 'ERR_USAGE'],
      ['null', ROUTES.unfollow, 'null', 'ERR_USAGE'],
      ['no body', ROUTES.follow, '', 'ERR_USAGE'],
      ['missing k', ROUTES.publish, JSON.stringify({ dir: '/srv/site', name: 'site', m: 1 }), 'ERR_USAGE'],
      ['k a string', ROUTES.publish, JSON.stringify({ dir: '/srv/site', name: 'site', k: '2', m: 1 }), 'ERR_USAGE'],
      ['keep 0', ROUTES.publish, JSON.stringify({ dir: '/srv/site', name: 'site', k: 2, m: 1, keep: 0 }), 'ERR_USAGE'],
      ['fractional m', ROUTES.publish, JSON.stringify({ dir: '/srv/site', name: 'site', k: 2, m: 1.5 }), 'ERR_USAGE'],
      ['allowFewerPeers a string', ROUTES.publish, JSON.stringify({ dir: '/srv/site', name: 'site', k: 2, m: 1, allowFewerPeers: 'yes' }), 'ERR_USAGE'],
      ['relative dir', ROUTES.publish, JSON.stringify({ dir: 'site', name: 'site', k: 2, m: 1 }), 'ERR_USAGE'],
      ['unknown field', ROUTES.publish, JSON.stringify({ dir: '/srv/site', name: 'site', k: 2, m: 1, codec: 'x' }), 'ERR_USAGE'],
      ['bad name', ROUTES.publish, JSON.stringify({ dir: '/srv/site', name: '../etc', k: 2, m: 1 }), 'ERR_INVALID_ADDRESS'],
      ['address a number', ROUTES.follow, JSON.stringify({ address: 7, dir: '/srv/mirror' }), 'ERR_USAGE'],
      ['follow without dir', ROUTES.follow, JSON.stringify({ address: `${publisher}/site` }), 'ERR_USAGE']
    ]
    for (const [name, path, body, code] of cases) {
      const answer = await raw('POST', path, body)
      assert.equal(answer.status, 400, `${name}: ${answer.body}`)
      assert.equal(JSON.parse(answer.body).error.code, code, name)
    }
    for (const path of [ROUTES.versions, `${ROUTES.tree}?target=`, ROUTES.fetchPath]) {
      const answer = await raw('GET', path)
      assert.equal(answer.status, 400, path)
      assert.equal(JSON.parse(answer.body).error.code, 'ERR_USAGE', path)
    }
    assert.equal(api.publishes.length, before)
    assert.equal(api.following.size, 0)
  })
})
