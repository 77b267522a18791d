import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createCarbonProvider } from '../../../node/carbon/index.ts'
import type { CarbonProvider, SeriesProvider } from '../../../node/carbon/index.ts'
import { HOUR, T0, fakeClock, mapsHistoryDoc, sdkDoc, waitFor } from './helpers.ts'
import type { FakeClock } from './helpers.ts'

type Handler = (req: IncomingMessage, res: ServerResponse) => void
const json = (body: string): Handler => (_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }).end(body) }

describe('URL provider against a local HTTP server', () => {
  let server: Server
  let base: string
  const routes = new Map<string, Handler>()
  const logs: string[] = []
  let hanging = 0   // requests to /hang received (and never answered)
  const providers: CarbonProvider[] = []

  /** A provider on a fake clock; every test's provider is stopped in after(). The fetch timeout is generous, so a
   *  loaded machine never turns an answer into a timeout; only the test of a server that never answers shortens it. */
  const urlProvider = (path: string, extra: Record<string, unknown> = {}): SeriesProvider & { fake: FakeClock } => {
    const clock = fakeClock()
    const p = createCarbonProvider({ url: base + path, country: 'DE', clock, random: () => 0, fetchTimeoutMs: 30_000, log: (m) => logs.push(m), ...extra }) as SeriesProvider
    providers.push(p)
    return Object.assign(p, { fake: clock })
  }

  before(async () => {
    routes.set('/sdk', json(sdkDoc(T0, [120, 80, 60])))
    routes.set('/maps', json(mapsHistoryDoc(T0 - HOUR, [300, 250])))
    routes.set('/broken', json('{"history": [ {"carbonIntensity": 3'))
    routes.set('/hang', () => { hanging++ })
    routes.set('/500', (_req, res) => { res.writeHead(500).end('oops') })
    routes.set('/huge-declared', json(' '.repeat(2048)))
    routes.set('/huge-chunked', (_req, res) => { res.writeHead(200); res.write(' '.repeat(1000)); res.end(' '.repeat(1000)) })
    routes.set('/stale', json(sdkDoc(T0 - 10 * HOUR, [10, 20])))
    server = createServer((req, res) => { (routes.get(new URL(req.url ?? '/', 'http://localhost').pathname) ?? ((_q, r) => { r.writeHead(404).end() }))(req, res) })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })

  after(async () => {
    for (const p of providers) await p.stop()
    server.closeAllConnections()
    await new Promise(resolve => server.close(resolve))
  })

  it('Carbon Aware SDK shape: current and forecast', async () => {
    const p = urlProvider('/sdk')
    p.fake.advance(90 * 60_000)
    assert.equal(await p.poll(), true)
    assert.deepEqual(p.current(), { gco2PerKwh: 80, source: `url:${base}/sdk`, at: T0 + HOUR, stale: false })
    assert.deepEqual(p.forecast(), [{ at: T0 + HOUR, durationMs: HOUR, gco2PerKwh: 80 }, { at: T0 + 2 * HOUR, durationMs: HOUR, gco2PerKwh: 60 }])
  })

  it('Electricity Maps shape', async () => {
    const p = urlProvider('/maps')
    assert.equal(await p.poll(), true)
    assert.equal(p.current().gco2PerKwh, 250)
    assert.equal(p.current().stale, false)
  })

  it('broken JSON, HTTP 500 and oversized bodies fall back to the country, with the reason', async () => {
    const cases: Array<[string, RegExp, Record<string, unknown>?]> = [
      ['/broken', /not valid UTF-8 JSON/],
      ['/500', /answered HTTP 500/],
      ['/huge-declared', /larger than the limit of 1024 bytes/, { maxBytes: 1024 }],
      ['/huge-chunked', /larger than the limit of 1024 bytes/, { maxBytes: 1024 }],
      ['/missing', /answered HTTP 404/]
    ]
    for (const [path, reason, extra] of cases) {
      const p = urlProvider(path, extra)
      assert.equal(await p.poll(), false, path)
      const r = p.current()
      assert.equal(r.source, 'country:DE', path)
      assert.equal(r.gco2PerKwh, 342.06, path)
      assert.equal(r.stale, true, path)
      assert.match(r.note ?? '', reason, path)
    }
  })

  it('a server that never answers times out (ERR_TIMEOUT) and the fallback is used', async () => {
    const p = urlProvider('/hang', { fetchTimeoutMs: 300 })
    assert.equal(await p.poll(), false)
    assert.match(p.current().note ?? '', /GET .*\/hang timed out after 300 ms; using the Germany yearly average/)
  })

  it('stale timestamps: stale flag, then the country average', async () => {
    const p = urlProvider('/stale', { maxStaleMs: 9 * HOUR })
    assert.equal(await p.poll(), true)
    let r = p.current()
    assert.deepEqual([r.source, r.stale, r.gco2PerKwh], ['last-good', true, 20])
    p.fake.advance(HOUR + 1)
    r = p.current()
    assert.deepEqual([r.source, r.stale, r.gco2PerKwh], ['country:DE', true, 342.06])
    assert.match(r.note ?? '', /has no entry for now \(the newest ended at 2025-03-01T04:00:00.000Z\)/)
  })

  it('recovers after failures; retries back off while failing, then return to the poll interval', async () => {
    let failing = true
    routes.set('/flaky', (req, res) => { if (failing) { res.writeHead(503).end() } else json(sdkDoc(T0, [42]))(req, res) })
    const p = urlProvider('/flaky', { pollIntervalMs: 15 * 60_000, backoffBaseMs: 1000, backoffMaxMs: 4000 })
    await p.start()   // must not throw although the URL fails
    assert.equal(p.current().source, 'country:DE')
    assert.deepEqual(p.fake.pending.map(t => t.ms), [500])   // first retry: base/2 with random() = 0
    for (const expected of [1000, 2000, 2000]) {
      p.fake.fireNext()
      await waitFor(() => p.fake.pending.length === 1 && p.consecutiveFailures > 0 && p.fake.pending[0].ms === expected)
    }
    assert.equal(p.consecutiveFailures, 4)
    failing = false
    p.fake.fireNext()
    await waitFor(() => p.consecutiveFailures === 0 && p.fake.pending.length === 1)
    assert.equal(p.fake.pending[0].ms, 15 * 60_000)
    assert.deepEqual(p.current(), { gco2PerKwh: 42, source: `url:${base}/flaky`, at: T0, stale: false })
    assert.ok(logs.some(m => /flaky: recovered after 4 failed reads/.test(m)))
    // A later failure keeps the figure that still covers now.
    failing = true
    assert.equal(await p.poll(), false)
    const r = p.current()
    assert.deepEqual([r.source, r.stale, r.gco2PerKwh], ['last-good', false, 42])
    await p.stop()
    assert.equal(p.fake.pending.length, 0)
  })

  it('sends configured headers; query strings and user-info never appear in source or notes', async () => {
    let seen: string | undefined
    routes.set('/auth', (req, res) => { seen = req.headers['auth-token'] as string | undefined; res.writeHead(401).end() })
    const p = urlProvider('/auth?token=s3cret', { urlHeaders: { 'auth-token': 'k3y' } })
    assert.equal(await p.poll(), false)
    assert.equal(seen, 'k3y')
    const r = p.current()
    assert.equal(p.source, `url:${base}/auth?…`)
    assert.doesNotMatch(JSON.stringify(r) + logs.join(' '), /s3cret|k3y/)
    assert.match(r.note ?? '', /answered HTTP 401/)
  })

  it('start() does not throw when nothing listens, and stop() aborts a hanging request', async () => {
    const closed = createServer()
    await new Promise<void>(resolve => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise(resolve => closed.close(resolve))
    const clock = fakeClock()
    const down = createCarbonProvider({ url: `http://127.0.0.1:${port}/ci`, clock })
    await down.start()
    assert.equal(down.current().source, 'default:world')
    assert.match(down.current().note ?? '', /unreachable/)
    await down.stop()

    const p = urlProvider('/hang', { fetchTimeoutMs: 60_000 })
    const seen = hanging
    const started = p.start()
    await waitFor(() => hanging > seen)
    await p.stop()
    await started
    assert.equal(p.consecutiveFailures, 0)
  })
})

describe('file provider', () => {
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'edgemirror-carbon-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('reads, re-reads on poll, and keeps the last good figure when the file breaks', async () => {
    const path = join(dir, 'ci.json')
    const clock = fakeClock()
    const p = createCarbonProvider({ file: path, country: 'FR', clock }) as SeriesProvider
    await p.start()   // file missing: not fatal
    assert.equal(p.current().source, 'country:FR')
    assert.match(p.current().note ?? '', /cannot read carbon file/)

    await writeFile(path, sdkDoc(T0, [55, 65]))
    assert.equal(await p.poll(), true)
    assert.deepEqual(p.current(), { gco2PerKwh: 55, source: `file:${path}`, at: T0, stale: false })

    await writeFile(path, '{"zone": "FR", "history": [')
    assert.equal(await p.poll(), false)
    assert.deepEqual([p.current().source, p.current().stale, p.current().gco2PerKwh], ['last-good', false, 55])

    await writeFile(path, mapsHistoryDoc(T0, [33]))
    assert.equal(await p.poll(), true)
    assert.equal(p.current().gco2PerKwh, 33)
    await p.stop()
  })

  it('an oversized file is refused before it is read', async () => {
    const path = join(dir, 'big.json')
    await writeFile(path, ' '.repeat(4096))
    const p = createCarbonProvider({ file: path, maxBytes: 1024, clock: fakeClock() }) as SeriesProvider
    assert.equal(await p.poll(), false)
    assert.match(p.current().note ?? '', /larger than the limit of 1024 bytes/)
  })
})

