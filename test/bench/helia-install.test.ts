// Where bench:transfer looks for its optional Helia (bench/helia-install.ts), and the reason it prints when there is
// none. The skip line itself is checked end to end in test/bench/smoke/transfer.smoke.ts (`npm run test:bench`).
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { HELIA_DIR_ENV, HELIA_NOT_INSTALLED, heliaDir, heliaMissing, heliaVersion } from '../../bench/helia-install.ts'

describe('bench:transfer Helia install', () => {
  it('looks in bench/helia/ unless the environment points elsewhere', () => {
    assert.equal(heliaDir({}), fileURLToPath(new URL('../../bench/helia/', import.meta.url)))
    assert.equal(heliaDir({ [HELIA_DIR_ENV]: '/elsewhere' }), '/elsewhere')
  })

  it('says how to install Helia until both its package and the facade are there', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'edgemirror-helia-install-'))
    t.after(async () => { await rm(dir, { recursive: true, force: true }) })
    assert.equal(heliaMissing(dir), HELIA_NOT_INSTALLED)
    assert.match(HELIA_NOT_INSTALLED, /npm run bench:helia-install/)
    await mkdir(join(dir, 'node_modules', 'helia'), { recursive: true })
    await writeFile(join(dir, 'node_modules', 'helia', 'package.json'), JSON.stringify({ name: 'helia', version: '7.1.15' }))
    assert.equal(heliaMissing(dir), HELIA_NOT_INSTALLED, 'no helia-node.mjs yet')
    await writeFile(join(dir, 'helia-node.mjs'), 'export async function startHeliaNode () {}\n')
    assert.equal(heliaMissing(dir), undefined)
    assert.equal(await heliaVersion(dir), '7.1.15')
  })
})
