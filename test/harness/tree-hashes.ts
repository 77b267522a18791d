// A directory tree as its contents: path → SHA-256 of every regular file under it (through a top-level symlink, as a
// reader of a followed mirror sees it). Mirror-set tests and bench:mirror compare trees with it.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join, relative } from 'node:path'

export async function treeHashes (dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  const walk = async (at: string): Promise<void> => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      const path = join(at, entry.name)
      if (entry.isDirectory()) {
        await walk(path)
      } else if (entry.isFile()) {
        const hash = createHash('sha256')
        for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
        out.set(relative(dir, path), hash.digest('hex'))
      }
    }
  }
  await walk(dir)
  return new Map([...out].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0))
}
