// Facts about the machine and the tree a bench run measured, so its figures can be compared with another run's.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { arch, availableParallelism, cpus, loadavg, release, totalmem, type } from 'node:os'
import type { Machine } from './results.ts'

/** The transport and the codecs: what the figures depend on beyond the code of this repository. */
const PACKAGES = ['libp2p', '@chainsafe/libp2p-noise', '@chainsafe/libp2p-yamux', '@subspace/reed-solomon-erasure.wasm', '@ronomon/reed-solomon']

function installedVersion (root: string, name: string): string | null {
  try {
    return (JSON.parse(readFileSync(`${root}/node_modules/${name}/package.json`, 'utf8')) as { version: string }).version
  } catch {
    return null
  }
}

function git (root: string, args: string[]): string {
  return execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim()
}

export function machineFacts (root: string): Machine {
  return {
    os: `${type()} ${release()}`,
    arch: arch(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    totalMemoryBytes: totalmem(),
    node: process.version,
    packages: Object.fromEntries(PACKAGES.map(name => [name, installedVersion(root, name)])),
    gitCommit: git(root, ['rev-parse', 'HEAD']),
    gitDirty: git(root, ['status', '--porcelain', '--untracked-files=no']) !== '',
    loadAvg1mStart: loadavg()[0],
    loadAvg1mEnd: loadavg()[0]
  }
}
