// `edgemirror daemon --exit-with-stdin` stops cleanly when its standard input closes: a supervisor that holds the other
// end of the pipe takes the daemon with it when it dies, however it dies.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { access, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { API_FILE } from '../../node/api/endpoint.ts'
import { CLI_PATH, nodeCommand } from '../../node/daemon-process.ts'


async function exists (path: string): Promise<boolean> {
  return await access(path).then(() => true, () => false)
}

/** The first JSON document a child prints on stdout (the CLI pretty-prints it over several lines). */
async function firstDocument (child: ReturnType<typeof spawn>): Promise<unknown> {
  let out = ''
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
    out += chunk.toString()
    try {
      return JSON.parse(out)
    } catch {} // not a whole document yet
  }
  throw new Error(`exited before printing a JSON document: ${out}`)
}

describe('daemon --exit-with-stdin', () => {
  it('--exit-with-stdin: closing stdin stops the daemon cleanly (exit 0, api.json removed)', { timeout: 120_000 }, async () => {
    const repo = await mkdtemp(join(tmpdir(), 'edgemirror-stdin-'))
    const child = spawn(...nodeCommand([CLI_PATH, 'daemon', '--repo', repo, '--json', '--listen', '/ip4/127.0.0.1/tcp/0', '--exit-with-stdin']), { stdio: ['pipe', 'pipe', 'inherit'] })
    const exited = once(child, 'exit')
    try {
      await firstDocument(child) // ready
      assert.ok(await exists(join(repo, API_FILE)))
      child.stdin?.end()
      const [code] = await exited
      assert.equal(code, 0)
      assert.equal(await exists(join(repo, API_FILE)), false, 'a clean stop removes the API endpoint file')
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await rm(repo, { recursive: true, force: true })
    }
  })
})
