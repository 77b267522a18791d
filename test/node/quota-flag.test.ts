// `daemon --quota-per-peer SIZE` (docs/DEPLOY.md, "Limits for open swarms"): parsed as a size, 0 for no limit, the
// default when not given, and kept in config.json across restarts like every other setting.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { loadConfig, saveConfig } from '../../node/config.ts'
import { DEFAULT_QUOTA_PER_PEER } from '../../node/constants.ts'
import { DAEMON_FLAGS } from '../../node/daemon-flags.ts'
import { daemonOptions } from '../../node/daemon-options.ts'

describe('--quota-per-peer', () => {
  let repo: string
  before(async () => { repo = await mkdtemp(join(tmpdir(), 'edgemirror-quota-flag-')) })
  after(async () => { await rm(repo, { recursive: true, force: true }) })

  const flag = DAEMON_FLAGS.find(f => f.option.startsWith('--quota-per-peer '))

  it('takes a size or 0, and refuses anything else with ERR_USAGE', () => {
    assert.ok(flag?.parse !== undefined)
    assert.equal(flag.parse('50GB'), 50e9)
    assert.equal(flag.parse('2GiB'), 2 * 1024 ** 3)
    assert.equal(flag.parse('0'), 0)
    assert.throws(() => flag.parse?.('lots'), { code: 'ERR_USAGE' })
  })

  it('defaults to no limit, and is kept in config.json', async () => {
    assert.equal(daemonOptions(repo, {}).quotaPerPeer, DEFAULT_QUOTA_PER_PEER)
    await saveConfig(repo, { quotaPerPeer: 1_000_000 })
    const saved = await loadConfig(repo)
    assert.equal(daemonOptions(repo, saved).quotaPerPeer, 1_000_000)
  })
})
