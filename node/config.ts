// <repo>/config.json: the daemon's settings, saved on every start so that a restart (or a machine reboot) comes
// back with the same zone, region, carbon source and capacity. Flags given on the command line win over the file.
import { join } from 'node:path'
import { DAEMON_FLAGS, type SettingKey } from './daemon-flags.ts'
import type { DaemonOptions } from './daemon-options.ts'
import { readFileBounded } from './bounded-read.ts'
import { ConfigError, FileTooLargeError } from './errors.ts'
import { writeFileAtomic } from './fs-atomic.ts'

export const CONFIG_FILE = 'config.json'

/** The settings worth keeping across restarts: every daemon flag (node/daemon-flags.ts), not the repo path itself nor
 *  test-only knobs. */
export type SavedConfig = Partial<Pick<DaemonOptions, SettingKey>>

/** config.json is a few hundred bytes; refuse anything that could not be one. */
const MAX_CONFIG_BYTES = 64 * 1024

/** The JSON type of each setting, from the flag table. */
const TYPES = new Map<string, string>(DAEMON_FLAGS.map(f => [f.key, f.type]))

export async function loadConfig (repo: string): Promise<SavedConfig> {
  const path = join(repo, CONFIG_FILE)
  let text: string
  try {
    // Bounded before it is read: a huge file is refused by its size, not after filling memory with it.
    text = await readFileBounded(path, MAX_CONFIG_BYTES)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
    if (err instanceof FileTooLargeError) throw new ConfigError(`${path} is over ${MAX_CONFIG_BYTES} bytes`, { path })
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw new ConfigError(`${path} is a symlink: the daemon reads only a file there`, { path })
    throw err
  }
  return parseConfig(text, path)
}

/** The settings in config.json's text (untrusted: edited by hand, or not this code's): ERR_CONFIG unless it is an
 *  object of known settings, each of its flag's type. `path` is for the messages. */
export function parseConfig (text: string, path: string): SavedConfig {
  if (text.length > MAX_CONFIG_BYTES) throw new ConfigError(`${path} is over ${MAX_CONFIG_BYTES} bytes`, { path })
  let value: Record<string, unknown>
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new ConfigError(`${path} is not JSON: ${(err as Error).message}`, { path })
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`${path} must hold an object`, { path })
  const config: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(value)) {
    const type = TYPES.get(key)
    const ok = type === 'strings'
      ? Array.isArray(v) && v.every(x => typeof x === 'string')
      : type === 'string'
          ? typeof v === 'string'
          : type === 'number'
              ? v === null || (typeof v === 'number' && Number.isFinite(v) && v >= 0)
              : type === 'boolean' ? typeof v === 'boolean' : false
    if (!ok) throw new ConfigError(`${path}: unknown or malformed setting ${JSON.stringify(key)}`, { path, key })
    config[key] = v
  }
  return config as SavedConfig
}

export async function saveConfig (repo: string, config: SavedConfig): Promise<void> {
  await writeFileAtomic(join(repo, CONFIG_FILE), JSON.stringify(config, null, 2) + '\n', 0o600)
}