describe('createCarbonProvider flags', () => {
  it('--carbon is static', () => {
    const r = createCarbonProvider({ carbon: 42 }).current()
    assert.deepEqual([r.gco2PerKwh, r.source, r.stale], [42, 'static', false])
    assert.deepEqual(createCarbonProvider({ carbon: 42 }).forecast(), [])
  })

  it('rejects contradictory or invalid flags', () => {
    assert.throws(() => createCarbonProvider({ carbon: -1 }), { code: 'ERR_CARBON_DATA' })
    assert.throws(() => createCarbonProvider({ carbon: Number.NaN }), { code: 'ERR_CARBON_DATA' })
    assert.throws(() => createCarbonProvider({ carbon: 1, country: 'DE' }), { code: 'ERR_USAGE' })
    assert.throws(() => createCarbonProvider({ file: 'a', url: 'http://b' }), { code: 'ERR_USAGE' })
    assert.throws(() => createCarbonProvider({ url: 'file:///etc/passwd' }), { code: 'ERR_USAGE' })
    assert.throws(() => createCarbonProvider({ url: 'not a url' }), { code: 'ERR_USAGE' })
    assert.throws(() => createCarbonProvider({ url: 'http://127.0.0.1/', country: 'XX' }), { code: 'ERR_CARBON_DATA' })
  })
})
