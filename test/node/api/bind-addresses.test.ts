// What listens beyond loopback (#19 item 5): the control API only ever on loopback (any other --api is ERR_USAGE
// before a socket opens), the HTTP gateway on loopback unless --gateway names another address. The peer-to-peer port
// (--listen) is the one meant for the network.
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { startControlServer } from '../../../node/api/server.ts'
import { daemonOptions } from '../../../node/daemon-options.ts'
import { EdgemirrorNode } from '../../../node/edgemirror-node.ts'
import { splitHostPort } from '../../../node/host-port.ts'

async function httpStatus (url: string, authorization?: string): Promise<number> {
  return await new Promise((resolve, reject) => {
    const req = request(url, { headers: authorization !== undefined ? { authorization } : {} }, (res) => {
      res.resume()
      res.on('end', () => { resolve(res.statusCode ?? 0) })
    })
    req.on('error', reject)
    req.end()
  })
}

describe('control API and gateway addresses', () => {
  it('default to loopback; the API refuses any other address with ERR_USAGE, the gateway binds one only when given it, and both serve right after', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgemirror-bind-'))
    const defaults = daemonOptions(join(dir, 'repo'), {})
    assert.equal(splitHostPort('--api', defaults.api).host, '127.0.0.1')
    assert.equal(splitHostPort('--gateway', defaults.gateway).host, '127.0.0.1')
    const node = await EdgemirrorNode.launch({ ...defaults, listen: ['/ip4/127.0.0.1/tcp/0'], gateway: '0.0.0.0:0', bootstrap: [], mdns: false, carbon: 100 })
    try {
      for (const host of ['0.0.0.0', '::', '192.0.2.1', 'example.com']) {
        await assert.rejects(startControlServer({ api: node, host, port: 0, repo: defaults.repo }), { code: 'ERR_USAGE' }, host)
      }
      const api = await startControlServer({ api: node, ...splitHostPort('--api', defaults.api), repo: defaults.repo })
      try {
        assert.match(api.url, /^http:\/\/127\.0\.0\.1:\d+$/)
        const { token } = JSON.parse(await readFile(join(defaults.repo, 'api.json'), 'utf8'))
        assert.equal(await httpStatus(`${api.url}/v1/status`), 401)
        assert.equal(await httpStatus(`${api.url}/v1/status`, `Bearer ${token as string}`), 200)
      } finally {
        await api.stop()
      }
      // Asked for every address, the gateway gets it (and so answers on loopback too).
      const gateway = new URL(node.gatewayUrl ?? '')
      assert.ok(['0.0.0.0', '[::]'].includes(gateway.hostname), gateway.hostname)
      assert.equal(await httpStatus(`http://127.0.0.1:${gateway.port}/f/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy`), 404)
    } finally {
      await node.stop()
      await rm(dir, { recursive: true, force: true })
    }
  })
})
