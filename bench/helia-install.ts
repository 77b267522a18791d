// Where bench:transfer finds Helia: an optional install of its own in bench/helia/ (`npm run bench:helia-install`),
// outside the project's tree so that its libp2p versions never mix with ours (docs/DEPENDENCIES.md).
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { startHeliaNode } from './helia/helia-node.mjs'

/** Points the bench at another Helia install directory (the tests use it to see the bench without one). */
export const HELIA_DIR_ENV = 'EDGEMIRROR_BENCH_HELIA_DIR'

export const HELIA_NOT_INSTALLED = 'Helia is not installed: run npm run bench:helia-install'

export function heliaDir (env: NodeJS.ProcessEnv = process.env): string {
  return env[HELIA_DIR_ENV] ?? fileURLToPath(new URL('./helia/', import.meta.url))
}

/** Why Helia cannot run from `dir`, or undefined when it can. */
export function heliaMissing (dir: string): string | undefined {
  return existsSync(join(dir, 'node_modules', 'helia', 'package.json')) && existsSync(join(dir, 'helia-node.mjs')) ? undefined : HELIA_NOT_INSTALLED
}

/** Helia's facade (bench/helia/helia-node.mjs), imported by URL so that Helia resolves from `dir`'s node_modules. */
export async function loadHelia (dir: string): Promise<typeof startHeliaNode> {
  const module = await import(pathToFileURL(join(dir, 'helia-node.mjs')).href) as { startHeliaNode: typeof startHeliaNode }
  return module.startHeliaNode
}

/** The Helia version installed in `dir`, printed on the bench's lines. */
export async function heliaVersion (dir: string): Promise<string> {
  return (JSON.parse(await readFile(join(dir, 'node_modules', 'helia', 'package.json'), 'utf8')) as { version: string }).version
}
