// The patches in node/patches/ (docs/DEPENDENCIES.md, "Patched dependencies") are applied by `npm ci` / `npm install`
// (the prepare script): a missing install step would leave the slower unpatched code in place without any failure.
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'

describe('patched dependencies', () => {
  it('@chainsafe/libp2p-noise decrypts a message split over several chunks without copying it into an unused buffer', async () => {
    const root = fileURLToPath(new URL('../..', import.meta.resolve('@chainsafe/libp2p-noise'))) // from dist/src/index.js
    const version = (JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string }).version
    assert.equal(version, '17.0.0', 'node/patches/@chainsafe+libp2p-noise+17.0.0.patch targets 17.0.0: redo the patch for the new version')
    const source = await readFile(join(root, 'dist/src/utils.js'), 'utf8')
    assert.match(source, /const dst = chunk instanceof Uint8Array \? chunk\.subarray\(i, end - CHACHA_TAG_LENGTH\) : undefined;/)
  })
})
