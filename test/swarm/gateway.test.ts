// The HTTP gateway against real nodes on loopback and a real HTTP client (Node's fetch, i.e. undici; curl when
// installed): whole files, every Range form (RFC 9110 §14), conditional requests, errors, range reads that touch only
// the stripes they need, reads with holders down, a read that cannot be completed, slow and vanishing clients, the
// concurrency cap, the edge cache and the metrics exposition.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readdir, writeFile } from 'node:fs/promises'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { createEventLog } from '../../node/event-log.ts'
import { waitFor } from '../harness/poll.ts'
import { chunksOf, startSwarm, type TestSwarm } from './swarm.ts'

const K = 4
const M = 2
const BLOCK = 16 * 1024
const STRIPE = K * BLOCK
const SIZE = 10 * STRIPE + 1234
/** The node with an edge cache, and the one allowed a single response at a time (and run with --no-metrics). */
const CACHED = 5
const ONE_STREAM = 4

const curl = await promisify(execFile)('curl', ['--version']).then(() => true, () => false)

describe('HTTP gateway on a 6-node loopback swarm', () => {
  let swarm: TestSwarm
  let cid: string
  const data = randomBytes(SIZE)
  /** The operator's log of the one-stream node, as JSON records. */
  const oneStreamLog: Array<Record<string, unknown>> = []
  const url = (node: number, path = ''): string => `${swarm.nodes[node].gatewayUrl ?? ''}/f/${cid}${path}`
  const sentBySwarm = async (): Promise<number> =>
    (await Promise.all(swarm.alive().map(async i => (await swarm.nodes[i].status()).shardsSent.bytes))).reduce((a, b) => a + b, 0)

  before(async () => {
    swarm = await startSwarm(6, i => i === CACHED ? { cacheSize: 64 * 1024 * 1024 } : i === ONE_STREAM ? { gatewayMaxStreams: 1, metrics: false } : {},
      i => i === ONE_STREAM ? { log: createEventLog({ format: 'json', write: (line) => { oneStreamLog.push(JSON.parse(line)) } }) } : {})
    cid = (await swarm.nodes[0].share(chunksOf(data), { size: SIZE, k: K, m: M, blockSize: BLOCK, name: 'clip.mp4' })).cid
  })
  after(async () => { await swarm?.stop() })

  it('serves the whole file with an immutable ETag, and HEAD the same headers without a body', async () => {
    const res = await fetch(url(1))
    assert.equal(res.status, 200)
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(data))
    assert.equal(res.headers.get('etag'), `"${cid}"`)
    assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable')
    assert.equal(res.headers.get('accept-ranges'), 'bytes')
    assert.equal(res.headers.get('content-length'), String(SIZE))
    assert.equal(res.headers.get('content-type'), 'application/octet-stream')
    const head = await fetch(url(1), { method: 'HEAD' })
    assert.equal(head.status, 200)
    assert.equal(head.headers.get('content-length'), String(SIZE))
    assert.equal((await head.arrayBuffer()).byteLength, 0)
  })

  it('names the file after the URL: Content-Type from the name, Content-Disposition inline', async () => {
    const res = await fetch(url(1, '/clip.mp4'))
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'video/mp4')
    assert.equal(res.headers.get('content-disposition'), 'inline; filename="clip.mp4"')
    await res.arrayBuffer()
  })

  it('answers If-None-Match with 304 (exact, weak, in a list, *), and a different tag with the file', async () => {
    for (const tag of [`"${cid}"`, `W/"${cid}"`, `"nope", "${cid}"`, '*']) {
      const res = await fetch(url(2), { headers: { 'if-none-match': tag } })
      assert.equal(res.status, 304, tag)
      assert.equal(res.headers.get('etag'), `"${cid}"`)
      assert.equal((await res.arrayBuffer()).byteLength, 0)
    }
    const res = await fetch(url(2), { headers: { 'if-none-match': '"other"' } })
    assert.equal(res.status, 200)
    await res.arrayBuffer()
  })

  it('serves every single-range form (RFC 9110 §14.1.2) and refuses what cannot be satisfied with 416', async () => {
    const cases: Array<[string, number, [number, number] | null]> = [
      ['bytes=0-0', 206, [0, 1]], // the first byte
      [`bytes=${SIZE - 1}-${SIZE - 1}`, 206, [SIZE - 1, SIZE]], // the last byte
      ['bytes=-1', 206, [SIZE - 1, SIZE]], // suffix: the last byte
      ['bytes=-5000', 206, [SIZE - 5000, SIZE]],
      [`bytes=-${SIZE + 10}`, 206, [0, SIZE]], // a suffix longer than the file is the file
      [`bytes=${STRIPE * 3 + 7}-`, 206, [STRIPE * 3 + 7, SIZE]], // open-ended
      [`bytes=100-${SIZE * 2}`, 206, [100, SIZE]], // past the end is cut to the end
      [`bytes=${STRIPE - 3}-${STRIPE + 2}`, 206, [STRIPE - 3, STRIPE + 3]], // across a stripe boundary
      [`bytes=${SIZE}-`, 416, null],
      ['bytes=-0', 416, null],
      ['bytes=abc', 200, [0, SIZE]], // not a valid Range: ignored (§14.2)
      ['items=0-10', 200, [0, SIZE]] // a unit this server does not know: ignored (§14.1)
    ]
    for (const [range, status, slice] of cases) {
      const res = await fetch(url(3), { headers: { range } })
      const body = Buffer.from(await res.arrayBuffer())
      assert.equal(res.status, status, range)
      if (status === 416) {
        assert.equal(res.headers.get('content-range'), `bytes */${SIZE}`)
        assert.equal(JSON.parse(body.toString()).error.code, 'ERR_RANGE_NOT_SATISFIABLE')
        continue
      }
      assert.ok(body.equals(data.subarray(slice![0], slice![1])), range)
      if (status === 206) assert.equal(res.headers.get('content-range'), `bytes ${slice![0]}-${slice![1] - 1}/${SIZE}`, range)
    }
  })

  it('answers several ranges with multipart/byteranges, overlapping ones merged', async () => {
    const res = await fetch(url(3), { headers: { range: `bytes=0-9,${STRIPE * 5}-${STRIPE * 5 + 99},5-14` } })
    assert.equal(res.status, 206)
    const type = res.headers.get('content-type') ?? ''
    const boundary = /^multipart\/byteranges; boundary=(\S+)$/.exec(type)?.[1]
    assert.ok(boundary !== undefined, type)
    const body = Buffer.from(await res.arrayBuffer())
    assert.equal(res.headers.get('content-length'), String(body.byteLength))
    const parts = parseMultipart(body, boundary)
    assert.deepEqual(parts.map(p => p.range), [`bytes 0-14/${SIZE}`, `bytes ${STRIPE * 5}-${STRIPE * 5 + 99}/${SIZE}`])
    assert.ok(parts[0].body.equals(data.subarray(0, 15)))
    assert.ok(parts[1].body.equals(data.subarray(STRIPE * 5, STRIPE * 5 + 100)))
  })

  it('honours Range only when If-Range carries this file\'s strong ETag', async () => {
    const matching = await fetch(url(3), { headers: { range: 'bytes=10-19', 'if-range': `"${cid}"` } })
    assert.equal(matching.status, 206)
    assert.ok(Buffer.from(await matching.arrayBuffer()).equals(data.subarray(10, 20)))
    for (const ifRange of ['"other"', `W/"${cid}"`, 'Sat, 05 Dec 2026 10:00:00 GMT']) {
      const res = await fetch(url(3), { headers: { range: 'bytes=10-19', 'if-range': ifRange } })
      assert.equal(res.status, 200, ifRange)
      assert.equal((await res.arrayBuffer()).byteLength, SIZE)
    }
  })

  it('maps errors to statuses with the ERR_ code in the body', async () => {
    const unknown = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku'
    const cases: Array<[string, string, number, string]> = [
      ['GET', '/f/not-a-cid', 400, 'ERR_INVALID_CID'],
      ['GET', `/f/${unknown}`, 404, 'ERR_NOT_FOUND'],
      ['GET', '/elsewhere', 404, 'ERR_NOT_FOUND'],
      ['POST', `/f/${cid}`, 405, 'ERR_METHOD_NOT_ALLOWED']
    ]
    for (const [method, path, status, code] of cases) {
      const res = await fetch(`${swarm.nodes[1].gatewayUrl ?? ''}${path}`, { method })
      assert.equal(res.status, status, path)
      assert.equal((await res.json()).error.code, code, path)
    }
  })

  it('a range in the middle reads the block that holds it from the holders, not the stripe or the file', async () => {
    const before = await sentBySwarm()
    const at = 6 * STRIPE + 100
    const res = await fetch(url(0), { headers: { range: `bytes=${at}-${at + 99}` } })
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(data.subarray(at, at + 100)))
    const sent = await sentBySwarm() - before
    // The one data block holding the range (none when the reader holds that shard itself), not the stripe.
    assert.ok(sent <= BLOCK, `holders sent ${sent} bytes for a 100-byte range; one block is ${BLOCK}, one stripe ${STRIPE}`)
  })

  it('serves curl a range and a resumed download (-C -)', { skip: curl ? false : 'curl is not installed' }, async () => {
    const { stdout } = await promisify(execFile)('curl', ['-sS', '--fail', '-r', '1000-1999', url(2)], { encoding: 'buffer' })
    assert.ok(Buffer.from(stdout).equals(data.subarray(1000, 2000)))
    const out = join(swarm.repos[2], 'partial.bin')
    await writeFile(out, data.subarray(0, 5000))
    await promisify(execFile)('curl', ['-sS', '--fail', '-C', '-', '-o', out, url(2)])
    const { readFile } = await import('node:fs/promises')
    assert.ok((await readFile(out)).equals(data))
  })

  it('repeat reads come from the edge cache: the swarm sends nothing, and a rotten cached stripe is never served', async () => {
    const first = await fetch(url(CACHED))
    assert.ok(Buffer.from(await first.arrayBuffer()).equals(data))
    const cached = (await swarm.nodes[CACHED].status()).cache
    assert.ok(cached !== null && cached.misses === 11 && cached.bytes === SIZE, JSON.stringify(cached))
    const before = await sentBySwarm()
    const again = await fetch(url(CACHED), { headers: { range: `bytes=${STRIPE}-` } })
    assert.ok(Buffer.from(await again.arrayBuffer()).equals(data.subarray(STRIPE)))
    assert.equal(await sentBySwarm() - before, 0, 'a warm read touches no holder')
    assert.equal((await swarm.nodes[CACHED].status()).cache?.hits, 10)
    // Flip a byte of a cached stripe on disk: the read-back check drops it and the swarm serves that stripe again.
    const dir = join(swarm.repos[CACHED], 'cache', cid)
    assert.equal((await readdir(dir)).length, 11)
    await writeFile(join(dir, '3'), Buffer.concat([data.subarray(3 * STRIPE, 4 * STRIPE - 1), Buffer.from([data[4 * STRIPE - 1] ^ 1])]))
    const healed = await fetch(url(CACHED))
    assert.ok(Buffer.from(await healed.arrayBuffer()).equals(data))
    assert.ok(await sentBySwarm() - before > 0, 'the rotten stripe came from the holders')
  })

  it('exposes Prometheus metrics whose counters move', async () => {
    const scrape = async (): Promise<Map<string, number>> => {
      const res = await fetch(`${swarm.nodes[1].gatewayUrl ?? ''}/metrics`)
      assert.equal(res.status, 200)
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
      return parseExposition(await res.text())
    }
    const before = await scrape()
    await (await fetch(url(1, '/x.bin'), { headers: { range: 'bytes=0-99' } })).arrayBuffer()
    const after = await scrape()
    assert.equal((after.get('edgemirror_gateway_requests_total{code="206"}') ?? 0) - (before.get('edgemirror_gateway_requests_total{code="206"}') ?? 0), 1)
    assert.equal((after.get('edgemirror_gateway_sent_bytes_total{code="206"}') ?? 0) - (before.get('edgemirror_gateway_sent_bytes_total{code="206"}') ?? 0), 100)
    assert.ok((after.get('edgemirror_gateway_time_to_first_byte_seconds_count') ?? 0) > (before.get('edgemirror_gateway_time_to_first_byte_seconds_count') ?? 0))
    assert.equal(after.get('edgemirror_peers'), 5)
    assert.ok((after.get('edgemirror_store_shards') ?? 0) >= 1)
    assert.equal(after.get('edgemirror_carbon_intensity_grams_per_kilowatt_hour'), 100)
    for (const name of after.keys()) assert.match(name, /^edgemirror_[a-z_]+(\{.*\})?$/)
    // --no-metrics: no such route.
    const off = await fetch(`${swarm.nodes[ONE_STREAM].gatewayUrl ?? ''}/metrics`)
    assert.equal(off.status, 404)
    assert.equal((await off.json()).error.code, 'ERR_NOT_FOUND')
  })

  describe('slow and vanishing clients', () => {
    // Larger than everything between the holders and a paused client can buffer (kernel socket buffers of a few MiB
    // each way, yamux windows, one stripe in the decoder), so holding back is visible.
    const big = randomBytes(48 * 1024 * 1024 + 5)
    let bigCid: string
    before(async () => {
      bigCid = (await swarm.nodes[0].share(chunksOf(big), { size: big.byteLength, k: K, m: M, blockSize: 256 * 1024 })).cid
    })

    it('a client that stops reading holds back the holders (bounded buffering), and one that leaves frees its slot', async () => {
      const before = await sentBySwarm()
      const res = await rawGet(`${swarm.nodes[ONE_STREAM].gatewayUrl ?? ''}/f/${bigCid}`)
      assert.equal(res.statusCode, 200)
      res.pause()
      // Let the holders send what the buffers in between take, until nothing moves.
      let last = -1
      await waitFor(async () => {
        const now = await sentBySwarm()
        const settled = now === last
        last = now
        return settled
      }, 60_000, 'the holders to stop sending to a paused client', 1000)
      const buffered = last - before
      assert.ok(buffered < big.byteLength / 2, `holders sent ${buffered} of ${big.byteLength} bytes to a client that read nothing`)
      // One response streams at a time on this node: a second reader is turned away, told when to come back.
      const busy = await fetch(`${swarm.nodes[ONE_STREAM].gatewayUrl ?? ''}/f/${bigCid}`)
      assert.equal(busy.status, 503)
      assert.equal(busy.headers.get('retry-after'), '1')
      assert.equal((await busy.json()).error.code, 'ERR_BUSY')
      const hit = oneStreamLog.find(r => r.event === 'limit.hit')
      assert.deepEqual([hit?.code, hit?.route, hit?.count, typeof hit?.peer], ['ERR_BUSY', 'gateway', 1, 'string'])
      // The first client leaves: its slot frees and a new read succeeds.
      res.destroy()
      await waitFor(async () => {
        const next = await fetch(`${swarm.nodes[ONE_STREAM].gatewayUrl ?? ''}/f/${bigCid}`, { headers: { range: 'bytes=0-9' } })
        await next.arrayBuffer()
        return next.status === 206
      }, 30_000, 'the slot to free after the client left')
    })
  })

  describe('with holders down', () => {
    it('range reads still work with m holders stopped, and a read that cannot be completed is cut off, never wrong', async () => {
      const shared = await swarm.nodes[0].share(chunksOf(data), { size: SIZE, k: K, m: M, blockSize: 8 * 1024 })
      const holders = shared.shards.map(s => swarm.nodes.findIndex(n => n.peerId === s.peer))
      const reader = holders[5]
      // Stop the holders of shards 0 and 1: data shards, so every stripe is rebuilt from parity.
      await swarm.kill(holders[0])
      await swarm.kill(holders[1])
      const at = 4 * 4 * 8 * 1024 + 3
      const res = await fetch(`${swarm.nodes[reader].gatewayUrl ?? ''}/f/${shared.cid}`, { headers: { range: `bytes=${at}-${at + 50_000}` } })
      assert.equal(res.status, 206)
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(data.subarray(at, at + 50_001)))
      // One more holder gone: fewer than k shards. The response either fails before its headers (503) or is cut off
      // short of its Content-Length; what arrived is a prefix of the file.
      await swarm.kill(holders[2])
      const broken = await rawGet(`${swarm.nodes[reader].gatewayUrl ?? ''}/f/${shared.cid}`)
      if (broken.statusCode === 503) {
        const body = JSON.parse((await collectStream(broken)).toString())
        assert.ok(['ERR_NOT_ENOUGH_SHARDS', 'ERR_NOT_ENOUGH_PEERS'].includes(body.error.code), body.error.code)
        return
      }
      const received: Buffer[] = []
      const outcome = await new Promise<string>((resolve) => {
        broken.on('data', (d: Buffer) => received.push(d))
        broken.on('end', () => { resolve('end') })
        broken.on('error', () => { resolve('error') })
        broken.on('aborted', () => { resolve('aborted') })
      })
      const got = Buffer.concat(received)
      assert.notEqual(outcome, 'end', 'a response the node could not complete must not end as if complete')
      assert.ok(got.byteLength < SIZE && got.equals(data.subarray(0, got.byteLength)), 'only true bytes were sent')
    })
  })
})

