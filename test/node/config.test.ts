// config.json is read back with a bound checked before reading: missing is no settings, too large is ERR_CONFIG
// (without reading it), a symlink is not followed.
import assert from 'node:assert/strict'
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { CONFIG_FILE, loadConfig } from '../../node/config.ts'

describe('loadConfig', async () => {
  const repo = await mkdtemp(join(tmpdir(), 'edgemirror-config-'))
  after(async () => { await rm(repo, { recursive: true, force: true }) })

  it('reads no settings from a repo without config.json, and the settings of one', async () => {
    assert.deepEqual(await loadConfig(repo), {})
    await writeFile(join(repo, CONFIG_FILE), JSON.stringify({ zone: 'z1' }))
    assert.deepEqual(await loadConfig(repo), { zone: 'z1' })
  })

  it('refuses a config.json over 64 KiB with ERR_CONFIG, and one that is a symlink', async () => {
    await writeFile(join(repo, CONFIG_FILE), JSON.stringify({ zone: 'z'.repeat(70_000) }))
    await assert.rejects(loadConfig(repo), { code: 'ERR_CONFIG', message: /over 65536 bytes/ })
    await rm(join(repo, CONFIG_FILE))
    await writeFile(join(repo, 'elsewhere.json'), JSON.stringify({ zone: 'z2' }))
    await symlink(join(repo, 'elsewhere.json'), join(repo, CONFIG_FILE))
    await assert.rejects(loadConfig(repo), { code: 'ERR_CONFIG', message: /symlink/ })
  })
})
