// The streaming heap flags (node/heap-tuning.ts) reach every process that moves file data: the bin's shebang carries
// them, children started through nodeCommand get them, and the bin still runs as an executable with them.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import { describe, it } from 'node:test'
import { CLI_PATH, nodeCommand } from '../harness/daemon-process.ts'
import { STREAMING_NODE_FLAGS } from '../../node/heap-tuning.ts'

const run = promisify(execFile)

describe('heap tuning', () => {
  it('the bin shebang carries exactly STREAMING_NODE_FLAGS', async () => {
    const [shebang] = (await readFile(CLI_PATH, 'utf8')).split('\n')
    assert.equal(shebang, `#!/usr/bin/env -S node ${STREAMING_NODE_FLAGS.join(' ')}`)
  })

  it('nodeCommand starts node with the flags, with and without a prefix', async () => {
    const script = ['-e', 'process.stdout.write(JSON.stringify(process.execArgv))']
    const [command, args] = nodeCommand(script)
    assert.equal(command, process.execPath)
    const { stdout } = await run(command, args)
    assert.deepEqual(JSON.parse(stdout), [...STREAMING_NODE_FLAGS, ...script])
    const [prefixed, prefixedArgs] = nodeCommand(script, ['env', 'EDGEMIRROR_TEST=1'])
    assert.equal(prefixed, 'env')
    assert.deepEqual(JSON.parse((await run(prefixed, prefixedArgs)).stdout), [...STREAMING_NODE_FLAGS, ...script])
  })

  it('the bin runs as an executable through its shebang', { timeout: 60_000 }, async () => {
    const { stdout } = await run(CLI_PATH, ['--version'])
    assert.match(stdout, /^\d+\.\d+\.\d+/)
  })
})