/** A GET with node:http, so a test can pause the response and cut the connection. */
async function rawGet (target: string): Promise<IncomingMessage> {
  return await new Promise((resolve, reject) => {
    httpRequest(target, resolve).on('error', reject).end()
  })
}

async function collectStream (stream: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const chunk of stream) parts.push(chunk as Buffer)
  return Buffer.concat(parts)
}

function parseMultipart (body: Buffer, boundary: string): Array<{ range: string, body: Buffer }> {
  const parts: Array<{ range: string, body: Buffer }> = []
  const delimiter = Buffer.from(`--${boundary}`)
  let at = body.indexOf(delimiter)
  while (at !== -1) {
    const start = at + delimiter.byteLength
    if (body.subarray(start, start + 2).toString() === '--') break
    const headersEnd = body.indexOf('\r\n\r\n', start)
    const headers = body.subarray(start, headersEnd).toString()
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), headersEnd)
    parts.push({ range: /Content-Range: (.*)/.exec(headers)?.[1]?.trim() ?? '', body: body.subarray(headersEnd + 4, next) })
    at = next + 2
  }
  return parts
}

/** Prometheus text format 0.0.4: `name{labels} value` per sample; # HELP and # TYPE lines checked for shape. */
function parseExposition (text: string): Map<string, number> {
  const samples = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '') continue
    if (line.startsWith('#')) {
      assert.match(line, /^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$/)
      continue
    }
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line)
    assert.ok(match !== null, `not a sample line: ${line}`)
    const value = Number(match[2])
    assert.ok(!Number.isNaN(value) || match[2] === 'NaN', line)
    samples.set(match[1], value)
  }
  return samples
}
